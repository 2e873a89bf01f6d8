// matmul: a [..., M, K] · b [..., K, N] (or b [..., N, K] with transposeB), batch dimensions broadcast
// (kernels/matmul.cu, one grid z per output batch). With a 2-D b, a's batch folds into M.
import { broadcastShapes, type OpAttrs, type OpInputs, type PrimitiveOps, shapeError } from "@deberta/tensor";
import type { CudaTensor } from "../cuda-tensor.js";
import { broadcastStrides, Params } from "../params.js";
import { type CudaContext, floatKernel } from "./context.js";
import { requireFloat } from "./indices.js";

const TILE = 16;
const MAX_GRID_Z = 65535;

/** c = a · b (or bᵀ) for row-major a [M, K] per batch, launched over the broadcast batch shape. */
export function gemmKernel(
  ctx: CudaContext,
  op: string,
  out: CudaTensor,
  a: CudaTensor,
  b: CudaTensor,
  m: number,
  n: number,
  k: number,
  transposeB: boolean,
  batchShape: readonly number[],
  batchStrideA: readonly number[],
  batchStrideB: readonly number[],
): void {
  const batch = batchShape.reduce((x, y) => x * y, 1);
  if (batch > MAX_GRID_Z)
    throw shapeError(op, `batch of ${batch} matrices is above ${MAX_GRID_Z}`, [a.shape, b.shape]);
  if (m === 0 || n === 0 || batch === 0) return;
  const p = new Params()
    .ptr(out.ptr)
    .ptr(a.ptr)
    .ptr(b.ptr)
    .i32(m)
    .i32(n)
    .i32(k)
    .i32(transposeB ? 1 : 0)
    .i32(batchShape.length)
    .dims(batchShape)
    .dims(batchStrideA)
    .dims(batchStrideB);
  ctx.launch(
    op,
    floatKernel(ctx, "matmul"),
    [Math.ceil(n / TILE), Math.ceil(m / TILE), batch],
    [TILE, TILE, 1],
    p,
  );
}

export function matmul(
  ctx: CudaContext,
  inputs: OpInputs<PrimitiveOps, "matmul">,
  attrs: OpAttrs<PrimitiveOps, "matmul">,
): CudaTensor {
  const a = ctx.tensor(inputs.a, "matmul");
  const b = ctx.tensor(inputs.b, "matmul");
  requireFloat("matmul", a, "a");
  requireFloat("matmul", b, "b");
  const shapes = [a.shape, b.shape];
  if (a.shape.length < 2 || b.shape.length < 2)
    throw shapeError("matmul", "inputs must be at least 2-D", shapes);
  const transposeB = attrs.transposeB ?? false;
  const [m, k] = a.shape.slice(-2) as [number, number];
  const [b0, b1] = b.shape.slice(-2) as [number, number];
  const kb = transposeB ? b1 : b0;
  const n = transposeB ? b0 : b1;
  if (k !== kb) throw shapeError("matmul", `inner dimensions differ (${k} vs ${kb})`, shapes);
  const batchA = a.shape.slice(0, -2);
  const batchB = b.shape.slice(0, -2);
  const batchShape = broadcastShapes("matmul", batchA, batchB);
  const out = ctx.alloc("float32", [...batchShape, m, n], "matmul");
  if (batchB.length === 0) {
    // b is one matrix: a's batch is just more rows.
    const rows = batchA.reduce((x, y) => x * y, 1) * m;
    gemmKernel(ctx, "matmul", out, a, b, rows, n, k, transposeB, [], [], []);
    return out;
  }
  const scale = (strides: number[], size: number) => strides.map((s) => s * size);
  gemmKernel(
    ctx,
    "matmul",
    out,
    a,
    b,
    m,
    n,
    k,
    transposeB,
    batchShape,
    scale(broadcastStrides(batchA, batchShape), m * k),
    scale(broadcastStrides(batchB, batchShape), b0 * b1),
  );
  return out;
}
