// The softmaxRows cases of the vmath suites: float64 comparisons over many widths and leading dimensions,
// masked rows, large values, NaN rows, worker pool vs calling thread, argument checks. Separate from the
// activation cases: a row kernel with its own reference and tolerance.
import { describe, expect, it } from "vitest";
import type { GemmEngine } from "./gemm.js";
import type { SimdKind } from "./kernels.js";
import { F32_LOWEST, softmax64 } from "./test-math.js";
import { randomF32 } from "./test-utils.js";
import type { VmathEngines } from "./vmath-suite-context.js";

/** The `softmaxRows` describe block of vmath-suite.ts. */
export function defineSoftmaxSuite(simd: SimdKind, ctx: VmathEngines): void {
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
          expectSoftmax(data, runSoftmax(ctx.single, data, rows, cols, ld), rows, cols, ld);
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
        const out = runSoftmax(ctx.single, data, rows, cols, cols);
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
      const out = runSoftmax(ctx.single, data, rows, cols, cols);
      expect(out.some(Number.isNaN)).toBe(false);
      expectSoftmax(data, out, rows, cols, cols);
      for (let j = 0; j < cols; j++) expect(out[3 * cols + j]).toBe(j % 2 === 0 ? 1 / 64 : 0);
    });

    it("a NaN makes its own row NaN and leaves the others alone", () => {
      const data = randomF32(3 * 20, 4);
      data[20 + 7] = Number.NaN;
      const out = runSoftmax(ctx.single, data, 3, 20, 20);
      expect(out.subarray(20, 40).every(Number.isNaN)).toBe(true);
      expectSoftmax(data.subarray(0, 20), out.subarray(0, 20), 1, 20, 20);
      expectSoftmax(data.subarray(40), out.subarray(40), 1, 20, 20);
    });

    it("the worker pool and the calling thread give bit-identical results (attention scores 24 x 128 x 128)", () => {
      const rows = 24 * 128;
      const cols = 128;
      const data = randomF32(rows * cols, 5).map((v, i) => (i % 37 === 0 ? F32_LOWEST : v * 30));
      const ref = runSoftmax(ctx.single, data, rows, cols, cols);
      expectSoftmax(data, ref, 64, cols, cols); // the first rows against float64
      for (const [engine, threads] of [
        [ctx.multi, true],
        [ctx.multi, false],
        [ctx.multi, "auto"],
        [ctx.eager, true],
        [ctx.eager, undefined],
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
        const a = runSoftmax(ctx.single, d, r, c, c + 1);
        const b = runSoftmax(ctx.eager, d, r, c, c + 1, true);
        expect(Buffer.from(b.buffer).equals(Buffer.from(a.buffer))).toBe(true);
      }
    });

    it("rows = 0 or cols = 0 is a no-op; bad arguments throw RangeError", () => {
      const heap = ctx.single.heap;
      const p = heap.allocF32(8, [1, 2, 3, 4, 5, 6, 7, 8]);
      ctx.single.softmaxRows(p, 0, 8);
      ctx.single.softmaxRows(p, 2, 0);
      expect(Array.from(heap.f32(p, 8))).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      expect(() => ctx.single.softmaxRows(p, 2, 4, { ld: 3 })).toThrow(RangeError);
      expect(() => ctx.single.softmaxRows(p + 2, 1, 4)).toThrow(RangeError);
      expect(() => ctx.single.softmaxRows(p, 1.5, 4)).toThrow(RangeError);
      expect(() => ctx.single.softmaxRows(heap.capacity - 8, 1, 4)).toThrow(/outside the heap/);
      heap.free(p);
    });
  });
}
