// where: condition != 0 ? a : b with numpy broadcasting over all three (kernels/where.cu).
import { BackendError, broadcastShapes, type OpInputs, type PrimitiveOps } from "@deberta/tensor";
import type { CudaTensor } from "../cuda-tensor.js";
import { broadcastStrides, Params } from "../params.js";
import { bitKernel, type CudaContext } from "./context.js";

export function where(ctx: CudaContext, inputs: OpInputs<PrimitiveOps, "where">): CudaTensor {
  const c = ctx.tensor(inputs.condition, "where");
  const a = ctx.tensor(inputs.a, "where");
  const b = ctx.tensor(inputs.b, "where");
  if (a.isFloat !== b.isFloat) {
    throw new BackendError("BACKEND_DTYPE", `where: a (${a.dtype}) and b (${b.dtype}) must have one dtype`, {
      op: "where",
      shapes: [c.shape, a.shape, b.shape],
    });
  }
  const shape = broadcastShapes("where", broadcastShapes("where", c.shape, a.shape), b.shape);
  const out = ctx.alloc(a.dtype, shape, "where");
  const p = new Params()
    .ptr(out.ptr)
    .ptr(c.ptr)
    .ptr(a.ptr)
    .ptr(b.ptr)
    .i64(out.size)
    .i32(shape.length)
    .i32(c.isFloat ? (c.elementBytes === 2 ? 2 : 0) : 1);
  p.dims(shape)
    .dims(broadcastStrides(c.shape, shape))
    .dims(broadcastStrides(a.shape, shape))
    .dims(broadcastStrides(b.shape, shape));
  ctx.launch1d("where", bitKernel("where", a), out.size, p);
  return out;
}
