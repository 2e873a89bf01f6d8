// reduce: sum | max | mean over one axis, x viewed as [outer, extent, inner] (kernels/reduce.cu).
import { type OpAttrs, type OpInputs, type PrimitiveOps, type ReduceOp, shapeError } from "@deberta/tensor";
import type { CudaTensor } from "../cuda-tensor.js";
import { Params } from "../params.js";
import { type CudaContext, floatKernel } from "./context.js";
import { requireFloat } from "./indices.js";

const OPS: Record<ReduceOp, number> = { sum: 0, max: 1, mean: 2 };

export function reduce(
  ctx: CudaContext,
  inputs: OpInputs<PrimitiveOps, "reduce">,
  attrs: OpAttrs<PrimitiveOps, "reduce">,
): CudaTensor {
  const x = ctx.tensor(inputs.x, "reduce");
  requireFloat("reduce", x, "x");
  const rank = x.shape.length;
  const axis = attrs.axis < 0 ? attrs.axis + rank : attrs.axis;
  if (!Number.isInteger(axis) || axis < 0 || axis >= rank)
    throw shapeError("reduce", `axis ${attrs.axis} out of range`, [x.shape]);
  const extent = x.shape[axis]!;
  if (extent === 0) throw shapeError("reduce", `axis ${axis} is empty`, [x.shape]);
  const inner = x.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const shape = attrs.keepDims
    ? x.shape.map((d, k) => (k === axis ? 1 : d))
    : x.shape.filter((_, k) => k !== axis);
  const out = ctx.alloc("float32", shape, "reduce");
  const p = new Params().ptr(out.ptr).ptr(x.ptr).i64(out.size).i32(extent).i32(inner).i32(OPS[attrs.op]);
  ctx.launch1d("reduce", floatKernel(ctx, "reduce"), out.size, p);
  return out;
}
