// out = a ∘ b elementwise with numpy broadcasting, ∘ ∈ {+, −, ×, ÷, max, min}.
import { type BinaryOp, broadcastShapes, type TensorHandle } from "@deberta/tensor";
import { asCpu } from "../cpu-tensor.js";
import { broadcastOffsets, sameShape } from "../strides.js";
import { type CpuContext, output } from "./context.js";

const fns: Record<BinaryOp, (x: number, y: number) => number> = {
  add: (x, y) => x + y,
  sub: (x, y) => x - y,
  mul: (x, y) => x * y,
  div: (x, y) => x / y,
  max: (x, y) => Math.max(x, y),
  min: (x, y) => Math.min(x, y),
};

export function binary(
  ctx: CpuContext,
  inputs: { a: TensorHandle; b: TensorHandle },
  attrs: { op: BinaryOp },
) {
  const a = asCpu(inputs.a, `binary ${attrs.op}`);
  const b = asCpu(inputs.b, `binary ${attrs.op}`);
  const shape = broadcastShapes(`binary ${attrs.op}`, a.shape, b.shape);
  const out = output(ctx, "float32", shape);
  const A = a.data;
  const B = b.data;
  const O = out.f32;
  const n = O.length;
  // Fast paths for the common cases: same shape, and b repeating along the last axes (bias rows).
  if (sameShape(a.shape, shape) && sameShape(b.shape, shape)) {
    if (attrs.op === "add") for (let i = 0; i < n; i++) O[i] = A[i]! + B[i]!;
    else if (attrs.op === "mul") for (let i = 0; i < n; i++) O[i] = A[i]! * B[i]!;
    else {
      const f = fns[attrs.op];
      for (let i = 0; i < n; i++) O[i] = f(A[i]!, B[i]!);
    }
    return out;
  }
  if (
    sameShape(a.shape, shape) &&
    B.length > 0 &&
    n % B.length === 0 &&
    sameShape(b.shape, shape.slice(shape.length - b.shape.length))
  ) {
    const f = fns[attrs.op];
    const w = B.length;
    for (let i = 0; i < n; i++) O[i] = f(A[i]!, B[i % w]!);
    return out;
  }
  const ao = broadcastOffsets(a.shape, shape);
  const bo = broadcastOffsets(b.shape, shape);
  const f = fns[attrs.op];
  for (let i = 0; i < n; i++) O[i] = f(A[ao[i]!]!, B[bo[i]!]!);
  return out;
}
