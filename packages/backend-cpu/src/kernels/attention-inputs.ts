// The inputs of the disentangled-attention kernels, checked once for both (JavaScript and WebAssembly):
// qkv [B, L, H·3·hs], q_bias / v_bias [H·hs], mask [B, L] or [B, L, L], posKey / posQuery [H, 2·span, hs].
import { type FusedOps, type OpAttrs, type OpInputs, shapeError } from "@deberta/tensor";
import { asCpu, type CpuTensor } from "../cpu-tensor.js";

/** The op table's inputs and attributes of disentangledAttention, as every attention kernel takes them. */
export type AttentionOpInputs = OpInputs<FusedOps, "disentangledAttention">;
export type AttentionOpAttrs = OpAttrs<FusedOps, "disentangledAttention">;

export interface AttentionInputs {
  qkv: CpuTensor;
  qBias: Float32Array;
  vBias: Float32Array;
  mask: CpuTensor;
  mask3d: boolean;
  posKey: CpuTensor | undefined;
  posQuery: CpuTensor | undefined;
  batch: number;
  length: number;
  width: number;
  headSize: number;
}

export function attentionInputs(inputs: AttentionOpInputs, heads: number, span: number): AttentionInputs {
  const op = "disentangledAttention";
  const qkv = asCpu(inputs.qkv, op);
  const mask = asCpu(inputs.mask, op);
  const shapes = [qkv.shape, mask.shape];
  if (qkv.shape.length !== 3 || qkv.shape[2]! % (3 * heads) !== 0) {
    throw shapeError(op, `qkv must be [batch, length, heads * 3 * headSize] with ${heads} heads`, shapes);
  }
  const [batch, length, width] = qkv.shape as [number, number, number];
  const headSize = width / (3 * heads);
  const mask3d = mask.shape.length === 3;
  if (
    (mask.shape.length !== 2 && !mask3d) ||
    mask.shape[0] !== batch ||
    mask.shape[1] !== length ||
    (mask3d && mask.shape[2] !== length)
  ) {
    throw shapeError(op, "mask must be [batch, length] or [batch, length, length]", shapes);
  }
  const qBias = asCpu(inputs.qBias, op).f32;
  const vBias = asCpu(inputs.vBias, op).f32;
  if (qBias.length !== heads * headSize || vBias.length !== heads * headSize) {
    throw shapeError(op, `q_bias and v_bias must be [${heads * headSize}]`, [
      ...shapes,
      [qBias.length],
      [vBias.length],
    ]);
  }
  const posKey = inputs.posKey === undefined ? undefined : asCpu(inputs.posKey, op);
  const posQuery = inputs.posQuery === undefined ? undefined : asCpu(inputs.posQuery, op);
  const fits = (t: CpuTensor) =>
    t.shape.length === 3 && t.shape[0] === heads && t.shape[1] === 2 * span && t.shape[2] === headSize;
  if ((posKey !== undefined && !fits(posKey)) || (posQuery !== undefined && !fits(posQuery))) {
    throw shapeError(op, `posKey / posQuery must be [${heads}, ${2 * span}, ${headSize}]`, [
      ...shapes,
      ...(posKey ? [posKey.shape] : []),
      ...(posQuery ? [posQuery.shape] : []),
    ]);
  }
  return { qkv, qBias, vBias, mask, mask3d, posKey, posQuery, batch, length, width, headSize };
}
