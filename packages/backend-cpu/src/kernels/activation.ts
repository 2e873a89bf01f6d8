// out = act(x) elementwise (see activations.ts for the formulas).
import type { Activation, TensorHandle } from "@deberta/tensor";
import { asCpu } from "../cpu-tensor.js";
import { applyActivation } from "./activations.js";
import { type CpuContext, fromData } from "./context.js";

export function activation(ctx: CpuContext, inputs: { x: TensorHandle }, attrs: { fn: Activation }) {
  const x = asCpu(inputs.x, `activation ${attrs.fn}`);
  const data = x.f32.slice();
  applyActivation(data, attrs.fn);
  return fromData(ctx, "float32", x.shape, data);
}
