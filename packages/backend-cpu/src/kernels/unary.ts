// out = f(x) elementwise for f ∈ {−x, eˣ, ln x, √x, 1/√x, |x|, erf, tanh, relu, sigmoid}.
import type { TensorHandle, UnaryOp } from "@deberta/tensor";
import { asCpu } from "../cpu-tensor.js";
import { type CpuContext, output } from "./context.js";
import { erf } from "./erf.js";

const fns: Record<UnaryOp, (x: number) => number> = {
  neg: (x) => -x,
  exp: Math.exp,
  log: Math.log,
  sqrt: Math.sqrt,
  rsqrt: (x) => 1 / Math.sqrt(x),
  abs: Math.abs,
  erf,
  tanh: Math.tanh,
  relu: (x) => Math.max(x, 0),
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
};

export function unary(ctx: CpuContext, inputs: { x: TensorHandle }, attrs: { op: UnaryOp }) {
  const x = asCpu(inputs.x, `unary ${attrs.op}`);
  const out = output(ctx, "float32", x.shape);
  const X = x.data;
  const O = out.f32;
  const f = fns[attrs.op];
  for (let i = 0; i < O.length; i++) O[i] = f(X[i]!);
  return out;
}
