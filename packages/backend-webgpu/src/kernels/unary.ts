import type { OpAttrs, OpInputs, PrimitiveOps, UnaryOp } from "@deberta/tensor";
import type { GpuTensor } from "../gpu-tensor.js";
import type { GpuContext } from "./context.js";
import { mapKernel } from "./map.js";

const EXPR: Record<UnaryOp, string> = {
  neg: "-x",
  exp: "exp(x)",
  log: "log(x)",
  sqrt: "sqrt(x)",
  rsqrt: "1.0 / sqrt(x)",
  abs: "abs(x)",
  erf: "erf_(x)",
  tanh: "tanh_(x)",
  relu: "max(x, 0.0)",
  sigmoid: "sigmoid_(x)",
};

export function unary(
  ctx: GpuContext,
  inputs: OpInputs<PrimitiveOps, "unary">,
  attrs: OpAttrs<PrimitiveOps, "unary">,
): GpuTensor {
  return mapKernel(ctx, "unary", ctx.tensor(inputs.x, "unary"), `unary:${attrs.op}`, EXPR[attrs.op]);
}
