// Magnitude thresholds as bit patterns. For IEEE-style floats, ordering the magnitude bits (the sign bit
// cleared) as unsigned integers orders the magnitudes, with ±inf above every finite value and NaN above inf:
// so "NaN or |x| ≥ limit" is one integer comparison, which GPU kernels need (WGSL and fast-math PTX may assume
// floats are finite, and fold float comparisons with NaN away).
import type { FloatStorage } from "./dtype.js";
import { BackendError } from "./errors.js";
import { fromHalfBits, toHalfBits } from "./half.js";

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

function float32Bits(value: number): number {
  f32[0] = value;
  return u32[0]!;
}

function float32Of(bits: number): number {
  u32[0] = bits >>> 0;
  return f32[0]!;
}

/** Masks of the magnitude bits (all but the sign) per storage type. */
export const MAGNITUDE_MASK: Readonly<Record<FloatStorage, number>> = {
  float32: 0x7fffffff,
  float16: 0x7fff,
  bfloat16: 0x7fff,
};

/**
 * The magnitude bits of the smallest value of `storage` that is at least `limit`: a stored x is NaN or has
 * |x| ≥ limit exactly when (bits(x) & MAGNITUDE_MASK) ≥ this, compared as unsigned integers. A limit at or
 * below 0 gives 0 (every value counts); a limit beyond the type's finite range gives the bits of infinity
 * (only ±inf and NaN count). A NaN limit is a BACKEND_SHAPE error naming `op`.
 */
export function magnitudeLimitBits(limit: number, storage: FloatStorage, op = "overflowCount"): number {
  if (Number.isNaN(limit))
    throw new BackendError("BACKEND_SHAPE", `${op}: limit must be a number, got NaN`, { op });
  if (limit <= 0) return 0;
  switch (storage) {
    case "float16": {
      // toHalfBits rounds to nearest and saturates finite values at 65504: step up when that landed below.
      const bits = toHalfBits(limit) & 0x7fff;
      return fromHalfBits(bits) < limit ? bits + 1 : bits;
    }
    case "bfloat16": {
      // bfloat16 is float32's top half: truncating rounds a positive value down, so step up when inexact.
      const bits = float32Bits(limit) >>> 16;
      return float32Of(bits << 16) < limit ? bits + 1 : bits;
    }
    case "float32": {
      const bits = float32Bits(limit);
      return float32Of(bits) < limit ? bits + 1 : bits;
    }
  }
}
