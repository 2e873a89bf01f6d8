// y = γ · (x − μ) / √(σ² + ε) + β over the last axis, with x = x + residual when given (float64 sums).
// With the native engine: native/layer_norm.cc, the same maths (float partial sums accumulated in double).
import { shapeError, type TensorHandle } from "@deberta/tensor";
import { asCpu } from "../cpu-tensor.js";
import { sameShape } from "../strides.js";
import { type CpuContext, output } from "./context.js";

export function layerNorm(
  ctx: CpuContext,
  inputs: { x: TensorHandle; residual?: TensorHandle; gamma: TensorHandle; beta: TensorHandle },
  attrs: { epsilon: number },
) {
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
  const out = output(ctx, "float32", x.shape);
  if (ctx.native !== undefined && n > 0) {
    const rows = x.f32.length / n;
    ctx.native.layerNorm(x.f32, residual?.f32 ?? null, gamma, beta, out.f32, rows, n, attrs.epsilon);
    return out;
  }
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
