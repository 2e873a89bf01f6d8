// Scalar activations by transformers' names: gelu(x) = ½x(1 + erf(x/√2)); gelu_new / gelu_pytorch_tanh =
// ½x(1 + tanh(√(2/π)(x + 0.044715x³))); relu; tanh; sigmoid; linear = identity.
import type { Activation } from "@deberta/tensor";

const K = Math.sqrt(2 / Math.PI);
const tanhGelu = (x: number) => 0.5 * x * (1 + Math.tanh(K * (x + 0.044715 * x * x * x)));

/**
 * erf for GELU: Abramowitz & Stegun 7.1.26, |error| ≤ 1.5·10⁻⁷ — below float32's resolution of the GELU
 * result (½x(1 + erf) changes by at most ¾·10⁻⁷·|x|), and several times cheaper than a full-precision erf,
 * which matters in the largest elementwise op of the model. The `erf` primitive keeps full precision.
 */
function fastErf(x: number): number {
  const a = x < 0 ? -x : x;
  const t = 1 / (1 + 0.3275911 * a);
  const y =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) *
      t *
      Math.exp(-a * a);
  return x < 0 ? -y : y;
}

export const activationFns: Record<Activation, (x: number) => number> = {
  gelu: (x) => 0.5 * x * (1 + fastErf(x * Math.SQRT1_2)),
  gelu_new: tanhGelu,
  gelu_pytorch_tanh: tanhGelu,
  relu: (x) => Math.max(x, 0),
  tanh: Math.tanh,
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  linear: (x) => x,
};

export function applyActivation(data: Float32Array, fn: Activation | undefined): void {
  if (fn === undefined || fn === "linear") return;
  const f = activationFns[fn];
  for (let i = 0; i < data.length; i++) data[i] = f(data[i]!);
}

/** out[r, j] = act(out[r, j] + bias[j]) in one pass over the rows. */
export function addBiasAndActivate(
  out: Float32Array,
  bias: Float32Array | undefined,
  width: number,
  fn: Activation | undefined,
): void {
  const f = fn === undefined || fn === "linear" ? undefined : activationFns[fn];
  if (bias === undefined) {
    if (f !== undefined) for (let i = 0; i < out.length; i++) out[i] = f(out[i]!);
    return;
  }
  for (let base = 0; base < out.length; base += width) {
    if (f === undefined) for (let j = 0; j < width; j++) out[base + j]! += bias[j]!;
    else for (let j = 0; j < width; j++) out[base + j] = f(out[base + j]! + bias[j]!);
  }
}
