// out = x[starts:ends] on the listed axes (all axes when none are listed), half-open ranges.
import { type OpAttrs, type OpInputs, type PrimitiveOps, shapeError } from "@deberta/tensor";
import type { GpuTensor } from "../gpu-tensor.js";
import { MAX_RANK, stridesOf } from "../program.js";
import type { GpuContext } from "./context.js";
import { copyStrided } from "./copy-strided.js";

export function slice(
  ctx: GpuContext,
  inputs: OpInputs<PrimitiveOps, "slice">,
  attrs: OpAttrs<PrimitiveOps, "slice">,
): GpuTensor {
  const x = ctx.tensor(inputs.x, "slice");
  if (x.shape.length > MAX_RANK) throw shapeError("slice", `rank above ${MAX_RANK}`, [x.shape]);
  const axes = attrs.axes ?? attrs.starts.map((_, i) => i);
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
