// The strided copy behind transpose and slice: out[i] = x[base + Σ coordinate_k · stride_k].
import type { CudaTensor } from "../cuda-tensor.js";
import { Params } from "../params.js";
import { bitKernel, type CudaContext } from "./context.js";

export function copyStrided(
  ctx: CudaContext,
  op: string,
  x: CudaTensor,
  shape: readonly number[],
  strides: readonly number[],
  base: number,
): CudaTensor {
  const out = ctx.alloc(x.dtype, shape, op);
  const p = new Params()
    .ptr(out.ptr)
    .ptr(x.ptr + base * x.elementBytes)
    .i64(out.size)
    .i32(shape.length);
  p.dims(shape).dims(strides);
  ctx.launch1d(op, bitKernel("copy_strided", x), out.size, p);
  return out;
}
