// DeBERTa disentangled self-attention on the native engine (native/attention.cc), one call for the whole
// op: per (b, h), with q' = (q + q_bias)·scale, v' = v + v_bias and δ(i, j) = clamp(i − j + span, 0, 2·span − 1),
//   S = q'·kᵀ;  S_ij += (q'·posKey[h]ᵀ)[i, δ(i, j)] + (k·posQuery[h]ᵀ)[j, δ(i, j)];  P = softmax(masked S);  C = P·v'
// in parallel over (b, h) on the engine's pool, per-head scratch only. Inputs are checked here
// (attentionInputs, then NativeGemm.attention checks every length) before the addon sees them.
import type { CpuTensor } from "../cpu-tensor.js";
import type { NativeKernels } from "../native/native-gemm.js";
import { type AttentionOpAttrs, type AttentionOpInputs, attentionInputs } from "./attention-inputs.js";
import { type CpuContext, output } from "./context.js";

/** The mask as 0 / 1 int32 keep flags (the int32 mask itself when it already is one). */
function keepFlags(mask: CpuTensor): Int32Array {
  const data = mask.data;
  if (data instanceof Int32Array) return data;
  const keep = new Int32Array(data.length);
  for (let i = 0; i < data.length; i++) keep[i] = data[i] === 0 ? 0 : 1;
  return keep;
}

export function disentangledAttentionNative(
  ctx: CpuContext,
  native: NativeKernels,
  inputs: AttentionOpInputs,
  attrs: AttentionOpAttrs,
): { context: CpuTensor; probs?: CpuTensor } {
  const heads = attrs.numHeads;
  const span = attrs.span;
  const checked = attentionInputs(inputs, heads, span);
  const { qkv, qBias, vBias, mask, mask3d, batch, length } = checked;
  const headSize = checked.headSize;
  const context = output(ctx, "float32", [batch, length, heads * headSize]);
  const probs = attrs.returnProbs ? output(ctx, "float32", [batch, heads, length, length]) : undefined;
  native.attention({
    qkv: qkv.f32,
    qBias,
    vBias,
    keep: keepFlags(mask),
    mask3d,
    posKey: checked.posKey?.f32 ?? null,
    posQuery: checked.posQuery?.f32 ?? null,
    context: context.f32,
    probs: probs?.f32 ?? null,
    batch,
    length,
    heads,
    headSize,
    span,
    scale: attrs.scale,
  });
  return probs === undefined ? { context } : { context, probs };
}
