// y = γ · (x − μ) / √(σ² + ε) + β over the last axis, with x = x + residual when given (float64 sums).
import { shapeError, type TensorHandle } from "@deberta/tensor";
import { asCpu, type CpuTensor } from "../cpu-tensor.js";
import { sameShape } from "../strides.js";
import { type CpuContext, output } from "./context.js";

export interface LayerNormOperands {
  x: CpuTensor;
  residual: CpuTensor | undefined;
  gamma: Float32Array;
  beta: Float32Array;
  n: number;
}

/** The operands of layerNorm, checked (shared with the native engine's op). */
export function layerNormOperands(inputs: {
  x: TensorHandle;
  residual?: TensorHandle;
  gamma: TensorHandle;
  beta: TensorHandle;
}): LayerNormOperands {
  const x = asCpu(inputs.x, "layerNorm");
  const residual = inputs.residual === undefined ? undefined : asCpu(inputs.residual, "layerNorm");
  const gamma = asCpu(inputs.gamma, "layerNorm").f32;
  const beta = asCpu(inputs.beta, "layerNorm").f32;
  const n = x.shape[x.shape.length - 1]!;
  if (
    gamma.length !== n ||
    beta.length !== n ||
    (residual !== undefined && !sameShape(residual.shape, x.shape))
  ) {
    throw shapeError("layerNorm", `gamma and beta must be [${n}] and residual like x`, [
      x.shape,
      ...(residual ? [residual.shape] : []),
      [gamma.length],
      [beta.length],
    ]);
  }
  return { x, residual, gamma, beta, n };
}

export function layerNorm(
  ctx: CpuContext,
  inputs: { x: TensorHandle; residual?: TensorHandle; gamma: TensorHandle; beta: TensorHandle },
  attrs: { epsilon: number },
) {
  const { x, residual, gamma, beta, n } = layerNormOperands(inputs);
  const out = output(ctx, "float32", x.shape);
  const X = x.f32;
  const R = residual?.f32;
  const O = out.f32;
  const eps = attrs.epsilon;
  for (let base = 0; base < X.length; base += n) {
    // The (residual) sum goes into the output first; statistics in float64 (JavaScript numbers).
    let sum = 0;
    if (R === undefined) {
      for (let i = 0; i < n; i++) sum += X[base + i]!;
    } else {
      for (let i = 0; i < n; i++) {
        const v = X[base + i]! + R[base + i]!;
        O[base + i] = v;
        sum += v;
      }
    }
    const src = R === undefined ? X : O;
    const mean = sum / n;
    let sq = 0;
    for (let i = 0; i < n; i++) {
      const d = src[base + i]! - mean;
      sq += d * d;
    }
    const inv = 1 / Math.sqrt(sq / n + eps);
    for (let i = 0; i < n; i++) O[base + i] = (src[base + i]! - mean) * inv * gamma[i]! + beta[i]!;
  }
  return out;
}
