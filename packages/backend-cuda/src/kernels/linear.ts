// linear (fused op): x [..., in] · weightᵀ (weight [out, in]) + bias, then the activation. Through cuBLASLt
// (float32 compute, no TF32) with its bias epilogue where loaded, else the package's GEMM kernel; the
// activation (exact-erf GELU included) is one more elementwise launch, in place (cuBLASLt's GELU epilogue
// is the tanh approximation).
import { type FusedOps, type OpAttrs, type OpInputs, shapeError } from "@deberta/tensor";
import type { CudaTensor } from "../cuda-tensor.js";
import { biasActivation } from "./activation.js";
import type { CudaContext } from "./context.js";
import { requireFloat } from "./indices.js";
import { gemmKernel } from "./matmul.js";

export function linear(
  ctx: CudaContext,
  inputs: OpInputs<FusedOps, "linear">,
  attrs: OpAttrs<FusedOps, "linear">,
): CudaTensor {
  const x = ctx.tensor(inputs.x, "linear");
  const weight = ctx.tensor(inputs.weight, "linear");
  const bias = inputs.bias === undefined ? undefined : ctx.tensor(inputs.bias, "linear");
  requireFloat("linear", x, "x");
  requireFloat("linear", weight, "weight");
  if (bias !== undefined) requireFloat("linear", bias, "bias");
  const shapes = [x.shape, weight.shape, ...(bias === undefined ? [] : [bias.shape])];
  if (weight.shape.length !== 2 || x.shape.length < 1)
    throw shapeError("linear", "weight must be [out, in]", shapes);
  const [outFeatures, inFeatures] = weight.shape as [number, number];
  if (x.shape[x.shape.length - 1] !== inFeatures)
    throw shapeError("linear", `x's last dimension must be ${inFeatures}`, shapes);
  if (bias !== undefined && (bias.shape.length !== 1 || bias.shape[0] !== outFeatures))
    throw shapeError("linear", `bias must be [${outFeatures}]`, shapes);
  const rows = x.size / inFeatures;
  const out = ctx.alloc("float32", [...x.shape.slice(0, -1), outFeatures], "linear");
  if (rows === 0 || outFeatures === 0) return out;
  const activation = attrs.activation ?? "linear";
  let biasDone = false;
  if (ctx.blasLt !== undefined && inFeatures > 0) {
    // Row-major Y [rows, out] is column-major Yᵀ [out, rows] = W (stored [in, out] col-major, transposed) · Xᵀ.
    ctx.blasLt("linear", {
      transa: true,
      transb: false,
      m: outFeatures,
      n: rows,
      k: inFeatures,
      a: weight.ptr,
      lda: inFeatures,
      b: x.ptr,
      ldb: inFeatures,
      d: out.ptr,
      ldd: outFeatures,
      ...(bias === undefined ? {} : { bias: bias.ptr }),
    });
    biasDone = true;
  } else {
    gemmKernel(ctx, "linear", out, x, weight, rows, outFeatures, inFeatures, true, [], [], []);
  }
  const pendingBias = biasDone ? undefined : bias;
  if (pendingBias !== undefined || activation !== "linear")
    biasActivation(ctx, "linear", out, out, pendingBias, activation);
  return out;
}
