// cast: int ↔ float through kernels/cast.cu (float → int truncates toward zero; floats are the backend's
// storage type, whichever of float32 / float16 is asked); between integer types (int32 and int64 are both
// stored as int32) and float → float a device copy.
import type { DType, OpAttrs, OpInputs, PrimitiveOps } from "@deberta/tensor";
import type { CudaTensor } from "../cuda-tensor.js";
import { Params } from "../params.js";
import { bitKernel, type CudaContext } from "./context.js";

export function castTo(ctx: CudaContext, op: string, x: CudaTensor, to: DType): CudaTensor {
  const out = ctx.alloc(to, x.shape, op);
  const toFloat = to === "float32" || to === "float16";
  if (toFloat === x.isFloat) {
    // Same storage (the float type, or int32): a copy through the strided kernel with contiguous strides.
    const p = new Params().ptr(out.ptr).ptr(x.ptr).i64(x.size).i32(1).dims([x.size]).dims([1]);
    ctx.launch1d(op, bitKernel("copy_strided", x), x.size, p);
    return out;
  }
  const p = new Params().ptr(out.ptr).ptr(x.ptr).i64(x.size);
  ctx.launch1d(op, toFloat ? `cast_i32_${ctx.float}` : `cast_${ctx.float}_i32`, x.size, p);
  return out;
}

export function cast(
  ctx: CudaContext,
  inputs: OpInputs<PrimitiveOps, "cast">,
  attrs: OpAttrs<PrimitiveOps, "cast">,
): CudaTensor {
  return castTo(ctx, "cast", ctx.tensor(inputs.x, "cast"), attrs.to);
}
