// Helpers for the GEMM tests (not exported by the package).
import { expect } from "vitest";
import type { GemmEngine } from "./gemm.js";

/** Deterministic uniform values in [-0.5, 0.5). */
export function randomF32(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = (x >>> 0) / 4294967296 - 0.5;
  }
  return out;
}

export interface RefProblem {
  M: number;
  N: number;
  K: number;
  /** A, M x K with leading dimension lda. */
  a: Float32Array;
  lda: number;
  /** B as stored: K x N (ldb >= N), or N x K (ldb >= K) when transposed. */
  b: Float32Array;
  ldb: number;
  transposed: boolean;
  bias?: Float32Array | undefined;
  /** Initial C (M x N, leading dimension ldc) when accumulating. */
  c0?: Float32Array | undefined;
  ldc: number;
}

/** C = A·B (+ bias) (+ c0) in float64, plus the per-element magnitude sum used for the tolerance. */
export function referenceGemm(p: RefProblem): { ref: Float64Array; mag: Float64Array } {
  const { M, N, K, a, lda, b, ldb, transposed, bias, c0, ldc } = p;
  const ref = new Float64Array(M * N);
  const mag = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      let m = 0;
      for (let k = 0; k < K; k++) {
        const av = a[i * lda + k]!;
        const bv = transposed ? b[j * ldb + k]! : b[k * ldb + j]!;
        s += av * bv;
        m += Math.abs(av * bv);
      }
      if (bias) {
        s += bias[j]!;
        m += Math.abs(bias[j]!);
      }
      if (c0) {
        s += c0[i * ldc + j]!;
        m += Math.abs(c0[i * ldc + j]!);
      }
      ref[i * N + j] = s;
      mag[i * N + j] = m;
    }
  }
  return { ref, mag };
}

/**
 * Checks C (M x N, leading dimension ldc) against the float64 reference: |c - ref| <= 1e-5 · Σ|terms|
 * (the relative tolerance 1e-5 scaled by K through the sum over k), plus 1e-7 absolute.
 */
export function expectClose(
  c: Float32Array,
  ldc: number,
  M: number,
  N: number,
  ref: Float64Array,
  mag: Float64Array,
): void {
  let worst = 0;
  let where = "";
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      const got = c[i * ldc + j]!;
      const want = ref[i * N + j]!;
      const tol = 1e-5 * mag[i * N + j]! + 1e-7;
      const excess = Math.abs(got - want) / tol;
      if (!(excess <= worst)) {
        worst = Number.isNaN(excess) ? Number.POSITIVE_INFINITY : excess;
        where = `C[${i}][${j}] = ${got}, reference ${want}, tolerance ${tol}`;
      }
    }
  }
  expect(worst <= 1, where).toBe(true);
}

export interface RunOptions {
  transposed: boolean;
  bias: boolean;
  accumulate: boolean;
  /** Extra floats of padding per row of A / B / C (leading dimensions larger than the row). */
  pad?: number;
  /** Use matmulUnpacked instead of packB + matmul. */
  unpacked?: boolean;
  seed?: number;
}

/** Runs one product on the engine and returns C (copied out) with what the reference needs. */
export function runProduct(
  engine: GemmEngine,
  M: number,
  N: number,
  K: number,
  o: RunOptions,
): { c: Float32Array; ldc: number; problem: RefProblem } {
  const heap = engine.heap;
  const pad = o.pad ?? 0;
  const seed = o.seed ?? M * 1000003 + N * 1009 + K;
  const lda = K + pad;
  const ldb = (o.transposed ? K : N) + pad;
  const ldc = N + pad;
  const bRows = o.transposed ? N : K;
  const a = randomF32(M * lda, seed);
  const b = randomF32(bRows * ldb, seed + 1);
  const bias = o.bias ? randomF32(N, seed + 2) : undefined;
  const c0 = o.accumulate ? randomF32(M * ldc, seed + 3) : undefined;
  const aPtr = heap.allocF32(M * lda, a);
  const bPtr = heap.allocF32(bRows * ldb, b);
  const cPtr = heap.allocF32(M * ldc, c0 ?? new Float32Array(M * ldc).fill(Number.NaN));
  const biasPtr = bias ? heap.allocF32(N, bias) : 0;
  const opts = { biasPtr, accumulate: o.accumulate, lda, ldc };
  if (o.unpacked) {
    engine.matmulUnpacked(aPtr, M, K, bPtr, N, o.transposed, cPtr, { ...opts, ldb });
  } else if (pad === 0) {
    const packed = engine.packB(b, K, N, o.transposed);
    engine.matmul(aPtr, M, K, packed, cPtr, opts);
    packed.dispose();
  } else {
    // Strided B: pack through matmulUnpacked's path is covered elsewhere; here copy B densely first.
    const dense = new Float32Array(bRows * (o.transposed ? K : N));
    const w = o.transposed ? K : N;
    for (let r = 0; r < bRows; r++) dense.set(b.subarray(r * ldb, r * ldb + w), r * w);
    const packed = engine.packB(dense, K, N, o.transposed);
    engine.matmul(aPtr, M, K, packed, cPtr, opts);
    packed.dispose();
  }
  const c = heap.f32(cPtr, M * ldc).slice();
  for (const p of [aPtr, bPtr, cPtr]) heap.free(p);
  if (biasPtr) heap.free(biasPtr);
  return { c, ldc, problem: { M, N, K, a, lda, b, ldb, transposed: o.transposed, bias, c0, ldc } };
}

/** runProduct + the reference check. Returns C for further comparisons. */
export function checkProduct(
  engine: GemmEngine,
  M: number,
  N: number,
  K: number,
  o: RunOptions,
): Float32Array {
  const { c, ldc, problem } = runProduct(engine, M, N, K, o);
  const { ref, mag } = referenceGemm(problem);
  expectClose(c, ldc, M, N, ref, mag);
  if (ldc > N) {
    // Padding columns of C are never written.
    for (let i = 0; i < M; i++) {
      for (let j = N; j < ldc; j++) {
        const want = problem.c0 ? problem.c0[i * ldc + j]! : Number.NaN;
        const got = c[i * ldc + j]!;
        if (!(Object.is(got, want) || (Number.isNaN(got) && Number.isNaN(want)))) {
          expect.fail(`padding C[${i}][${j}] was overwritten: ${got}`);
        }
      }
    }
  }
  return c;
}
