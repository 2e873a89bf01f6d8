// out = Σ / max / mean of x along one axis (accumulated in float64).
import { type ReduceOp, shapeError, type TensorHandle } from "@deberta/tensor";
import { asCpu } from "../cpu-tensor.js";
import { sizeOf } from "../strides.js";
import { type CpuContext, output } from "./context.js";

export function reduce(
  ctx: CpuContext,
  inputs: { x: TensorHandle },
  attrs: { op: ReduceOp; axis: number; keepDims: boolean },
) {
  const x = asCpu(inputs.x, `reduce ${attrs.op}`);
  const axis = attrs.axis < 0 ? attrs.axis + x.shape.length : attrs.axis;
  if (axis < 0 || axis >= x.shape.length)
    throw shapeError(`reduce ${attrs.op}`, `axis ${attrs.axis} is out of range`, [x.shape]);
  const outer = sizeOf(x.shape.slice(0, axis));
  const n = x.shape[axis]!;
  const inner = sizeOf(x.shape.slice(axis + 1));
  const shape = attrs.keepDims
    ? x.shape.map((d, i) => (i === axis ? 1 : d))
    : x.shape.filter((_, i) => i !== axis);
  const out = output(ctx, "float32", shape);
  const X = x.data;
  const O = out.f32;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      if (attrs.op === "max") {
        let m = Number.NEGATIVE_INFINITY;
        for (let t = 0; t < n; t++) {
          const v = X[base + t * inner]!;
          if (v > m || Number.isNaN(v)) m = v;
        }
        O[o * inner + i] = m;
      } else {
        let s = 0;
        for (let t = 0; t < n; t++) s += X[base + t * inner]!;
        O[o * inner + i] = attrs.op === "mean" ? s / n : s;
      }
    }
  }
  return out;
}
