// Scalar activations by transformers' names: gelu(x) = ½x(1 + erf(x/√2)); gelu_new / gelu_pytorch_tanh =
// ½x(1 + tanh(√(2/π)(x + 0.044715x³))); relu; tanh; sigmoid; linear = identity.
import type { Activation } from "@deberta/tensor";
import { erf } from "./erf.js";

const K = Math.sqrt(2 / Math.PI);
const tanhGelu = (x: number) => 0.5 * x * (1 + Math.tanh(K * (x + 0.044715 * x * x * x)));

export const activationFns: Record<Activation, (x: number) => number> = {
  gelu: (x) => 0.5 * x * (1 + erf(x * Math.SQRT1_2)),
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
