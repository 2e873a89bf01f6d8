// The inputs of the disentangled-attention kernels, checked once for all of them (JavaScript, WebAssembly,
// native): qkv [B, L, H·3·hs], q_bias / v_bias [H·hs], mask [B, L] or [B, L, L], posKey / posQuery
// [H, 2·span, hs]; DeBERTa-v2's k_bias [H·hs] and relativeIndex int32 [2L − 1] with every entry in
// [0, 2·span) (the kernels read rows of posKey / posQuery at those entries, so one outside would read
// past them).
import { BackendError, type FusedOps, type OpAttrs, type OpInputs, shapeError } from "@deberta/tensor";
import { asCpu, type CpuTensor } from "../cpu-tensor.js";

/** The op table's inputs and attributes of disentangledAttention, as every attention kernel takes them. */
export type AttentionOpInputs = OpInputs<FusedOps, "disentangledAttention">;
export type AttentionOpAttrs = OpAttrs<FusedOps, "disentangledAttention">;

export interface AttentionInputs {
  qkv: CpuTensor;
  qBias: Float32Array;
  vBias: Float32Array;
  /** v2's key bias, or undefined (v1: k as given). */
  kBias: Float32Array | undefined;
  mask: CpuTensor;
  mask3d: boolean;
  posKey: CpuTensor | undefined;
  posQuery: CpuTensor | undefined;
  /** δ(i, j) = relativeIndex[i − j + L − 1] (v2), or undefined: δ(i, j) = clamp(i − j + span, 0, 2·span − 1). */
  relativeIndex: Int32Array | undefined;
  batch: number;
  length: number;
  width: number;
  headSize: number;
}

/** relativeIndex as its int32 array, after checking its shape and that every entry is a row of posKey. */
function relativeTable(t: CpuTensor, length: number, span: number): Int32Array {
  const op = "disentangledAttention";
  const data = t.data;
  if (!(data instanceof Int32Array)) {
    throw new BackendError("BACKEND_DTYPE", `${op}: relativeIndex must be int32, got ${t.dtype}`, {
      op,
      shapes: [t.shape],
    });
  }
  if (t.shape.length !== 1 || t.shape[0] !== 2 * length - 1) {
    throw shapeError(op, `relativeIndex must be [2 * length - 1] = [${2 * length - 1}]`, [t.shape]);
  }
  for (let n = 0; n < data.length; n++) {
    const v = data[n]!;
    if (!(v >= 0 && v < 2 * span)) {
      throw new BackendError(
        "BACKEND_SHAPE",
        `${op}: relativeIndex[${n}] = ${v} is outside [0, ${2 * span}) (2 * span rows of posKey / posQuery)`,
        { op, shapes: [t.shape] },
      );
    }
  }
  return data;
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
  const kBias = inputs.kBias === undefined ? undefined : asCpu(inputs.kBias, op).f32;
  if (
    qBias.length !== heads * headSize ||
    vBias.length !== heads * headSize ||
    (kBias !== undefined && kBias.length !== heads * headSize)
  ) {
    throw shapeError(op, `q_bias, k_bias and v_bias must be [${heads * headSize}]`, [
      ...shapes,
      [qBias.length],
      [vBias.length],
      ...(kBias === undefined ? [] : [[kBias.length]]),
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
  const relativeIndex =
    inputs.relativeIndex === undefined
      ? undefined
      : relativeTable(asCpu(inputs.relativeIndex, op), length, span);
  return {
    qkv,
    qBias,
    vBias,
    kBias,
    mask,
    mask3d,
    posKey,
    posQuery,
    relativeIndex,
    batch,
    length,
    width,
    headSize,
  };
}
