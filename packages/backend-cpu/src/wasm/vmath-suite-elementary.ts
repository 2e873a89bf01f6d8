// The elementary-function cases of the vmath suites: the SIMD exp and erf against float64, and the in-place
// activations (GELU, tanh GELU, ReLU) over any length and offset. Separate from the epilogue and softmax
// cases, which run the same functions inside the GEMM and the row softmax.
import { describe, expect, it } from "vitest";
import type { SimdKind } from "./kernels.js";
import { erf64, F32_LOWEST, float32Grid, gelu64, geluTanh64 } from "./test-math.js";
import { randomF32 } from "./test-utils.js";
import {
  ACT_TOL,
  CODES,
  expectGeluLimits,
  inPlace,
  REFERENCES,
  type VmathEngines,
  worstActivationError,
} from "./vmath-suite-context.js";

/** The `elementary functions` describe block of vmath-suite.ts. */
export function defineElementarySuite(simd: SimdKind, ctx: VmathEngines): void {
  const relaxedSimd = simd === "relaxed-simd";
  describe(`elementary functions (${simd})`, () => {
    it("engines run the requested kernels", () => {
      expect(ctx.single.info.simd).toBe(simd);
      expect(ctx.multi.info.simd).toBe(simd);
      expect(ctx.raw.usesRelaxedSimd()).toBe(relaxedSimd ? 1 : 0);
    });

    it("exp(y), y <= 0: relative error <= 2e-7 (every 499th float32 down to -87); exact 1, exact 0, NaN", () => {
      const y = float32Grid(2 ** -40, 87, 499).filter((v) => v < 0);
      const got = inPlace(ctx.single, y, (p, n) => ctx.raw.expInPlace(p, n));
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
      const s = inPlace(ctx.single, special, (p, n) => ctx.raw.expInPlace(p, n));
      expect(Array.from(s.subarray(0, 8))).toEqual([1, 1, 0, 0, 0, 0, 0, 0]);
      expect(s[8]).toBeNaN();
    });

    it("erf: absolute error <= 2e-7 on all of float32 (every 1999th float32 in [2^-30, 10), both signs)", () => {
      const x = float32Grid(2 ** -30, 10, 1999);
      const got = inPlace(ctx.single, x, (p, n) => ctx.raw.erfInPlace(p, n));
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
      const s = inPlace(ctx.single, special, (p, n) => ctx.raw.erfInPlace(p, n));
      for (let i = 0; i < special.length; i++) {
        expect(Math.abs(s[i]! - erf64(special[i]!)), `erf(${special[i]})`).toBeLessThanOrEqual(2e-7);
      }
      expect(Object.is(s[10], -0)).toBe(true);
      expect(
        inPlace(ctx.single, new Float32Array([Number.NaN]), (p, n) => ctx.raw.erfInPlace(p, n))[0],
      ).toBeNaN();
    });

    it("GELU in place (engine.gelu) vs float64 exact GELU: 3e-7·max(1, |x|), exact limits past ±12", () => {
      // Every 1999th float32 with magnitude in [2^-30, 16), plus the dense grid k / 1024 on [-15, 15].
      const grid = float32Grid(2 ** -30, 16, 1999);
      const dense = Float32Array.from({ length: 30721 }, (_, k) => (k - 15360) / 1024);
      for (const x of [grid, dense]) {
        const got = inPlace(ctx.single, x, (p, n) => ctx.single.gelu(p, n));
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
      const s = inPlace(ctx.single, special, (p, n) => ctx.single.gelu(p, n));
      const finite = special.subarray(0, 6);
      const { worst, where } = worstActivationError(finite, s.subarray(0, 6), gelu64);
      expect(worst, where).toBeLessThanOrEqual(ACT_TOL);
      expectGeluLimits(finite, s);
      expect(Array.from(s.subarray(6, 8))).toEqual([Infinity, 0]);
      expect(s[8]).toBeNaN();
    });

    it("GELU in place: any length and offset (vector tail), neighbours untouched", () => {
      const heap = ctx.single.heap;
      const x = randomF32(64, 3).map((v) => v * 12);
      for (let offset = 0; offset < 4; offset++) {
        for (let n = 0; n <= 13; n++) {
          const ptr = heap.allocF32(64, x);
          ctx.single.gelu(ptr + 4 * offset, n);
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
      expect(() => ctx.single.gelu(heap.capacity - 8, 4)).toThrow(/outside the heap/);
      expect(() => ctx.single.gelu(6, 4)).toThrow(RangeError);
    });

    it("tanh GELU and ReLU in place (activationInPlace codes 3 and 2)", () => {
      const grid = float32Grid(2 ** -30, 16, 3001);
      const tanh = inPlace(ctx.single, grid, (p, n) => ctx.raw.activationInPlace(p, n, CODES["gelu-tanh"]));
      const { worst, where } = worstActivationError(grid, tanh, geluTanh64);
      expect(worst, where).toBeLessThanOrEqual(ACT_TOL);
      const relu = inPlace(ctx.single, grid, (p, n) => ctx.raw.activationInPlace(p, n, CODES.relu));
      const reluErr = worstActivationError(grid, relu, REFERENCES.relu);
      expect(reluErr.worst, reluErr.where).toBe(0);
      const s = inPlace(ctx.single, new Float32Array([Infinity, -Infinity, Number.NaN]), (p, n) =>
        ctx.raw.activationInPlace(p, n, CODES["gelu-tanh"]),
      );
      expect(Array.from(s.subarray(0, 2))).toEqual([Infinity, 0]);
      expect(s[2]).toBeNaN();
      // Code 0 leaves the data alone.
      expect(inPlace(ctx.single, grid.subarray(0, 9), (p, n) => ctx.raw.activationInPlace(p, n, 0))).toEqual(
        grid.subarray(0, 9),
      );
    });
  });
}
