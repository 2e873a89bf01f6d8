// out = inputs joined along `axis`; every other dimension must agree.
import { shapeError, type TensorHandle } from "@deberta/tensor";
import { asCpu } from "../cpu-tensor.js";
import { sizeOf } from "../strides.js";
import { type CpuContext, output } from "./context.js";

export function concat(ctx: CpuContext, inputs: { xs: readonly TensorHandle[] }, attrs: { axis: number }) {
  const xs = inputs.xs.map((h) => asCpu(h, "concat"));
  const first = xs[0];
  if (first === undefined) throw shapeError("concat", "needs at least one input", []);
  const axis = attrs.axis < 0 ? attrs.axis + first.shape.length : attrs.axis;
  for (const x of xs) {
    if (x.shape.length !== first.shape.length || x.shape.some((d, i) => i !== axis && d !== first.shape[i])) {
      throw shapeError(
        "concat",
        `shapes differ outside axis ${axis}`,
        xs.map((t) => t.shape),
      );
    }
  }
  const shape = [...first.shape];
  shape[axis] = xs.reduce((s, x) => s + x.shape[axis]!, 0);
  const out = output(ctx, first.dtype, shape);
  const outer = sizeOf(shape.slice(0, axis));
  const total = sizeOf(shape.slice(axis));
  let offset = 0;
  for (const x of xs) {
    const chunk = sizeOf(x.shape.slice(axis));
    for (let o = 0; o < outer; o++)
      out.data.set(x.data.subarray(o * chunk, (o + 1) * chunk), o * total + offset);
    offset += chunk;
  }
  return out;
}
