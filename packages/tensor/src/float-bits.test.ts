import { describe, expect, it } from "vitest";
import { MAGNITUDE_MASK, magnitudeLimitBits } from "./float-bits.js";
import { fromHalfBits, toHalfBits } from "./half.js";

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const bitsOfFloat32 = (v: number) => {
  f32[0] = v;
  return u32[0]!;
};
const valueOfFloat32 = (bits: number) => {
  u32[0] = bits >>> 0;
  return f32[0]!;
};
const valueOfBfloat16 = (bits: number) => valueOfFloat32(bits << 16);

/** Whether a stored value counts, by the bit comparison the kernels make. */
const counts = (bits: number, limitBits: number, storage: keyof typeof MAGNITUDE_MASK) =>
  (bits & MAGNITUDE_MASK[storage]) >>> 0 >= limitBits;

describe("magnitudeLimitBits", () => {
  it("is float16's largest value for 65504, and infinity's bits beyond the finite range", () => {
    expect(magnitudeLimitBits(65504, "float16")).toBe(0x7bff);
    expect(magnitudeLimitBits(65505, "float16")).toBe(0x7c00);
    expect(magnitudeLimitBits(1e6, "float16")).toBe(0x7c00);
    expect(magnitudeLimitBits(Number.POSITIVE_INFINITY, "float16")).toBe(0x7c00);
    expect(magnitudeLimitBits(65504, "float32")).toBe(bitsOfFloat32(65504));
    // bfloat16 steps by 256 there: 65280 < 65504 ≤ 65536.
    expect(valueOfBfloat16(magnitudeLimitBits(65504, "bfloat16"))).toBe(65536);
    expect(magnitudeLimitBits(0, "float32")).toBe(0);
    expect(magnitudeLimitBits(-3, "float16")).toBe(0);
  });

  it("rounds an inexact limit up to the next stored value", () => {
    const h = magnitudeLimitBits(1.0001, "float16");
    expect(fromHalfBits(h)).toBeGreaterThanOrEqual(1.0001);
    expect(fromHalfBits(h - 1)).toBeLessThan(1.0001);
    const f = magnitudeLimitBits(0.1, "float32");
    expect(valueOfFloat32(f)).toBeGreaterThanOrEqual(0.1);
    expect(valueOfFloat32(f - 1)).toBeLessThan(0.1);
    const b = magnitudeLimitBits(3.3, "bfloat16");
    expect(valueOfBfloat16(b)).toBeGreaterThanOrEqual(3.3);
    expect(valueOfBfloat16(b - 1)).toBeLessThan(3.3);
  });

  it("counts exactly NaN and |x| ≥ limit by integer comparison, for every float16 bit pattern", () => {
    const wrong: string[] = [];
    for (const limit of [65504, 1.5, 0.3, 6e-8, Number.POSITIVE_INFINITY]) {
      const limitBits = magnitudeLimitBits(limit, "float16");
      for (let bits = 0; bits < 0x10000; bits++) {
        const v = fromHalfBits(bits);
        if (counts(bits, limitBits, "float16") !== (Number.isNaN(v) || Math.abs(v) >= limit))
          wrong.push(`0x${bits.toString(16)} vs ${limit}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it("counts exactly NaN and |x| ≥ limit for bfloat16 and float32 patterns", () => {
    const bfLimit = magnitudeLimitBits(65504, "bfloat16");
    const wrong: string[] = [];
    for (let bits = 0; bits < 0x10000; bits++) {
      const v = valueOfBfloat16(bits);
      if (counts(bits, bfLimit, "bfloat16") !== (Number.isNaN(v) || Math.abs(v) >= 65504))
        wrong.push(`0x${bits.toString(16)}`);
    }
    expect(wrong).toEqual([]);
    const limitBits = magnitudeLimitBits(65504, "float32");
    for (const v of [65504, -65504, 65503.996, 1e30, -Infinity, Infinity, Number.NaN, 0, -0, 1e-45]) {
      expect(counts(bitsOfFloat32(v), limitBits, "float32"), String(v)).toBe(
        Number.isNaN(v) || Math.abs(Math.fround(v)) >= 65504,
      );
    }
    expect(toHalfBits(65504)).toBe(0x7bff);
  });

  it("rejects a NaN limit with a typed error naming the op", () => {
    expect(() => magnitudeLimitBits(Number.NaN, "float16", "overflowCount")).toThrow(
      expect.objectContaining({
        code: "BACKEND_SHAPE",
        message: expect.stringMatching(/overflowCount: limit/),
      }),
    );
  });
});
