// out = condition ≠ 0 ? a : b, broadcasting all three.
import { broadcastShapes, type TensorHandle } from "@deberta/tensor";
import { asCpu } from "../cpu-tensor.js";
import { broadcastOffsets } from "../strides.js";
import { type CpuContext, output } from "./context.js";

export function where(
  ctx: CpuContext,
  inputs: { condition: TensorHandle; a: TensorHandle; b: TensorHandle },
) {
  const c = asCpu(inputs.condition, "where");
  const a = asCpu(inputs.a, "where");
  const b = asCpu(inputs.b, "where");
  const shape = broadcastShapes("where", broadcastShapes("where", c.shape, a.shape), b.shape);
  const out = output(ctx, "float32", shape);
  const [co, ao, bo] = [
    broadcastOffsets(c.shape, shape),
    broadcastOffsets(a.shape, shape),
    broadcastOffsets(b.shape, shape),
  ];
  const C = c.data;
  const A = a.data;
  const B = b.data;
  const O = out.f32;
  for (let i = 0; i < O.length; i++) O[i] = C[co[i]!] !== 0 ? A[ao[i]!]! : B[bo[i]!]!;
  return out;
}
