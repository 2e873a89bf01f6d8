// The GEMM activation-epilogue cases of the vmath suites: act(A·B + bias) on dense output grids, against the
// plain product followed by the in-place activation (bit for bit, across threads) and against float64, and
// the rejection of unknown activations. Separate because they exercise the GEMM's tiles and threads, not the
// elementwise kernels alone.
import { describe, expect, it } from "vitest";
import type { GemmActivation, GemmEngine } from "./gemm.js";
import type { SimdKind } from "./kernels.js";
import { float32Grid, gelu64 } from "./test-math.js";
import { randomF32, referenceGemm } from "./test-utils.js";
import {
  ACT_TOL,
  CODES,
  expectGeluLimits,
  GELU_SLOPE,
  REFERENCES,
  type VmathEngines,
  worstActivationError,
} from "./vmath-suite-context.js";

/** The `GEMM activation epilogue` describe block of vmath-suite.ts. */
export function defineEpilogueSuite(simd: SimdKind, ctx: VmathEngines): void {
  describe(`GEMM activation epilogue (${simd})`, () => {
    /**
     * C = act(A·B + bias) with K = 1, A = 1 and B chosen so that every pre-activation value is exact in float32:
     * row i of C is act(values), whatever the threads' shares.
     */
    function epilogueOnValues(
      engine: GemmEngine,
      values: Float32Array,
      bias: Float32Array | undefined,
      activation: GemmActivation,
      M = 7,
    ): Float32Array {
      const heap = engine.heap;
      const N = values.length;
      const b = Float32Array.from(values, (v, j) => v - (bias?.[j] ?? 0));
      const packed = engine.packB(b, 1, N);
      const aPtr = heap.allocF32(M, new Float32Array(M).fill(1));
      const cPtr = heap.alloc(M * N * 4);
      const biasPtr = bias ? heap.allocF32(N, bias) : 0;
      engine.matmul(aPtr, M, 1, packed, cPtr, { biasPtr, activation });
      const c = heap.f32(cPtr, M * N).slice();
      packed.dispose();
      for (const p of [aPtr, cPtr]) heap.free(p);
      if (biasPtr) heap.free(biasPtr);
      return c;
    }

    it("GELU epilogue on a dense grid of outputs in [-15, 15] (with bias), threads 1 and 2", () => {
      // k / 1024 on [-15, 15] with bias j / 8 mod 2: B = value - bias is exact, so is B + bias.
      const dense = Float32Array.from({ length: 30721 }, (_, k) => (k - 15360) / 1024);
      const bias = Float32Array.from(dense, (_, j) => ((j % 17) - 8) / 8);
      // And every 4999th float32 of magnitude in [2^-30, 15) without bias (B = value exactly).
      const grid = float32Grid(2 ** -30, 15, 4999);
      for (const engine of [ctx.single, ctx.multi, ctx.eager]) {
        for (const [values, b] of [
          [dense, bias],
          [grid, undefined],
        ] as const) {
          const c = epilogueOnValues(engine, values, b, "gelu", 3);
          for (let i = 0; i < 3; i++) {
            const row = c.subarray(i * values.length, (i + 1) * values.length);
            const { worst, where } = worstActivationError(values, row, gelu64);
            expect(worst, `${engine.info.threads} threads, row ${i}: ${where}`).toBeLessThanOrEqual(ACT_TOL);
            expectGeluLimits(values, row);
          }
        }
      }
    });

    it("ReLU and tanh-GELU epilogues on the same grid", () => {
      const dense = Float32Array.from({ length: 30721 }, (_, k) => (k - 15360) / 1024);
      const bias = Float32Array.from(dense, (_, j) => ((j % 5) - 2) / 4);
      for (const activation of ["relu", "gelu-tanh"] as const) {
        const c = epilogueOnValues(ctx.multi, dense, bias, activation, 1);
        const { worst, where } = worstActivationError(dense, c, REFERENCES[activation]);
        expect(worst, `${activation}: ${where}`).toBeLessThanOrEqual(activation === "relu" ? 0 : ACT_TOL);
      }
    });

    /** Random operands whose products spread over both branches of GELU (|x| up to ~6). */
    function operands(M: number, N: number, K: number, seed: number, pad: number) {
      const lda = K + pad;
      const ldc = N + pad;
      const a = randomF32(M * lda, seed).map((v) => v * (16 / Math.sqrt(Math.max(K, 1))));
      const w = randomF32(N * K, seed + 1).map((v) => v * 2); // [N, K]: a Linear weight
      const bias = randomF32(N, seed + 2).map((v) => v * 2);
      const c0 = randomF32(M * ldc, seed + 3).map((v) => v * 4);
      return { lda, ldc, a, w, bias, c0 };
    }

    function runEpilogue(
      engine: GemmEngine,
      M: number,
      N: number,
      K: number,
      o: { activation?: GemmActivation; accumulate: boolean; unpacked: boolean; pad: number; seed: number },
    ): Float32Array {
      const heap = engine.heap;
      const { lda, ldc, a, w, bias, c0 } = operands(M, N, K, o.seed, o.pad);
      const aPtr = heap.allocF32(M * lda, a);
      const wPtr = heap.allocF32(N * K, w);
      const biasPtr = heap.allocF32(N, bias);
      const cPtr = heap.allocF32(M * ldc, c0);
      const opts = { biasPtr, accumulate: o.accumulate, lda, ldc, activation: o.activation };
      if (o.unpacked) {
        engine.matmulUnpacked(aPtr, M, K, wPtr, N, true, cPtr, opts);
      } else {
        const packed = engine.packB(w, K, N, true);
        engine.matmul(aPtr, M, K, packed, cPtr, opts);
        packed.dispose();
      }
      const c = heap.f32(cPtr, M * ldc).slice();
      for (const p of [aPtr, wPtr, biasPtr, cPtr]) heap.free(p);
      return c;
    }

    it("epilogue == plain product + activation in place, bit for bit, on 1 and 3 threads (tile edges, K blocks, accumulate, padding, matmulUnpacked)", () => {
      const shapes: [number, number, number][] = [
        [1, 1, 1],
        [5, 7, 3],
        [6, 8, 4],
        [7, 9, 5],
        [13, 17, 31],
        [37, 37, 37],
        [12, 16, 0],
        [50, 8, 300], // one panel: row shares
        [5, 200, 70], // fewer rows than a tile
        [97, 33, 257], // more than one K block and one row block
        [20, 24, 513],
      ];
      let seed = 1;
      for (const [M, N, K] of shapes) {
        for (const activation of ["gelu", "relu", "gelu-tanh"] as const) {
          for (const accumulate of [false, true]) {
            for (const unpacked of [false, true]) {
              const o = { accumulate, unpacked, pad: (M + K) % 3, seed: seed++ };
              const plain = runEpilogue(ctx.single, M, N, K, o);
              const act = runEpilogue(ctx.single, M, N, K, { ...o, activation });
              const ldc = N + o.pad;
              const expected = plain.slice();
              const tmp = ctx.single.heap.alloc(ldc * 4);
              for (let i = 0; i < M; i++) {
                // Activation of the M x N block only: the padding columns must keep their values.
                ctx.single.heap.f32(tmp, N).set(plain.subarray(i * ldc, i * ldc + N));
                ctx.raw.activationInPlace(tmp, N, CODES[activation]);
                expected.set(ctx.single.heap.f32(tmp, N), i * ldc);
              }
              ctx.single.heap.free(tmp);
              const name = `${M}x${N}x${K} ${activation} accumulate=${accumulate} unpacked=${unpacked}`;
              expect(Buffer.from(act.buffer).equals(Buffer.from(expected.buffer)), name).toBe(true);
              const act3 = runEpilogue(ctx.eager, M, N, K, { ...o, activation });
              expect(Buffer.from(act3.buffer).equals(Buffer.from(act.buffer)), `${name}, 3 threads`).toBe(
                true,
              );
            }
          }
        }
      }
    });

    it("epilogue vs float64 reference: act(A·Wᵀ + b) and act(C + A·Wᵀ + b), GELU slope times the GEMM tolerance", () => {
      for (const [M, N, K, threads] of [
        [37, 41, 29, 1],
        [13, 64, 300, 3],
        [48, 768, 768, 2], // a BERT-base FFN row block (K = 768)
      ] as const) {
        const engine = threads === 1 ? ctx.single : threads === 2 ? ctx.multi : ctx.eager;
        for (const accumulate of [false, true]) {
          const pad = 2;
          const seed = M + N + K;
          const c = runEpilogue(engine, M, N, K, {
            activation: "gelu",
            accumulate,
            unpacked: false,
            pad,
            seed,
          });
          const { lda, ldc, a, w, bias, c0 } = operands(M, N, K, seed, pad);
          const { ref, mag } = referenceGemm({
            M,
            N,
            K,
            a,
            lda,
            b: w,
            ldb: K,
            transposed: true,
            bias,
            c0: accumulate ? c0 : undefined,
            ldc,
          });
          let worst = 0;
          let where = "";
          let branches = 0;
          for (let i = 0; i < M; i++) {
            for (let j = 0; j < N; j++) {
              const r = ref[i * N + j]!;
              if (Math.abs(r) >= Math.SQRT2) branches++;
              const tol = GELU_SLOPE * (1e-5 * mag[i * N + j]! + 1e-7) + ACT_TOL * Math.max(1, Math.abs(r));
              const excess = Math.abs(c[i * ldc + j]! - gelu64(r)) / tol;
              if (!(excess <= worst)) {
                worst = Number.isNaN(excess) ? Number.POSITIVE_INFINITY : excess;
                where = `C[${i}][${j}] = ${c[i * ldc + j]}, GELU(${r}) = ${gelu64(r)}`;
              }
            }
            for (let j = N; j < ldc; j++) {
              const want = accumulate ? c0[i * ldc + j]! : c0[i * ldc + j]!;
              if (c[i * ldc + j] !== want) expect.fail(`padding C[${i}][${j}] was overwritten`);
            }
          }
          expect(worst, `${M}x${N}x${K}, accumulate=${accumulate}: ${where}`).toBeLessThanOrEqual(1);
          // Both branches of the kernel's GELU were exercised.
          expect(branches).toBeGreaterThan(M * N * 0.1);
          expect(branches).toBeLessThan(M * N * 0.9);
        }
      }
    });

    it("rejects an unknown activation before any thread starts", () => {
      const heap = ctx.single.heap;
      const packed = ctx.single.packB(randomF32(16, 1), 4, 4);
      const a = heap.alloc(16 * 4);
      const c = heap.alloc(16 * 4);
      const bad = "swish" as unknown as GemmActivation;
      expect(() => ctx.single.matmul(a, 4, 4, packed, c, { activation: bad })).toThrow(RangeError);
      expect(() => ctx.multi.matmulUnpacked(a, 4, 4, a, 4, false, c, { activation: bad })).toThrow(
        /activation/,
      );
      expect(() =>
        ctx.single.matmul(a, 4, 4, packed, c, { activation: "toString" as unknown as GemmActivation }),
      ).toThrow(RangeError);
      packed.dispose();
      heap.free(a);
      heap.free(c);
    });
  });
}
