// out = x converted to `to` (float → int truncates toward zero, as a C cast).
import type { DType, TensorHandle } from "@deberta/tensor";
import { asCpu } from "../cpu-tensor.js";
import { type CpuContext, output } from "./context.js";

export function cast(ctx: CpuContext, inputs: { x: TensorHandle }, attrs: { to: DType }) {
  const x = asCpu(inputs.x, "cast");
  const out = output(ctx, attrs.to, x.shape);
  const X = x.data;
  const O = out.data;
  const toInt = out.data instanceof Int32Array;
  for (let i = 0; i < O.length; i++) O[i] = toInt ? Math.trunc(X[i]!) : X[i]!;
  return out;
}
