// activation (fused op): out = f(x) by transformers' name, one launch (kernels/activation.cu).
import type { Activation, FusedOps, OpAttrs, OpInputs } from "@deberta/tensor";
import type { CudaTensor } from "../cuda-tensor.js";
import { Params } from "../params.js";
import { type CudaContext, floatKernel } from "./context.js";
import { requireFloat } from "./indices.js";

export const ACTIVATIONS: Record<Activation, number> = {
  gelu: 0,
  gelu_new: 1,
  gelu_pytorch_tanh: 1,
  relu: 2,
  tanh: 3,
  sigmoid: 4,
  linear: 5,
};

/** out = f(x + bias) with bias (length `cols`) optional; out may be x (in place). */
export function biasActivation(
  ctx: CudaContext,
  op: string,
  out: CudaTensor,
  x: CudaTensor,
  bias: CudaTensor | undefined,
  fn: Activation,
): void {
  const code = ACTIVATIONS[fn];
  if (code === undefined) throw new Error(`${op}: unknown activation ${fn}`);
  const cols = x.shape[x.shape.length - 1] ?? 1;
  const p = new Params()
    .ptr(out.ptr)
    .ptr(x.ptr)
    .ptr(bias?.ptr ?? 0)
    .i64(out.size)
    .i32(cols)
    .i32(code);
  ctx.launch1d(op, floatKernel(ctx, "bias_activation"), out.size, p);
}

export function activation(
  ctx: CudaContext,
  inputs: OpInputs<FusedOps, "activation">,
  attrs: OpAttrs<FusedOps, "activation">,
): CudaTensor {
  const x = ctx.tensor(inputs.x, "activation");
  requireFloat("activation", x, "x");
  const out = ctx.alloc("float32", x.shape, "activation");
  biasActivation(ctx, "activation", out, x, undefined, attrs.fn);
  return out;
}
