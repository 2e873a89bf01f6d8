// affine: out = x · scale + shift (kernels/affine.cu).
import type { OpAttrs, OpInputs, PrimitiveOps } from "@deberta/tensor";
import type { CudaTensor } from "../cuda-tensor.js";
import { Params } from "../params.js";
import { type CudaContext, floatKernel } from "./context.js";
import { requireFloat } from "./indices.js";

export function affine(
  ctx: CudaContext,
  inputs: OpInputs<PrimitiveOps, "affine">,
  attrs: OpAttrs<PrimitiveOps, "affine">,
): CudaTensor {
  const x = ctx.tensor(inputs.x, "affine");
  requireFloat("affine", x, "x");
  const out = ctx.alloc("float32", x.shape, "affine");
  const p = new Params().ptr(out.ptr).ptr(x.ptr).i64(out.size).f32(attrs.scale).f32(attrs.shift);
  ctx.launch1d("affine", floatKernel(ctx, "affine"), out.size, p);
  return out;
}
