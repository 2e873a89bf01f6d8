// a [..., M, K] · b [..., K, N] (b [..., N, K] with transposeB), batch dimensions broadcast as numpy's.
import { broadcastShapes, type OpAttrs, type OpInputs, type PrimitiveOps, shapeError } from "@deberta/tensor";
import type { GpuTensor } from "../gpu-tensor.js";
import { stridesOf } from "../program.js";
import type { GpuContext } from "./context.js";
import { gemm } from "./gemm.js";

/** Strides of a batch shape against the broadcast batch shape (0 on broadcast axes), per matrix of `size`. */
function batchStrides(batch: readonly number[], out: readonly number[], size: number): number[] {
  const padded = [...new Array<number>(out.length - batch.length).fill(1), ...batch];
  return stridesOf(padded).map((s, i) => (padded[i] === 1 && out[i] !== 1 ? 0 : s * size));
}

export function matmul(
  ctx: GpuContext,
  inputs: OpInputs<PrimitiveOps, "matmul">,
  attrs: OpAttrs<PrimitiveOps, "matmul">,
): GpuTensor {
  const a = ctx.tensor(inputs.a, "matmul");
  const b = ctx.tensor(inputs.b, "matmul");
  const shapes = [a.shape, b.shape];
  if (a.shape.length < 2 || b.shape.length < 2 || !a.isFloat || !b.isFloat)
    throw shapeError("matmul", "needs float inputs of rank ≥ 2", shapes);
  const transposeB = attrs.transposeB ?? false;
  const [m, k] = a.shape.slice(-2) as [number, number];
  const [bRows, bCols] = b.shape.slice(-2) as [number, number];
  const n = transposeB ? bRows : bCols;
  if ((transposeB ? bCols : bRows) !== k) throw shapeError("matmul", "inner dimensions differ", shapes);
  const batchA = a.shape.slice(0, -2);
  const batchB = b.shape.slice(0, -2);
  const batch = broadcastShapes("matmul", batchA, batchB);
  if (batch.length > 4) throw shapeError("matmul", "more than 4 batch dimensions", shapes);
  const out = ctx.alloc(ctx.floatDtype, [...batch, m, n], "matmul");
  if (batchB.every((d) => d === 1)) {
    // One B for every batch: the batches of A are consecutive rows of one taller product.
    const rows = batch.reduce((p, d) => p * d, 1) * m;
    gemm(ctx, { a, b, out, m: rows, n, k, transposeB, batch: { shape: [], stridesA: [], stridesB: [] } });
    return out;
  }
  gemm(ctx, {
    a,
    b,
    out,
    m,
    n,
    k,
    transposeB,
    batch: {
      shape: batch,
      stridesA: batchStrides(batchA, batch, m * k),
      stridesB: batchStrides(batchB, batch, k * n),
    },
  });
  return out;
}
