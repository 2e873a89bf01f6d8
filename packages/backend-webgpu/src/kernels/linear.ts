// x [..., in] · weightᵀ (weight [out, in]) + bias, then the activation: one GEMM with its epilogue.
import { type FusedOps, type OpAttrs, type OpInputs, shapeError } from "@deberta/tensor";
import type { GpuTensor } from "../gpu-tensor.js";
import type { GpuContext } from "./context.js";
import { gemm } from "./gemm.js";

export function linear(
  ctx: GpuContext,
  inputs: OpInputs<FusedOps, "linear">,
  attrs: OpAttrs<FusedOps, "linear">,
): GpuTensor {
  const x = ctx.tensor(inputs.x, "linear");
  const weight = ctx.tensor(inputs.weight, "linear");
  const bias = inputs.bias === undefined ? undefined : ctx.tensor(inputs.bias, "linear");
  const shapes = [x.shape, weight.shape, ...(bias ? [bias.shape] : [])];
  if (weight.shape.length !== 2 || x.shape.length < 1)
    throw shapeError("linear", "weight must be [out, in]", shapes);
  const [n, k] = weight.shape as [number, number];
  if (x.shape[x.shape.length - 1] !== k)
    throw shapeError("linear", "x's last axis differs from weight's in", shapes);
  if (bias !== undefined && (bias.size !== n || bias.shape.length !== 1))
    throw shapeError("linear", `bias must be [${n}]`, shapes);
  const m = x.size / k;
  const out = ctx.alloc(ctx.floatDtype, [...x.shape.slice(0, -1), n], "linear");
  gemm(ctx, {
    a: x,
    b: weight,
    out,
    m,
    n,
    k,
    transposeB: true,
    batch: { shape: [], stridesA: [], stridesB: [] },
    ...(bias === undefined ? {} : { bias }),
    ...(attrs.activation === undefined ? {} : { activation: attrs.activation }),
  });
  return out;
}
