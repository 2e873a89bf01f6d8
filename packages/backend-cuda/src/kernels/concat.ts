// concat: inputs of one shape but the axis, laid side by side on it; one copy launch per input.
import { BackendError, type OpAttrs, type OpInputs, type PrimitiveOps, shapeError } from "@deberta/tensor";
import type { CudaTensor } from "../cuda-tensor.js";
import { Params } from "../params.js";
import { bitKernel, type CudaContext } from "./context.js";

export function concat(
  ctx: CudaContext,
  inputs: OpInputs<PrimitiveOps, "concat">,
  attrs: OpAttrs<PrimitiveOps, "concat">,
): CudaTensor {
  const xs = inputs.xs.map((h) => ctx.tensor(h, "concat"));
  if (xs.length === 0) throw shapeError("concat", "needs at least one input", []);
  const first = xs[0]!;
  const rank = first.shape.length;
  const axis = attrs.axis < 0 ? attrs.axis + rank : attrs.axis;
  const shapes = xs.map((x) => x.shape);
  if (!Number.isInteger(axis) || axis < 0 || axis >= rank)
    throw shapeError("concat", `axis ${attrs.axis} out of range`, shapes);
  for (const x of xs) {
    if (x.shape.length !== rank || x.shape.some((d, k) => k !== axis && d !== first.shape[k]))
      throw shapeError("concat", `inputs differ off axis ${axis}`, shapes);
    if (x.isFloat !== first.isFloat)
      throw new BackendError("BACKEND_DTYPE", "concat: inputs must have one dtype", { op: "concat", shapes });
  }
  const total = xs.reduce((s, x) => s + x.shape[axis]!, 0);
  const shape = first.shape.map((d, k) => (k === axis ? total : d));
  const out = ctx.alloc(first.dtype, shape, "concat");
  const inner = first.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  let offset = 0;
  for (const x of xs) {
    const extent = x.shape[axis]!;
    const p = new Params().ptr(out.ptr).ptr(x.ptr).i64(x.size).i32(extent).i32(inner).i32(total).i32(offset);
    ctx.launch1d("concat", bitKernel("concat", x), x.size, p);
    offset += extent;
  }
  return out;
}
