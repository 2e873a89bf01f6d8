// Same data, new shape (one dimension may be -1); the output shares nothing with the input.
import { shapeError, type TensorHandle } from "@deberta/tensor";
import { asCpu, type CpuTensor } from "../cpu-tensor.js";
import { sizeOf } from "../strides.js";
import { type CpuContext, fromData } from "./context.js";

/** The new shape with -1 resolved, checked (shared with the native engine's op). */
export function reshapeTarget(x: CpuTensor, target: readonly number[]): number[] {
  const attrs = { shape: target };
  const known = attrs.shape.filter((d) => d !== -1);
  const shape = attrs.shape.map((d) => (d === -1 ? sizeOf(x.shape) / sizeOf(known) : d));
  if (sizeOf(shape) !== sizeOf(x.shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw shapeError("reshape", `cannot reshape to [${attrs.shape.join(", ")}]`, [x.shape]);
  }
  return shape;
}

export function reshape(ctx: CpuContext, inputs: { x: TensorHandle }, attrs: { shape: readonly number[] }) {
  const x = asCpu(inputs.x, "reshape");
  const shape = reshapeTarget(x, attrs.shape);
  return fromData(ctx, x.dtype, shape, x.data.slice());
}
