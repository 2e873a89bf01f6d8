// Tests of the activation epilogue, the in-place activations, the row softmax and their SIMD exp / erf, shared by
// vmath.test.ts (SIMD128) and vmath.relaxed.test.ts (relaxed SIMD, run with the V8 flag). Not exported by the
// package.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GemmActivation, GemmEngine } from "./gemm.js";
import type { GemmExports, SimdKind } from "./kernels.js";
import { erf64, F32_LOWEST, float32Grid, gelu64, geluTanh64, softmax64 } from "./test-math.js";
import { randomF32, referenceGemm } from "./test-utils.js";

/** GELU's largest slope (at x ≈ 1.5 it is 1.129): how much an error of the GEMM moves its output. */
const GELU_SLOPE = 1.13;
/** The tolerance the epilogue must meet against float64: 3e-7 · max(1, |x|). */
const ACT_TOL = 3e-7;

const REFERENCES: Record<GemmActivation, (x: number) => number> = {
  gelu: gelu64,
  "gelu-tanh": geluTanh64,
  relu: (x) => Math.max(x, 0),
};
const CODES: Record<GemmActivation, number> = { gelu: 1, relu: 2, "gelu-tanh": 3 };

/** Largest |got − want| / max(1, |x|) over the inputs, with where it happened. */
function worstActivationError(
  x: Float32Array,
  got: Float32Array,
  ref: (x: number) => number,
): { worst: number; where: string } {
  let worst = 0;
  let where = "";
  for (let i = 0; i < x.length; i++) {
    const err = Math.abs(got[i]! - ref(x[i]!)) / Math.max(1, Math.abs(x[i]!));
    if (!(err <= worst)) {
      worst = Number.isNaN(err) ? Number.POSITIVE_INFINITY : err;
      where = `x = ${x[i]}: got ${got[i]}, float64 ${ref(x[i]!)}`;
    }
  }
  return { worst, where };
}

/** GELU's limits: exactly x from 12 on, exactly 0 from -12 down. */
function expectGeluLimits(x: Float32Array, got: Float32Array): void {
  for (let i = 0; i < x.length; i++) {
    const xi = x[i]!;
    if (xi >= 12 && got[i] !== xi) expect.fail(`GELU(${xi}) = ${got[i]}, expected exactly x`);
    if (xi <= -12 && got[i] !== 0) expect.fail(`GELU(${xi}) = ${got[i]}, expected exactly 0`);
  }
}

export function defineVmathSuite(simd: SimdKind): void {
  const relaxedSimd = simd === "relaxed-simd";
  let single: GemmEngine;
  let multi: GemmEngine;
  let eager: GemmEngine;
  /** A second instance of the single-thread engine's module over its memory: the raw exports. */
  let raw: GemmExports;

  beforeAll(async () => {
    single = await GemmEngine.create({ threads: 1, relaxedSimd });
    multi = await GemmEngine.create({ threads: 2, relaxedSimd });
    // Splits every call, however small, over 3 threads.
    eager = await GemmEngine.create({ threads: 3, relaxedSimd, minParallelWork: 0 });
    raw = new WebAssembly.Instance(single.module, { env: { memory: single.heap.memory } })
      .exports as unknown as GemmExports;
  });

  afterAll(async () => {
    await single?.close();
    await multi?.close();
    await eager?.close();
  });

  /** Runs an in-place export over a copy of `x` in the single-thread engine's heap. */
  function inPlace(x: Float32Array, fn: (ptr: number, n: number) => void): Float32Array {
    const heap = single.heap;
    const ptr = heap.allocF32(x.length, x);
    fn(ptr, x.length);
    const out = heap.f32(ptr, x.length).slice();
    heap.free(ptr);
    return out;
  }

  describe(`elementary functions (${simd})`, () => {
    it("engines run the requested kernels", () => {
      expect(single.info.simd).toBe(simd);
      expect(multi.info.simd).toBe(simd);
      expect(raw.usesRelaxedSimd()).toBe(relaxedSimd ? 1 : 0);
    });

    it("exp(y), y <= 0: relative error <= 2e-7 (every 499th float32 down to -87); exact 1, exact 0, NaN", () => {
      const y = float32Grid(2 ** -40, 87, 499).filter((v) => v < 0);
      const got = inPlace(y, (p, n) => raw.expInPlace(p, n));
      let worst = 0;
      let where = "";
      for (let i = 0; i < y.length; i++) {
        const want = Math.exp(y[i]!);
        const rel = Math.abs(got[i]! - want) / want;
        if (!(rel <= worst)) {
          worst = rel;
          where = `exp(${y[i]}) = ${got[i]}, float64 ${want}`;
        }
      }
      expect(worst, where).toBeLessThanOrEqual(2e-7);
      const special = new Float32Array([0, -0, -87.5, -88, -100, -1e30, F32_LOWEST, -Infinity, Number.NaN]);
      const s = inPlace(special, (p, n) => raw.expInPlace(p, n));
      expect(Array.from(s.subarray(0, 8))).toEqual([1, 1, 0, 0, 0, 0, 0, 0]);
      expect(s[8]).toBeNaN();
    });

    it("erf: absolute error <= 2e-7 on all of float32 (every 1999th float32 in [2^-30, 10), both signs)", () => {
      const x = float32Grid(2 ** -30, 10, 1999);
      const got = inPlace(x, (p, n) => raw.erfInPlace(p, n));
      let worst = 0;
      let where = "";
      for (let i = 0; i < x.length; i++) {
        const err = Math.abs(got[i]! - erf64(x[i]!));
        if (!(err <= worst)) {
          worst = err;
          where = `erf(${x[i]}) = ${got[i]}, float64 ${erf64(x[i]!)}`;
        }
      }
      expect(worst, where).toBeLessThanOrEqual(2e-7);
      // Outside the grid: tiny arguments (erf(x) = 2x/√π), far tails, infinities, zeros, NaN.
      const special = new Float32Array([
        1e-38,
        -1e-30,
        1e-10,
        10,
        -10,
        1e20,
        -3e38,
        Infinity,
        -Infinity,
        0,
        -0,
      ]);
      const s = inPlace(special, (p, n) => raw.erfInPlace(p, n));
      for (let i = 0; i < special.length; i++) {
        expect(Math.abs(s[i]! - erf64(special[i]!)), `erf(${special[i]})`).toBeLessThanOrEqual(2e-7);
      }
      expect(Object.is(s[10], -0)).toBe(true);
      expect(inPlace(new Float32Array([Number.NaN]), (p, n) => raw.erfInPlace(p, n))[0]).toBeNaN();
    });

    it("GELU in place (engine.gelu) vs float64 exact GELU: 3e-7·max(1, |x|), exact limits past ±12", () => {
      // Every 1999th float32 with magnitude in [2^-30, 16), plus the dense grid k / 1024 on [-15, 15].
      const grid = float32Grid(2 ** -30, 16, 1999);
      const dense = Float32Array.from({ length: 30721 }, (_, k) => (k - 15360) / 1024);
      for (const x of [grid, dense]) {
        const got = inPlace(x, (p, n) => single.gelu(p, n));
        const { worst, where } = worstActivationError(x, got, gelu64);
        expect(worst, where).toBeLessThanOrEqual(ACT_TOL);
        expectGeluLimits(x, got);
      }
      // Zeros, subnormals, the largest magnitudes, infinities, NaN.
      const special = new Float32Array([
        0,
        -0,
        1e-40,
        -1e-40,
        3e38,
        F32_LOWEST,
        Infinity,
        -Infinity,
        Number.NaN,
      ]);
      const s = inPlace(special, (p, n) => single.gelu(p, n));
      const finite = special.subarray(0, 6);
      const { worst, where } = worstActivationError(finite, s.subarray(0, 6), gelu64);
      expect(worst, where).toBeLessThanOrEqual(ACT_TOL);
      expectGeluLimits(finite, s);
      expect(Array.from(s.subarray(6, 8))).toEqual([Infinity, 0]);
      expect(s[8]).toBeNaN();
    });

    it("GELU in place: any length and offset (vector tail), neighbours untouched", () => {
      const heap = single.heap;
      const x = randomF32(64, 3).map((v) => v * 12);
      for (let offset = 0; offset < 4; offset++) {
        for (let n = 0; n <= 13; n++) {
          const ptr = heap.allocF32(64, x);
          single.gelu(ptr + 4 * offset, n);
          const out = heap.f32(ptr, 64).slice();
          heap.free(ptr);
          for (let i = 0; i < 64; i++) {
            const inside = i >= offset && i < offset + n;
            const want = inside ? gelu64(x[i]!) : x[i]!;
            const tol = inside ? ACT_TOL * Math.max(1, Math.abs(x[i]!)) : 0;
            if (!(Math.abs(out[i]! - want) <= tol))
              expect.fail(`offset ${offset}, n ${n}, [${i}]: ${out[i]}`);
          }
        }
      }
      expect(() => single.gelu(heap.capacity - 8, 4)).toThrow(/outside the heap/);
      expect(() => single.gelu(6, 4)).toThrow(RangeError);
    });

    it("tanh GELU and ReLU in place (activationInPlace codes 3 and 2)", () => {
      const grid = float32Grid(2 ** -30, 16, 3001);
      const tanh = inPlace(grid, (p, n) => raw.activationInPlace(p, n, CODES["gelu-tanh"]));
      const { worst, where } = worstActivationError(grid, tanh, geluTanh64);
      expect(worst, where).toBeLessThanOrEqual(ACT_TOL);
      const relu = inPlace(grid, (p, n) => raw.activationInPlace(p, n, CODES.relu));
      const reluErr = worstActivationError(grid, relu, REFERENCES.relu);
      expect(reluErr.worst, reluErr.where).toBe(0);
      const s = inPlace(new Float32Array([Infinity, -Infinity, Number.NaN]), (p, n) =>
        raw.activationInPlace(p, n, CODES["gelu-tanh"]),
      );
      expect(Array.from(s.subarray(0, 2))).toEqual([Infinity, 0]);
      expect(s[2]).toBeNaN();
      // Code 0 leaves the data alone.
      expect(inPlace(grid.subarray(0, 9), (p, n) => raw.activationInPlace(p, n, 0))).toEqual(
        grid.subarray(0, 9),
      );
    });
  });

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
      for (const engine of [single, multi, eager]) {
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
        const c = epilogueOnValues(multi, dense, bias, activation, 1);
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
              const plain = runEpilogue(single, M, N, K, o);
              const act = runEpilogue(single, M, N, K, { ...o, activation });
              const ldc = N + o.pad;
              const expected = plain.slice();
              const tmp = single.heap.alloc(ldc * 4);
              for (let i = 0; i < M; i++) {
                // Activation of the M x N block only: the padding columns must keep their values.
                single.heap.f32(tmp, N).set(plain.subarray(i * ldc, i * ldc + N));
                raw.activationInPlace(tmp, N, CODES[activation]);
                expected.set(single.heap.f32(tmp, N), i * ldc);
              }
              single.heap.free(tmp);
              const name = `${M}x${N}x${K} ${activation} accumulate=${accumulate} unpacked=${unpacked}`;
              expect(Buffer.from(act.buffer).equals(Buffer.from(expected.buffer)), name).toBe(true);
              const act3 = runEpilogue(eager, M, N, K, { ...o, activation });
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
        const engine = threads === 1 ? single : threads === 2 ? multi : eager;
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
      const heap = single.heap;
      const packed = single.packB(randomF32(16, 1), 4, 4);
      const a = heap.alloc(16 * 4);
      const c = heap.alloc(16 * 4);
      const bad = "swish" as unknown as GemmActivation;
      expect(() => single.matmul(a, 4, 4, packed, c, { activation: bad })).toThrow(RangeError);
      expect(() => multi.matmulUnpacked(a, 4, 4, a, 4, false, c, { activation: bad })).toThrow(/activation/);
      expect(() =>
        single.matmul(a, 4, 4, packed, c, { activation: "toString" as unknown as GemmActivation }),
      ).toThrow(RangeError);
      packed.dispose();
      heap.free(a);
      heap.free(c);
    });
  });

  describe(`softmaxRows (${simd})`, () => {
    /** Runs softmaxRows on a copy of `rows` (rows x cols, leading dimension ld) and returns the result. */
    function runSoftmax(
      engine: GemmEngine,
      data: Float32Array,
      rows: number,
      cols: number,
      ld: number,
      threads?: boolean | "auto",
    ): Float32Array {
      const heap = engine.heap;
      const ptr = heap.allocF32(data.length, data);
      engine.softmaxRows(ptr, rows, cols, threads === undefined ? { ld } : { ld, threads });
      const out = heap.f32(ptr, data.length).slice();
      heap.free(ptr);
      return out;
    }

    /**
     * Checks every row against float64: |got − ref| <= ref · (4e-7 + 2^-23 · |x − max|) + 1e-38 (the second
     * term is the float32 rounding of x − max, which every float32 softmax has), rows sum to 1, no NaN, padding
     * (columns cols .. ld) untouched.
     */
    function expectSoftmax(
      input: Float32Array,
      out: Float32Array,
      rows: number,
      cols: number,
      ld: number,
    ): void {
      for (let r = 0; r < rows; r++) {
        const x = input.subarray(r * ld, r * ld + cols);
        const y = out.subarray(r * ld, r * ld + cols);
        const ref = softmax64(x);
        let max = Number.NEGATIVE_INFINITY;
        for (const v of x) max = Math.max(max, v);
        let sum = 0;
        for (let j = 0; j < cols; j++) {
          const tol = ref[j] === 0 ? 1e-38 : ref[j]! * (4e-7 + 2 ** -23 * Math.abs(x[j]! - max)) + 1e-38;
          if (!(Math.abs(y[j]! - ref[j]!) <= tol)) {
            expect.fail(`row ${r} (${cols} columns), [${j}]: x = ${x[j]}, got ${y[j]}, float64 ${ref[j]}`);
          }
          sum += y[j]!;
        }
        expect(Math.abs(sum - 1), `row ${r} sums to ${sum}`).toBeLessThanOrEqual(2e-6);
        for (let j = cols; j < ld && r * ld + j < input.length; j++) {
          if (!Object.is(out[r * ld + j], input[r * ld + j])) expect.fail(`padding [${r}][${j}] overwritten`);
        }
      }
    }

    it("vs float64 on random rows of many widths (vector tails), with leading dimensions", () => {
      for (const cols of [1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 31, 33, 64, 127, 128, 129, 255, 513]) {
        for (const pad of [0, 3]) {
          const rows = 5;
          const ld = cols + pad;
          const data = randomF32(rows * ld, cols * 7 + pad).map((v) => v * 16);
          expectSoftmax(data, runSoftmax(single, data, rows, cols, ld), rows, cols, ld);
        }
      }
    });

    it("masked entries (float32's lowest value) and -Infinity give exactly 0; fully masked rows give 1/cols", () => {
      for (const cols of [1, 3, 4, 13, 16, 128]) {
        const rows = 6;
        const data = randomF32(rows * cols, cols).map((v) => v * 20);
        for (let j = 0; j < cols; j++) {
          if (j % 3 === 1) data[j] = F32_LOWEST; // row 0: every third entry masked
          data[cols + j] = F32_LOWEST; // row 1: fully masked
          if (j > 0) data[2 * cols + j] = F32_LOWEST; // row 2: all but the first masked
          if (j % 2 === 1) data[3 * cols + j] = Number.NEGATIVE_INFINITY; // row 3: -Infinity entries
          data[4 * cols + j] = j === cols - 1 ? 1e4 : F32_LOWEST; // row 4: one large value, the rest masked
        }
        const out = runSoftmax(single, data, rows, cols, cols);
        expect(out.some(Number.isNaN)).toBe(false);
        for (let j = 0; j < cols; j++) {
          if (j % 3 === 1 && cols > 1) expect(out[j]).toBe(0);
          expect(out[cols + j]).toBe(Math.fround(1 / cols));
          expect(out[2 * cols + j]).toBe(j === 0 ? 1 : 0);
          if (j % 2 === 1) expect(out[3 * cols + j]).toBe(0);
          expect(out[4 * cols + j]).toBe(j === cols - 1 ? 1 : 0);
        }
        // (A row with only -Infinity would be NaN, as in PyTorch; masking uses the lowest value instead.)
        for (const r of [0, 2, 3, 4, 5]) {
          const x = data.subarray(r * cols, (r + 1) * cols);
          expectSoftmax(x, out.subarray(r * cols, (r + 1) * cols), 1, cols, cols);
        }
      }
    });

    it("large values (±1e4) and wide spreads, no NaN", () => {
      const cols = 128;
      const rows = 4;
      const data = new Float32Array(rows * cols);
      const noise = randomF32(rows * cols, 9);
      for (let j = 0; j < cols; j++) {
        data[j] = 1e4 + noise[j]! * 8; // all near 1e4
        data[cols + j] = -1e4 + noise[cols + j]! * 8; // all near -1e4
        data[2 * cols + j] = noise[2 * cols + j]! * 2e4; // spread over [-1e4, 1e4]
        data[3 * cols + j] = j % 2 === 0 ? 1e4 : F32_LOWEST; // large and masked
      }
      const out = runSoftmax(single, data, rows, cols, cols);
      expect(out.some(Number.isNaN)).toBe(false);
      expectSoftmax(data, out, rows, cols, cols);
      for (let j = 0; j < cols; j++) expect(out[3 * cols + j]).toBe(j % 2 === 0 ? 1 / 64 : 0);
    });

    it("a NaN makes its own row NaN and leaves the others alone", () => {
      const data = randomF32(3 * 20, 4);
      data[20 + 7] = Number.NaN;
      const out = runSoftmax(single, data, 3, 20, 20);
      expect(out.subarray(20, 40).every(Number.isNaN)).toBe(true);
      expectSoftmax(data.subarray(0, 20), out.subarray(0, 20), 1, 20, 20);
      expectSoftmax(data.subarray(40), out.subarray(40), 1, 20, 20);
    });

    it("the worker pool and the calling thread give bit-identical results (attention scores 24 x 128 x 128)", () => {
      const rows = 24 * 128;
      const cols = 128;
      const data = randomF32(rows * cols, 5).map((v, i) => (i % 37 === 0 ? F32_LOWEST : v * 30));
      const ref = runSoftmax(single, data, rows, cols, cols);
      expectSoftmax(data, ref, 64, cols, cols); // the first rows against float64
      for (const [engine, threads] of [
        [multi, true],
        [multi, false],
        [multi, "auto"],
        [eager, true],
        [eager, undefined],
      ] as const) {
        const out = runSoftmax(engine, data, rows, cols, cols, threads);
        expect(
          Buffer.from(out.buffer).equals(Buffer.from(ref.buffer)),
          `${engine.info.threads} ${threads}`,
        ).toBe(true);
      }
      // Fewer rows than threads, odd widths and a leading dimension.
      for (const [r, c] of [
        [1, 9],
        [2, 1],
        [7, 33],
      ] as const) {
        const d = randomF32(r * (c + 1), r + c);
        const a = runSoftmax(single, d, r, c, c + 1);
        const b = runSoftmax(eager, d, r, c, c + 1, true);
        expect(Buffer.from(b.buffer).equals(Buffer.from(a.buffer))).toBe(true);
      }
    });

    it("rows = 0 or cols = 0 is a no-op; bad arguments throw RangeError", () => {
      const heap = single.heap;
      const p = heap.allocF32(8, [1, 2, 3, 4, 5, 6, 7, 8]);
      single.softmaxRows(p, 0, 8);
      single.softmaxRows(p, 2, 0);
      expect(Array.from(heap.f32(p, 8))).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      expect(() => single.softmaxRows(p, 2, 4, { ld: 3 })).toThrow(RangeError);
      expect(() => single.softmaxRows(p + 2, 1, 4)).toThrow(RangeError);
      expect(() => single.softmaxRows(p, 1.5, 4)).toThrow(RangeError);
      expect(() => single.softmaxRows(heap.capacity - 8, 1, 4)).toThrow(/outside the heap/);
      heap.free(p);
    });
  });
}
