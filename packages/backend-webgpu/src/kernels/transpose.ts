import { type OpAttrs, type OpInputs, type PrimitiveOps, shapeError } from "@deberta/tensor";
import type { GpuTensor } from "../gpu-tensor.js";
import { MAX_RANK, stridesOf } from "../program.js";
import type { GpuContext } from "./context.js";
import { copyStrided } from "./copy-strided.js";

export function transpose(
  ctx: GpuContext,
  inputs: OpInputs<PrimitiveOps, "transpose">,
  attrs: OpAttrs<PrimitiveOps, "transpose">,
): GpuTensor {
  const x = ctx.tensor(inputs.x, "transpose");
  const perm = attrs.perm;
  const rank = x.shape.length;
  if (perm.length !== rank || [...perm].sort((a, b) => a - b).some((p, i) => p !== i) || rank > MAX_RANK) {
    throw shapeError("transpose", `perm [${perm.join(", ")}] is not a permutation of the axes`, [x.shape]);
  }
  const strides = stridesOf(x.shape);
  return copyStrided(
    ctx,
    "transpose",
    x,
    perm.map((p) => x.shape[p]!),
    perm.map((p) => strides[p]!),
    0,
  );
}
