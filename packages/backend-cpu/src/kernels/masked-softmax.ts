// softmax over the last axis of where(mask ≠ 0, x, lowest); mask broadcasts against x.
import { broadcastShapes, FLOAT32_LOWEST, type TensorHandle } from "@deberta/tensor";
import { asCpu } from "../cpu-tensor.js";
import { broadcastOffsets } from "../strides.js";
import { type CpuContext, output } from "./context.js";

/** In-place softmax of row [start, start + n) of `v`, with masked entries (keep[j] === 0) at the lowest value. */
export function softmaxRow(v: Float32Array, start: number, n: number): void {
  let max = Number.NEGATIVE_INFINITY;
  for (let j = 0; j < n; j++) if (v[start + j]! > max) max = v[start + j]!;
  let sum = 0;
  for (let j = 0; j < n; j++) {
    const e = Math.exp(v[start + j]! - max);
    v[start + j] = e;
    sum += e;
  }
  const inv = 1 / sum;
  for (let j = 0; j < n; j++) v[start + j]! *= inv;
}

export function maskedSoftmax(ctx: CpuContext, inputs: { x: TensorHandle; mask?: TensorHandle }) {
  const x = asCpu(inputs.x, "maskedSoftmax");
  const out = output(ctx, "float32", x.shape);
  const O = out.f32;
  O.set(x.f32);
  if (inputs.mask !== undefined) {
    const mask = asCpu(inputs.mask, "maskedSoftmax");
    broadcastShapes("maskedSoftmax", x.shape, mask.shape);
    const offsets = broadcastOffsets(mask.shape, x.shape);
    const M = mask.data;
    for (let i = 0; i < O.length; i++) if (M[offsets[i]!] === 0) O[i] = FLOAT32_LOWEST;
  }
  const n = x.shape[x.shape.length - 1]!;
  for (let base = 0; base < O.length; base += n) softmaxRow(O, base, n);
  return out;
}
