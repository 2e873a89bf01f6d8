import type { FusedOps, OpAttrs, OpInputs } from "@deberta/tensor";
import type { GpuTensor } from "../gpu-tensor.js";
import type { GpuContext } from "./context.js";
import { mapKernel } from "./map.js";
import { ACTIVATION_EXPR } from "./math-wgsl.js";

/** transformers' ACT2FN by name: GELU in its erf and tanh forms, ReLU, tanh, sigmoid, identity. */
export function activation(
  ctx: GpuContext,
  inputs: OpInputs<FusedOps, "activation">,
  attrs: OpAttrs<FusedOps, "activation">,
): GpuTensor {
  const x = ctx.tensor(inputs.x, "activation");
  return mapKernel(ctx, "activation", x, `activation:${attrs.fn}`, ACTIVATION_EXPR[attrs.fn]!);
}
