// DeBERTa disentangled self-attention on the native engine (native/attention.cc), one command for the whole
// op: per (b, h), with q' = (q + q_bias)·scale, k' = k + k_bias (v2; k without), v' = v + v_bias and
// δ(i, j) = clamp(i − j + span, 0, 2·span − 1), or relativeIndex[i − j + L − 1] (v2),
//   S = q'·k'ᵀ;  S_ij += (q'·posKey[h]ᵀ)[i, δ(i, j)] + (k'·posQuery[h]ᵀ)[j, δ(i, j)];  P = softmax(masked S);  C = P·v'
// in parallel over (b, h) on the engine's pool, per-head scratch only. Inputs are checked here
// (attentionInputs), and every length and table entry again by the addon, before anything runs.
import { BackendError } from "@deberta/tensor";
import type { CpuTensor } from "../../cpu-tensor.js";
import {
  type AttentionOpAttrs,
  type AttentionOpInputs,
  attentionInputs,
} from "../../kernels/attention-inputs.js";
import { output } from "../../kernels/context.js";
import { OPCODES } from "../program.js";
import { hostRead, input, type NativeOpContext } from "./context.js";

/** The mask as 0 / 1 int32 keep flags (the int32 mask itself when it already is one). */
function keepFlags(ctx: NativeOpContext, mask: CpuTensor): Int32Array {
  const data = hostRead(ctx, mask);
  if (data instanceof Int32Array) return data;
  const keep = new Int32Array(data.length);
  for (let i = 0; i < data.length; i++) keep[i] = data[i] === 0 ? 0 : 1;
  return keep;
}

export function disentangledAttentionNative(
  ctx: NativeOpContext,
  inputs: AttentionOpInputs,
  attrs: AttentionOpAttrs,
): { context: CpuTensor; probs?: CpuTensor } {
  const op = "disentangledAttention";
  const heads = attrs.numHeads;
  const span = attrs.span;
  // The table's entries are checked now (they pick rows to read), so a recorded one must have run.
  const rawTable = inputs.relativeIndex as CpuTensor | undefined;
  if (rawTable?.alive) hostRead(ctx, rawTable);
  const checked = attentionInputs(inputs, heads, span);
  const { qkv, qBias, vBias, kBias, mask, mask3d, batch, length, headSize, posKey, posQuery, relativeIndex } =
    checked;
  if ((posKey !== undefined || posQuery !== undefined) && span < 1)
    throw new BackendError(
      "BACKEND_SHAPE",
      `${op}: span must be at least 1 with relative positions, got ${span}`,
      {
        op,
      },
    );
  if (!Number.isFinite(attrs.scale))
    throw new BackendError("BACKEND_DTYPE", `${op}: scale must be finite, got ${attrs.scale}`, { op });
  const context = output(ctx.cpu, "float32", [batch, length, heads * headSize]);
  const probs = attrs.returnProbs ? output(ctx.cpu, "float32", [batch, heads, length, length]) : undefined;
  const p = ctx.executor.program();
  const args = [
    p.buffer(input(ctx, qkv)),
    p.buffer(qBias),
    p.buffer(vBias),
    p.buffer(keepFlags(ctx, mask)),
    mask3d ? 1 : 0,
    p.buffer(posKey === undefined ? null : input(ctx, posKey)),
    p.buffer(posQuery === undefined ? null : input(ctx, posQuery)),
    p.buffer(context.f32),
    p.buffer(probs?.f32),
    batch,
    length,
    heads,
    headSize,
    span,
    attrs.scale,
    p.buffer(kBias),
    // Without relative terms the table picks nothing: the kernel is not given it.
    p.buffer(posKey === undefined && posQuery === undefined ? undefined : relativeIndex),
  ];
  p.emit(op, OPCODES.attention, args, probs === undefined ? [context.f32] : [context.f32, probs.f32]);
  ctx.executor.wrote(context.f32, ...(probs === undefined ? [] : [probs.f32]));
  return probs === undefined ? { context } : { context, probs };
}
