// Same data, new shape (one dimension may be -1); the output shares nothing with the input.
import { shapeError, type TensorHandle } from "@deberta/tensor";
import { asCpu } from "../cpu-tensor.js";
import { sizeOf } from "../strides.js";
import { type CpuContext, fromData } from "./context.js";

export function reshape(ctx: CpuContext, inputs: { x: TensorHandle }, attrs: { shape: readonly number[] }) {
  const x = asCpu(inputs.x, "reshape");
  const known = attrs.shape.filter((d) => d !== -1);
  const shape = attrs.shape.map((d) => (d === -1 ? sizeOf(x.shape) / sizeOf(known) : d));
  if (sizeOf(shape) !== sizeOf(x.shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw shapeError("reshape", `cannot reshape to [${attrs.shape.join(", ")}]`, [x.shape]);
  }
  return fromData(ctx, x.dtype, shape, x.data.slice());
}
