// out = act(x) elementwise (see activations.ts for the formulas); with the native engine gelu (erf),
// gelu_new / gelu_pytorch_tanh and relu run in native/activation.cc on the output copy, in place.
import type { Activation, TensorHandle } from "@deberta/tensor";
import { asCpu } from "../cpu-tensor.js";
import { applyActivation } from "./activations.js";
import { type CpuContext, fromData } from "./context.js";

export function activation(ctx: CpuContext, inputs: { x: TensorHandle }, attrs: { fn: Activation }) {
  const x = asCpu(inputs.x, `activation ${attrs.fn}`);
  const data = x.f32.slice();
  if (ctx.native === undefined || !ctx.native.activate(data, attrs.fn)) applyActivation(data, attrs.fn);
  return fromData(ctx, "float32", x.shape, data);
}
