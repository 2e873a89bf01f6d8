// C[..., M, N] = A[..., M, K] · B[..., K, N] (or B[..., N, K] with transposeB); batch dims broadcast.
import { broadcastShapes, shapeError, type TensorHandle } from "@deberta/tensor";
import { asCpu } from "../cpu-tensor.js";
import { broadcastOffsets, sizeOf } from "../strides.js";
import { type CpuContext, output } from "./context.js";

export function matmul(
  ctx: CpuContext,
  inputs: { a: TensorHandle; b: TensorHandle },
  attrs: { transposeB?: boolean },
) {
  const a = asCpu(inputs.a, "matmul");
  const b = asCpu(inputs.b, "matmul");
  const transposeB = attrs.transposeB ?? false;
  if (a.shape.length < 2 || b.shape.length < 2)
    throw shapeError("matmul", "both inputs need at least 2 dimensions", [a.shape, b.shape]);
  const [m, k] = a.shape.slice(-2) as [number, number];
  const [b0, b1] = b.shape.slice(-2) as [number, number];
  const kb = transposeB ? b1 : b0;
  const n = transposeB ? b0 : b1;
  if (k !== kb)
    throw shapeError(
      "matmul",
      `inner dimensions differ (${k} vs ${kb}${transposeB ? ", B transposed" : ""})`,
      [a.shape, b.shape],
    );
  const batch = broadcastShapes("matmul", a.shape.slice(0, -2), b.shape.slice(0, -2));
  const out = output(ctx, "float32", [...batch, m, n]);
  const count = sizeOf(batch);
  const aOffsets = broadcastOffsets([...a.shape.slice(0, -2)], batch);
  const bOffsets = broadcastOffsets([...b.shape.slice(0, -2)], batch);
  const A = a.f32;
  const B = b.f32;
  const C = out.f32;
  for (let p = 0; p < count; p++) {
    ctx.gemm.matmul(A, aOffsets[p]! * m * k, B, bOffsets[p]! * k * n, C, p * m * n, m, n, k, transposeB);
  }
  return out;
}
