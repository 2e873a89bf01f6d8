// Packing of the B operand into NR-wide, K-major panels (packedBSize, packBStrided, packB), the layout the
// micro-kernels read. Separate from gemm.ts: it runs once per weight, not per product, and only shares the
// panel width with the kernels. gemm.ts (the compiled entry) re-exports these functions.

import { NR } from "./microkernel";

/** Size of packed B for a K x N operand, in floats. */
export function packedBSize(K: i32, N: i32): i32 {
  return ((N + NR - 1) / NR) * NR * K;
}

/**
 * Packs B into panels. B[k][n] is read from src + 4 * (k * ld + n) when transposed = 0, and from
 * src + 4 * (n * ld + k) when transposed = 1 (B given as N x K row-major, e.g. a PyTorch Linear weight
 * [out, in]).
 */
export function packBStrided(src: usize, ld: i32, K: i32, N: i32, transposed: i32, dst: usize): void {
  const panels = (N + NR - 1) / NR;
  const ldb = (<usize>ld) << 2;
  for (let p = 0; p < panels; p++) {
    const n0 = p * NR;
    const nv = min(NR, N - n0);
    let d = dst + ((<usize>p * <usize>K * <usize>NR) << 2);
    if (transposed === 0) {
      let s = src + ((<usize>n0) << 2);
      if (nv === NR) {
        for (let k = 0; k < K; k++) {
          v128.store(d, v128.load(s));
          v128.store(d, v128.load(s, 16), 16);
          s += ldb;
          d += NR << 2;
        }
      } else {
        for (let k = 0; k < K; k++) {
          for (let j = 0; j < NR; j++) {
            store<f32>(d + ((<usize>j) << 2), j < nv ? load<f32>(s + ((<usize>j) << 2)) : 0);
          }
          s += ldb;
          d += NR << 2;
        }
      }
    } else {
      // Rows n0 .. n0 + nv of the N x K source; 4 x 4 blocks are transposed in registers.
      const s0 = src + <usize>n0 * ldb;
      if (nv === NR) {
        let k = 0;
        for (; k + 4 <= K; k += 4) {
          const kOff = (<usize>k) << 2;
          for (let g = 0; g < NR; g += 4) {
            const r = s0 + <usize>g * ldb + kOff;
            const x0 = v128.load(r);
            const x1 = v128.load(r + ldb);
            const x2 = v128.load(r + 2 * ldb);
            const x3 = v128.load(r + 3 * ldb);
            const t0 = i32x4.shuffle(x0, x1, 0, 4, 1, 5);
            const t1 = i32x4.shuffle(x2, x3, 0, 4, 1, 5);
            const t2 = i32x4.shuffle(x0, x1, 2, 6, 3, 7);
            const t3 = i32x4.shuffle(x2, x3, 2, 6, 3, 7);
            const o = d + ((<usize>g) << 2);
            v128.store(o, i64x2.shuffle(t0, t1, 0, 2));
            v128.store(o, i64x2.shuffle(t0, t1, 1, 3), NR * 4);
            v128.store(o, i64x2.shuffle(t2, t3, 0, 2), NR * 8);
            v128.store(o, i64x2.shuffle(t2, t3, 1, 3), NR * 12);
          }
          d += NR << 4;
        }
        for (; k < K; k++) {
          for (let j = 0; j < NR; j++) {
            store<f32>(d + ((<usize>j) << 2), load<f32>(s0 + <usize>j * ldb + ((<usize>k) << 2)));
          }
          d += NR << 2;
        }
      } else {
        for (let k = 0; k < K; k++) {
          for (let j = 0; j < NR; j++) {
            store<f32>(
              d + ((<usize>j) << 2),
              j < nv ? load<f32>(s0 + <usize>j * ldb + ((<usize>k) << 2)) : 0,
            );
          }
          d += NR << 2;
        }
      }
    }
  }
}

/** packBStrided with the dense leading dimension (N, or K when transposed). */
export function packB(src: usize, K: i32, N: i32, transposed: i32, dst: usize): void {
  packBStrided(src, transposed !== 0 ? K : N, K, N, transposed, dst);
}
