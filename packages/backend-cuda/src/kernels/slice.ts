// slice: out = x[starts:ends] on the listed axes (all axes when none are listed), half-open ranges; a
// strided copy starting at the first element of the range.
import { type OpAttrs, type OpInputs, type PrimitiveOps, shapeError } from "@deberta/tensor";
import type { CudaTensor } from "../cuda-tensor.js";
import { stridesOf } from "../params.js";
import type { CudaContext } from "./context.js";
import { copyStrided } from "./strided.js";

export function slice(
  ctx: CudaContext,
  inputs: OpInputs<PrimitiveOps, "slice">,
  attrs: OpAttrs<PrimitiveOps, "slice">,
): CudaTensor {
  const x = ctx.tensor(inputs.x, "slice");
  const axes = attrs.axes ?? attrs.starts.map((_, i) => i);
  if (attrs.starts.length !== axes.length || attrs.ends.length !== axes.length)
    throw shapeError("slice", "starts, ends and axes must have one entry per axis", [x.shape]);
  const lo = x.shape.map(() => 0);
  const hi = [...x.shape];
  axes.forEach((axis, i) => {
    const start = attrs.starts[i]!;
    const end = attrs.ends[i]!;
    if (axis < 0 || axis >= x.shape.length || start < 0 || end > x.shape[axis]! || start > end) {
      throw shapeError("slice", `range [${start}, ${end}) on axis ${axis} is out of bounds`, [x.shape]);
    }
    lo[axis] = start;
    hi[axis] = end;
  });
  const strides = stridesOf(x.shape);
  const base = lo.reduce((acc, l, i) => acc + l * strides[i]!, 0);
  return copyStrided(
    ctx,
    "slice",
    x,
    hi.map((h, i) => h - lo[i]!),
    strides,
    base,
  );
}
