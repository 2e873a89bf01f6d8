// unary: out = f(x) elementwise (kernels/unary.cu).
import type { OpAttrs, OpInputs, PrimitiveOps, UnaryOp } from "@deberta/tensor";
import type { CudaTensor } from "../cuda-tensor.js";
import { Params } from "../params.js";
import { type CudaContext, floatKernel } from "./context.js";
import { requireFloat } from "./indices.js";

const OPS: Record<UnaryOp, number> = {
  neg: 0,
  exp: 1,
  log: 2,
  sqrt: 3,
  rsqrt: 4,
  abs: 5,
  erf: 6,
  tanh: 7,
  relu: 8,
  sigmoid: 9,
};

export function unary(
  ctx: CudaContext,
  inputs: OpInputs<PrimitiveOps, "unary">,
  attrs: OpAttrs<PrimitiveOps, "unary">,
): CudaTensor {
  const x = ctx.tensor(inputs.x, "unary");
  requireFloat("unary", x, "x");
  const code = OPS[attrs.op];
  if (code === undefined) throw new Error(`unary: unknown op ${attrs.op}`);
  const out = ctx.alloc("float32", x.shape, "unary");
  ctx.launch1d(
    "unary",
    floatKernel(ctx, "unary"),
    out.size,
    new Params().ptr(out.ptr).ptr(x.ptr).i64(out.size).i32(code),
  );
  return out;
}
