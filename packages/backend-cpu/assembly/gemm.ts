// Float32 GEMM kernels for the CPU backend, compiled by AssemblyScript to WebAssembly SIMD128.
//
// The same source is compiled into several variants by scripts/build-wasm.mjs:
//   - SIMD128: multiply + add (`f32x4.mul` then `f32x4.add`),
//   - relaxed SIMD: fused multiply-add (`f32x4.relaxed_madd`), selected at compile time through
//     the builtin constant ASC_FEATURE_RELAXED_SIMD,
// each with an imported shared memory (threads) and with an imported non-shared memory.
//
// All pointers are byte offsets into the imported memory. The module has no data segments, no start
// function and no globals of its own, so any number of threads may instantiate it over one shared memory.
//
// Layouts:
//   A: row-major M x K with leading dimension lda (floats).
//   packed B: ceil(N / NR) panels; panel p holds columns [p*NR, p*NR + NR) as K rows of NR floats
//     (K-major), zero-padded past N. Panel p starts at float offset p * K * NR.
//   C: row-major M x N with leading dimension ldc (floats).
//
// Besides the GEMM (with an optional activation epilogue), the module exports the row softmax and in-place
// activations built on the f32x4 elementary functions of assembly/vmath.ts.
//
// Files: this one is the compiled entry (the loop nest, gemm(), the activation epilogue and the module's
// exports); assembly/pack.ts packs B; assembly/microkernel.ts holds the register tiles; assembly/rowwise.ts
// the elementwise and row kernels; assembly/vmath.ts the f32x4 exp / erf / activations.

import { activateBlock, INIT_LOAD, INIT_SCALE, INIT_ZERO, MR, NR, tileEdge, tileFull } from "./microkernel";

// The compiled entry: the functions these re-export are exports of the WebAssembly module too.
export { packB, packBStrided, packedBSize } from "./pack";
export { activationInPlace, erfInPlace, expInPlace, geluInPlace, softmaxRows } from "./rowwise";

// Cache blocking over K: a KC x NR panel of B is 8 KiB (stays in L1 while MC rows of A pass over it).
const KC: i32 = 256;
const MC: i32 = 96;

/** Rows of the register tile. */
export function tileRows(): i32 {
  return MR;
}

/** Columns of a packed-B panel (the register tile's width). */
export function panelWidth(): i32 {
  return NR;
}

/** 1 when this build uses relaxed-SIMD fused multiply-add, else 0. */
export function usesRelaxedSimd(): i32 {
  return ASC_FEATURE_RELAXED_SIMD ? 1 : 0;
}

/**
 * C[rowStart:rowEnd, colStart:colEnd] = act(A * B (+ bias[n]) (+ beta * C)).
 * A: M x K row-major (leading dimension lda); packedB from packB for the full K x N operand;
 * C: leading dimension ldc; bias: 0 or pointer to N floats; beta: 0 (overwrite), 1 (accumulate) or any
 * other scale of the previous C; act: activation applied to every finished block of C (0 none,
 * 1 exact GELU, 2 ReLU, 3 tanh GELU; see assembly/vmath.ts and activateBlock), on the thread that
 * computed it.
 */
export function gemm(
  a: usize,
  lda: i32,
  packedB: usize,
  c: usize,
  ldc: i32,
  M: i32,
  N: i32,
  K: i32,
  bias: usize,
  beta: f32,
  rowStart: i32,
  rowEnd: i32,
  colStart: i32,
  colEnd: i32,
  act: i32,
): void {
  const r0 = max(rowStart, 0);
  const r1 = min(rowEnd, M);
  const q0 = max(colStart, 0);
  const q1 = min(colEnd, N);
  if (r0 >= r1 || q0 >= q1) return;
  const ldaB = (<usize>lda) << 2;
  const ldcB = (<usize>ldc) << 2;
  const pFirst = q0 / NR;
  const pEnd = (q1 + NR - 1) / NR;
  const firstMode = beta === 0 ? INIT_ZERO : beta === 1 ? INIT_LOAD : INIT_SCALE;
  let kb = 0;
  do {
    const kl = min(KC, K - kb);
    const mode = kb === 0 ? firstMode : INIT_LOAD;
    // The activation runs on each row block of each panel once its last K block is done.
    const epi = kb + kl >= K ? act : 0;
    for (let ib = r0; ib < r1; ib += MC) {
      const ie = min(ib + MC, r1);
      for (let p = pFirst; p < pEnd; p++) {
        const n0 = p * NR;
        const lo = max(q0 - n0, 0);
        const hi = min(q1 - n0, NR);
        const bp = packedB + ((<usize>p * <usize>K * <usize>NR + <usize>kb * <usize>NR) << 2);
        const biasP = kb === 0 && bias !== 0 ? bias + ((<usize>n0) << 2) : 0;
        const aK = a + ((<usize>kb) << 2);
        const cN = c + ((<usize>n0) << 2);
        let i = ib;
        if (lo === 0 && hi === NR) {
          // Full tiles: the unrolled kernel over the first kl4 = kl & ~3 steps, then (only when K % 4 != 0 in
          // the last block) the remaining 1-3 steps accumulate through the edge kernel.
          const kl4 = kl & ~3;
          for (; i + MR <= ie; i += MR) {
            const ai = aK + <usize>i * ldaB;
            const ci = cN + <usize>i * ldcB;
            if (kl4 > 0) {
              tileFull(ai, ldaB, bp, kl4, ci, ldcB, mode, beta, biasP);
              if (kl4 < kl) {
                tileEdge(
                  ai + ((<usize>kl4) << 2),
                  ldaB,
                  MR,
                  bp + ((<usize>kl4 * NR) << 2),
                  kl - kl4,
                  ci,
                  ldcB,
                  0,
                  NR,
                  INIT_LOAD,
                  1,
                  0,
                );
              }
            } else {
              tileEdge(ai, ldaB, MR, bp, kl, ci, ldcB, 0, NR, mode, beta, biasP);
            }
          }
        }
        for (; i < ie; i += MR) {
          tileEdge(
            aK + <usize>i * ldaB,
            ldaB,
            min(MR, ie - i),
            bp,
            kl,
            cN + <usize>i * ldcB,
            ldcB,
            lo,
            hi,
            mode,
            beta,
            biasP,
          );
        }
        if (epi !== 0) activateBlock(cN + <usize>ib * ldcB, ldcB, ie - ib, lo, hi, epi);
      }
    }
    kb += KC;
  } while (kb < K);
}
