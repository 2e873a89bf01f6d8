// layerNorm (fused op, + residual): one block per row of the last axis (kernels/layer_norm.cu). Shapes the
// kernel does not take (a residual of another shape, γ / β not [cols]) run as the reference.
import { type Backend, type FusedOps, type OpAttrs, type OpInputs, referenceKernels } from "@deberta/tensor";
import type { CudaTensor } from "../cuda-tensor.js";
import { Params } from "../params.js";
import { type CudaContext, floatKernel } from "./context.js";

const THREADS = 256;

export function layerNorm(
  ctx: CudaContext,
  inputs: OpInputs<FusedOps, "layerNorm">,
  attrs: OpAttrs<FusedOps, "layerNorm">,
  backend: Backend,
): CudaTensor {
  const x = ctx.tensor(inputs.x, "layerNorm");
  const residual = inputs.residual === undefined ? undefined : ctx.tensor(inputs.residual, "layerNorm");
  const gamma = ctx.tensor(inputs.gamma, "layerNorm");
  const beta = ctx.tensor(inputs.beta, "layerNorm");
  const cols = x.shape[x.shape.length - 1] ?? 0;
  const same = (a: readonly number[], b: readonly number[]) =>
    a.length === b.length && a.every((d, i) => d === b[i]);
  const native =
    x.isFloat &&
    cols > 0 &&
    gamma.isFloat &&
    beta.isFloat &&
    same(gamma.shape, [cols]) &&
    same(beta.shape, [cols]) &&
    (residual === undefined || (residual.isFloat && same(residual.shape, x.shape)));
  if (!native) return referenceKernels.layerNorm(backend, inputs, attrs) as CudaTensor;
  const out = ctx.alloc("float32", x.shape, "layerNorm");
  const rows = x.size / cols;
  if (rows === 0) return out;
  const p = new Params()
    .ptr(out.ptr)
    .ptr(x.ptr)
    .ptr(residual?.ptr ?? 0)
    .ptr(gamma.ptr)
    .ptr(beta.ptr)
    .i32(cols)
    .f32(attrs.epsilon);
  ctx.launch("layerNorm", floatKernel(ctx, "layer_norm"), [rows, 1, 1], [THREADS, 1, 1], p);
  return out;
}
