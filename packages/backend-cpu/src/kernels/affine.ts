// out = x · scale + shift, elementwise.
import type { TensorHandle } from "@deberta/tensor";
import { asCpu } from "../cpu-tensor.js";
import { type CpuContext, output } from "./context.js";

export function affine(
  ctx: CpuContext,
  inputs: { x: TensorHandle },
  attrs: { scale: number; shift: number },
) {
  const x = asCpu(inputs.x, "affine");
  const out = output(ctx, "float32", x.shape);
  const X = x.data;
  const O = out.f32;
  const { scale, shift } = attrs;
  for (let i = 0; i < O.length; i++) O[i] = X[i]! * scale + shift;
  return out;
}
