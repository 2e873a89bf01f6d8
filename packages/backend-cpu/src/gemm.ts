/**
 * The matrix multiply the kernels call: C[M, N] (+)= A[M, K] · B, with B given as [K, N] or, transposed,
 * as [N, K] (PyTorch's Linear layout). Offsets let callers address matrices inside batched buffers.
 */
export interface Gemm {
  readonly name: string;
  matmul(
    a: Float32Array,
    aOffset: number,
    b: Float32Array,
    bOffset: number,
    c: Float32Array,
    cOffset: number,
    m: number,
    n: number,
    k: number,
    transposeB: boolean,
  ): void;
}

/**
 * Plain-JavaScript GEMM, the last fallback when WebAssembly SIMD is missing: row-of-A times row-of-B
 * accumulation (i-k-j order), which keeps the inner loop on contiguous memory.
 */
export const jsGemm: Gemm = {
  name: "js",
  matmul(a, aOffset, b, bOffset, c, cOffset, m, n, k, transposeB) {
    if (transposeB) {
      for (let i = 0; i < m; i++) {
        const ai = aOffset + i * k;
        for (let j = 0; j < n; j++) {
          const bj = bOffset + j * k;
          let s0 = 0;
          let s1 = 0;
          let s2 = 0;
          let s3 = 0;
          let t = 0;
          for (; t + 3 < k; t += 4) {
            s0 += a[ai + t]! * b[bj + t]!;
            s1 += a[ai + t + 1]! * b[bj + t + 1]!;
            s2 += a[ai + t + 2]! * b[bj + t + 2]!;
            s3 += a[ai + t + 3]! * b[bj + t + 3]!;
          }
          for (; t < k; t++) s0 += a[ai + t]! * b[bj + t]!;
          c[cOffset + i * n + j] = s0 + s1 + s2 + s3;
        }
      }
      return;
    }
    for (let i = 0; i < m; i++) {
      const ci = cOffset + i * n;
      c.fill(0, ci, ci + n);
      const ai = aOffset + i * k;
      for (let t = 0; t < k; t++) {
        const av = a[ai + t]!;
        if (av === 0) continue;
        const bt = bOffset + t * n;
        for (let j = 0; j < n; j++) c[ci + j]! += av * b[bt + j]!;
      }
    }
  },
};
