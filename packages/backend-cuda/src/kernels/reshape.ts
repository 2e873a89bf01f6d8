// reshape: the same device memory under a new shape (one dimension may be -1); no copy.
import { type OpAttrs, type OpInputs, type PrimitiveOps, shapeError } from "@deberta/tensor";
import type { CudaTensor } from "../cuda-tensor.js";
import type { CudaContext } from "./context.js";

export function reshape(
  ctx: CudaContext,
  inputs: OpInputs<PrimitiveOps, "reshape">,
  attrs: OpAttrs<PrimitiveOps, "reshape">,
): CudaTensor {
  const x = ctx.tensor(inputs.x, "reshape");
  const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
  const known = attrs.shape.filter((d) => d !== -1);
  const shape = attrs.shape.map((d) => (d === -1 ? x.size / size(known) : d));
  if (size(shape) !== x.size || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw shapeError("reshape", `cannot reshape to [${attrs.shape.join(", ")}]`, [x.shape]);
  }
  return ctx.view(x, shape);
}
