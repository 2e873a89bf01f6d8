// gatherElements (numpy take_along_axis, kernels/gather_elements.cu): indices has the output's shape and
// x's on every axis but `axis`; uploaded indices are checked here first (negative ones count from the end).
import { type OpAttrs, type OpInputs, type PrimitiveOps, shapeError } from "@deberta/tensor";
import type { CudaTensor } from "../cuda-tensor.js";
import { Params } from "../params.js";
import { bitKernel, type CudaContext } from "./context.js";
import { checkIndices } from "./indices.js";

export function gatherElements(
  ctx: CudaContext,
  inputs: OpInputs<PrimitiveOps, "gatherElements">,
  attrs: OpAttrs<PrimitiveOps, "gatherElements">,
): CudaTensor {
  const x = ctx.tensor(inputs.x, "gatherElements");
  const indices = ctx.tensor(inputs.indices, "gatherElements");
  const shapes = [x.shape, indices.shape];
  const rank = x.shape.length;
  const axis = attrs.axis < 0 ? attrs.axis + rank : attrs.axis;
  if (!Number.isInteger(axis) || axis < 0 || axis >= rank)
    throw shapeError("gatherElements", `axis ${attrs.axis} out of range`, shapes);
  if (indices.shape.length !== rank || indices.shape.some((d, k) => k !== axis && d !== x.shape[k]))
    throw shapeError("gatherElements", `indices must match x on every axis but ${axis}`, shapes);
  const extentX = x.shape[axis]!;
  checkIndices("gatherElements", indices, extentX, shapes, true);
  const inner = x.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const out = ctx.alloc(x.dtype, indices.shape, "gatherElements");
  const p = new Params()
    .ptr(out.ptr)
    .ptr(x.ptr)
    .ptr(indices.ptr)
    .i64(out.size)
    .i32(indices.shape[axis]!)
    .i32(extentX)
    .i32(inner);
  ctx.launch1d("gatherElements", bitKernel("gather_elements", x), out.size, p);
  return out;
}
