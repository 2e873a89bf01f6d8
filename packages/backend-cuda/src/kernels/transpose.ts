// transpose: out[..c..] = x[..c permuted back..]: a strided copy reading x's stride perm[k] on out's axis k.
import { type OpAttrs, type OpInputs, type PrimitiveOps, shapeError } from "@deberta/tensor";
import type { CudaTensor } from "../cuda-tensor.js";
import { stridesOf } from "../params.js";
import type { CudaContext } from "./context.js";
import { copyStrided } from "./strided.js";

export function transpose(
  ctx: CudaContext,
  inputs: OpInputs<PrimitiveOps, "transpose">,
  attrs: OpAttrs<PrimitiveOps, "transpose">,
): CudaTensor {
  const x = ctx.tensor(inputs.x, "transpose");
  const rank = x.shape.length;
  const perm = attrs.perm;
  const seen = new Set(perm);
  if (
    perm.length !== rank ||
    seen.size !== rank ||
    perm.some((p) => !Number.isInteger(p) || p < 0 || p >= rank)
  ) {
    throw shapeError("transpose", `perm [${perm.join(", ")}] is not a permutation of ${rank} axes`, [
      x.shape,
    ]);
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
