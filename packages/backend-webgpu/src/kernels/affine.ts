import type { OpAttrs, OpInputs, PrimitiveOps } from "@deberta/tensor";
import type { GpuTensor } from "../gpu-tensor.js";
import type { GpuContext } from "./context.js";
import { mapKernel } from "./map.js";

export function affine(
  ctx: GpuContext,
  inputs: OpInputs<PrimitiveOps, "affine">,
  attrs: OpAttrs<PrimitiveOps, "affine">,
): GpuTensor {
  return mapKernel(ctx, "affine", ctx.tensor(inputs.x, "affine"), "affine", "x * pf(1u) + pf(2u)", [
    attrs.scale,
    attrs.shift,
  ]);
}
