// cast: int ↔ float32 through kernels/cast.cu (float → int truncates toward zero); between integer types
// (int32 and int64 are both stored as int32) and float32 → float32 a device copy.
import { BackendError, type DType, type OpAttrs, type OpInputs, type PrimitiveOps } from "@deberta/tensor";
import type { CudaTensor } from "../cuda-tensor.js";
import { Params } from "../params.js";
import type { CudaContext } from "./context.js";

export function castTo(ctx: CudaContext, op: string, x: CudaTensor, to: DType): CudaTensor {
  if (to === "float16")
    throw new BackendError("BACKEND_DTYPE", `${op}: the CUDA backend computes in float32 (no float16 yet)`, {
      op,
    });
  const out = ctx.alloc(to, x.shape, op);
  const toFloat = to === "float32";
  if (toFloat === x.isFloat) {
    // Same storage (4-byte float or int32): a copy through the strided kernel with contiguous strides.
    const p = new Params().ptr(out.ptr).ptr(x.ptr).i64(x.size).i32(1).dims([x.size]).dims([1]);
    ctx.launch1d(op, "copy_strided_32", x.size, p);
    return out;
  }
  const p = new Params().ptr(out.ptr).ptr(x.ptr).i64(x.size);
  ctx.launch1d(op, toFloat ? "cast_i32_f32" : "cast_f32_i32", x.size, p);
  return out;
}

export function cast(
  ctx: CudaContext,
  inputs: OpInputs<PrimitiveOps, "cast">,
  attrs: OpAttrs<PrimitiveOps, "cast">,
): CudaTensor {
  return castTo(ctx, "cast", ctx.tensor(inputs.x, "cast"), attrs.to);
}
