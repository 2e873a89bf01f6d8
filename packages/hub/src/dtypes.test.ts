import { describe, expect, it } from "vitest";
import {
  bf16ToF32,
  decodeBF16,
  decodeF16,
  decodeTensorData,
  f16BitsToF32Bits,
  f16ToF32,
  f32ToBf16Bits,
  f32ToF16Bits,
} from "./dtypes.js";

/** IEEE half precision by the textbook formula, independent of the bit manipulation under test. */
function halfByFormula(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

function bfloat16ByFormula(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 7) & 0xff;
  const fraction = h & 0x7f;
  if (exponent === 0) return sign * 2 ** -126 * (fraction / 128);
  if (exponent === 255) return fraction === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  return sign * 2 ** (exponent - 127) * (1 + fraction / 128);
}

function roundHalfEven(x: number, fractionBits: number, minExponent: number, maxFinite: number): number {
  if (x === 0 || !Number.isFinite(x)) return x;
  const a = Math.abs(x);
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  if (2 ** (e + 1) <= a) e++;
  const ulp = 2 ** (Math.max(e, minExponent) - fractionBits);
  const q = a / ulp;
  let r = Math.floor(q);
  if (q - r > 0.5 || (q - r === 0.5 && r % 2 === 1)) r++;
  const value = r * ulp > maxFinite ? Number.POSITIVE_INFINITY : r * ulp;
  return x < 0 ? -value : value;
}

/** Deterministic pseudo-random float32 bit patterns (xorshift). */
function* randomFloat32(count: number): Generator<number> {
  let state = 0x9e3779b9;
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  for (let i = 0; i < count; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    u[0] = state >>> 0;
    yield f[0]!;
  }
}

describe("half precision", () => {
  it("decodes all 65536 bit patterns exactly (subnormals, ±0, ±inf, NaN)", () => {
    for (let h = 0; h < 0x10000; h++) {
      const expected = halfByFormula(h);
      const actual = f16ToF32(h);
      if (Number.isNaN(expected)) {
        expect(Number.isNaN(actual)).toBe(true);
        // The payload is kept: the f16 fraction becomes the top of the f32 fraction.
        expect(f16BitsToF32Bits(h) & 0x7fffff).toBe((h & 0x3ff) << 13);
      } else if (!Object.is(actual, expected)) {
        expect(`${h.toString(16)} -> ${actual}`).toBe(`${h.toString(16)} -> ${expected}`);
      }
    }
    expect(f16ToF32(0x0001)).toBe(2 ** -24);
    expect(f16ToF32(0x03ff)).toBe(2 ** -14 * (1023 / 1024));
    expect(f16ToF32(0x7bff)).toBe(65504);
    expect(Object.is(f16ToF32(0x8000), -0)).toBe(true);
  });

  it("decodeF16 handles aligned, unaligned and big-endian bytes", () => {
    const patterns = [0x3c00, 0xc000, 0x0001, 0x8001, 0x7c00, 0xfc00, 0x7e00, 0x3555, 0x0000, 0x8000];
    const le = new Uint8Array(patterns.flatMap((h) => [h & 0xff, h >> 8]));
    const expected = patterns.map(f16ToF32);
    expect([...decodeF16(le)]).toEqual(expected);
    const shifted = new Uint8Array(le.length + 1);
    shifted.set(le, 1);
    expect([...decodeF16(shifted.subarray(1))]).toEqual(expected);
    const be = new Uint8Array(patterns.flatMap((h) => [h >> 8, h & 0xff]));
    expect([...decodeF16(be, false)]).toEqual(expected);
  });

  it("encodes with round-to-nearest-even, matching an arithmetic reference", () => {
    for (let h = 0; h < 0x10000; h++) {
      if ((h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0) continue;
      expect(f32ToF16Bits(f16ToF32(h))).toBe(h);
    }
    for (const x of randomFloat32(200_000)) {
      if (Number.isNaN(x)) {
        expect(Number.isNaN(f16ToF32(f32ToF16Bits(x)))).toBe(true);
        continue;
      }
      const expected = roundHalfEven(x, 10, -14, 65504);
      const actual = f16ToF32(f32ToF16Bits(x));
      if (!Object.is(actual, expected)) expect(`${x} -> ${actual}`).toBe(`${x} -> ${expected}`);
    }
    // Ties: 1 + 2^-11 lies halfway between 1 and 1 + 2^-10 and goes to the even one (1).
    expect(f32ToF16Bits(1 + 2 ** -11)).toBe(0x3c00);
    expect(f32ToF16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(f32ToF16Bits(65520)).toBe(0x7c00);
    expect(f32ToF16Bits(65519)).toBe(0x7bff);
    expect(f32ToF16Bits(2 ** -25)).toBe(0x0000);
    expect(f32ToF16Bits(2 ** -25 * 1.5)).toBe(0x0001);
    expect(f32ToF16Bits(-(2 ** -26))).toBe(0x8000);
  });
});

describe("bfloat16", () => {
  it("decodes all 65536 bit patterns exactly", () => {
    for (let h = 0; h < 0x10000; h++) {
      const expected = bfloat16ByFormula(h);
      const actual = bf16ToF32(h);
      if (Number.isNaN(expected)) expect(Number.isNaN(actual)).toBe(true);
      else if (!Object.is(actual, expected)) expect(`${h.toString(16)} -> ${actual}`).toBe(`${expected}`);
    }
  });

  it("decodeBF16 matches bf16ToF32, unaligned too", () => {
    const patterns = [0x3f80, 0xbf80, 0x0001, 0x7f80, 0xff80, 0x7fc0, 0x4049];
    const le = new Uint8Array(patterns.flatMap((h) => [h & 0xff, h >> 8]));
    const shifted = new Uint8Array(le.length + 1);
    shifted.set(le, 1);
    expect([...decodeBF16(shifted.subarray(1))]).toEqual(patterns.map(bf16ToF32));
    expect([...decodeBF16(le)]).toEqual(patterns.map(bf16ToF32));
  });

  it("encodes with round-to-nearest-even, matching an arithmetic reference", () => {
    const maxFinite = (2 - 2 ** -7) * 2 ** 127;
    for (const x of randomFloat32(200_000)) {
      if (Number.isNaN(x)) {
        expect(Number.isNaN(bf16ToF32(f32ToBf16Bits(x)))).toBe(true);
        continue;
      }
      const expected = roundHalfEven(x, 7, -126, maxFinite);
      const actual = bf16ToF32(f32ToBf16Bits(x));
      if (!Object.is(actual, expected)) expect(`${x} -> ${actual}`).toBe(`${x} -> ${expected}`);
    }
    expect(f32ToBf16Bits(1 + 2 ** -8)).toBe(0x3f80);
    expect(f32ToBf16Bits(1 + 3 * 2 ** -8)).toBe(0x3f82);
    expect(f32ToBf16Bits(Number.POSITIVE_INFINITY)).toBe(0x7f80);
  });
});

describe("decodeTensorData", () => {
  it("returns views for aligned data and copies otherwise", () => {
    const buffer = new ArrayBuffer(20);
    const f32 = new Float32Array(buffer, 4, 2);
    f32.set([1.5, -2]);
    const aligned = decodeTensorData(new Uint8Array(buffer, 4, 8), "F32");
    expect(aligned.buffer).toBe(buffer);
    expect([...aligned]).toEqual([1.5, -2]);
    const bytes = new Uint8Array(buffer);
    bytes.copyWithin(1, 4, 12);
    const unaligned = decodeTensorData(new Uint8Array(buffer, 1, 8), "F32");
    expect(unaligned.buffer).not.toBe(buffer);
    expect([...unaligned]).toEqual([1.5, -2]);
  });

  it("byte-swaps big-endian data into a copy", () => {
    const be = new Uint8Array([0x3f, 0xc0, 0, 0, 0xc0, 0, 0, 0]);
    expect([...decodeTensorData(be, "F32", false)]).toEqual([1.5, -2]);
    expect([...be]).toEqual([0x3f, 0xc0, 0, 0, 0xc0, 0, 0, 0]);
    const i64 = new Uint8Array([0, 0, 0, 0, 0, 0, 0, 7]);
    expect([...(decodeTensorData(i64, "I64", false) as BigInt64Array)]).toEqual([7n]);
  });

  it("keeps I64, I32, F64, U8 and BOOL as their own typed arrays", () => {
    expect(decodeTensorData(new Uint8Array(8), "I64")).toBeInstanceOf(BigInt64Array);
    expect(decodeTensorData(new Uint8Array(8), "I32")).toBeInstanceOf(Int32Array);
    expect(decodeTensorData(new Uint8Array(8), "F64")).toBeInstanceOf(Float64Array);
    expect(decodeTensorData(new Uint8Array([0, 1]), "BOOL")).toBeInstanceOf(Uint8Array);
    expect(decodeTensorData(new Uint8Array([0, 1]), "U8")).toBeInstanceOf(Uint8Array);
  });
});
