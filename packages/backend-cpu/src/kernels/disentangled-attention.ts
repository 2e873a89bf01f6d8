// DeBERTa disentangled self-attention, fused. For each (batch b, head h), with q' = (q + q_bias)·scale,
// k' = k + k_bias (v2; k without), v' = v + v_bias and δ(i, j) = clamp(i − j + span, 0, 2·span − 1), or
// δ(i, j) = relativeIndex[i − j + L − 1] when the table is given (v2's log buckets):
//   S    = q'·k'ᵀ                                   (GEMM, L × L)
//   C2P  = q'·posKey[h]ᵀ,  P2C = k'·posQuery[h]ᵀ    (GEMM, L × 2·span each, one head at a time)
//   S_ij += C2P[i, δ(i, j)] + P2C[j, δ(i, j)]       (read by relative index; nothing [B, H, L, 2L] is built)
//   P    = softmax_j(S_ij if m_i·m_j else lowest),  context_i = P·v'   (GEMM)
import { FLOAT32_LOWEST } from "@deberta/tensor";
import type { CpuTensor } from "../cpu-tensor.js";
import { type AttentionOpAttrs, type AttentionOpInputs, attentionInputs } from "./attention-inputs.js";
import { type CpuContext, output } from "./context.js";
import { softmaxRow } from "./masked-softmax.js";

export function disentangledAttention(
  ctx: CpuContext,
  inputs: AttentionOpInputs,
  attrs: AttentionOpAttrs,
): { context: CpuTensor; probs?: CpuTensor } {
  const heads = attrs.numHeads;
  const span = attrs.span;
  const checked = attentionInputs(inputs, heads, span);
  const { qkv, qBias, vBias, kBias, mask, mask3d, relativeIndex, batch, length, width } = checked;
  const hs = checked.headSize;
  const posKey = checked.posKey?.f32;
  const posQuery = checked.posQuery?.f32;
  const context = output(ctx, "float32", [batch, length, heads * hs]);
  const probs = attrs.returnProbs ? output(ctx, "float32", [batch, heads, length, length]) : undefined;
  const X = qkv.f32;
  const M = mask.data;
  const C = context.f32;
  const q = new Float32Array(length * hs);
  const k = new Float32Array(length * hs);
  const v = new Float32Array(length * hs);
  const scores = new Float32Array(length * length);
  const rel = new Float32Array(length * 2 * span);
  const ctxHead = new Float32Array(length * hs);
  const delta = new Int32Array(length * length);
  for (let i = 0; i < length; i++) {
    for (let j = 0; j < length; j++)
      delta[i * length + j] =
        relativeIndex === undefined
          ? Math.min(Math.max(i - j + span, 0), 2 * span - 1)
          : relativeIndex[i - j + length - 1]!;
  }
  const gemm = ctx.gemm;
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      for (let t = 0; t < length; t++) {
        const src = (b * length + t) * width + h * 3 * hs;
        for (let d = 0; d < hs; d++) {
          q[t * hs + d] = (X[src + d]! + qBias[h * hs + d]!) * attrs.scale;
          k[t * hs + d] = kBias === undefined ? X[src + hs + d]! : X[src + hs + d]! + kBias[h * hs + d]!;
          v[t * hs + d] = X[src + 2 * hs + d]! + vBias[h * hs + d]!;
        }
      }
      gemm.matmul(q, 0, k, 0, scores, 0, length, length, hs, true);
      if (posKey !== undefined) {
        gemm.matmul(q, 0, posKey, h * 2 * span * hs, rel, 0, length, 2 * span, hs, true);
        for (let i = 0; i < length; i++) {
          for (let j = 0; j < length; j++)
            scores[i * length + j]! += rel[i * 2 * span + delta[i * length + j]!]!;
        }
      }
      if (posQuery !== undefined) {
        gemm.matmul(k, 0, posQuery, h * 2 * span * hs, rel, 0, length, 2 * span, hs, true);
        for (let i = 0; i < length; i++) {
          for (let j = 0; j < length; j++)
            scores[i * length + j]! += rel[j * 2 * span + delta[i * length + j]!]!;
        }
      }
      for (let i = 0; i < length; i++) {
        for (let j = 0; j < length; j++) {
          const keep = mask3d ? M[(b * length + i) * length + j]! : M[b * length + i]! * M[b * length + j]!;
          if (keep === 0) scores[i * length + j] = FLOAT32_LOWEST;
        }
        softmaxRow(scores, i * length, length);
      }
      if (probs !== undefined) probs.f32.set(scores, (b * heads + h) * length * length);
      gemm.matmul(scores, 0, v, 0, ctxHead, 0, length, hs, length, false);
      for (let t = 0; t < length; t++)
        C.set(ctxHead.subarray(t * hs, (t + 1) * hs), (b * length + t) * heads * hs + h * hs);
    }
  }
  return probs === undefined ? { context } : { context, probs };
}
