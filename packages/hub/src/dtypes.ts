/**
 * Element types, their decoding into JavaScript typed arrays, and exact half-precision conversions.
 *
 * Every file format read here stores little-endian data (a big-endian torch checkpoint says so and is
 * byte-swapped). Decoding makes a zero-copy view on the file's bytes whenever the element type is kept and the
 * bytes are aligned for it and in the host's byte order; otherwise it copies.
 */

/** How a tensor is stored in the file, with safetensors' names (torch storages are mapped to these). */
export type StoredDtype = "F32" | "F16" | "BF16" | "F64" | "I64" | "I32" | "U8" | "BOOL";

/**
 * The element type of the decoded data. F16 and BF16 are widened to `float32` (exactly: every half and
 * bfloat16 value is a float32 value); every other type keeps its width.
 */
export type WeightDtype = "float32" | "float64" | "int64" | "int32" | "uint8" | "bool";

/** The typed array holding a decoded tensor: see {@link WeightTensor}. */
export type WeightData = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array;

/**
 * One tensor read from a weights file.
 *
 * | storedDtype | dtype | data |
 * |---|---|---|
 * | `F32` | `float32` | `Float32Array` (a view on the file's bytes when aligned) |
 * | `F16`, `BF16` | `float32` | `Float32Array` (converted, exact) |
 * | `F64` | `float64` | `Float64Array` (view when aligned) |
 * | `I64` | `int64` | `BigInt64Array` (view when aligned) |
 * | `I32` | `int32` | `Int32Array` (view when aligned) |
 * | `U8` | `uint8` | `Uint8Array` (view) |
 * | `BOOL` | `bool` | `Uint8Array` (view; 0 is false, anything else true) |
 *
 * `data` is in row-major (C) order and has `shape.reduce((a, b) => a * b, 1)` elements (1 for a scalar,
 * `shape` `[]`).
 */
export interface WeightTensor {
  readonly dtype: WeightDtype;
  readonly storedDtype: StoredDtype;
  readonly shape: number[];
  readonly data: WeightData;
}

interface DtypeInfo {
  readonly size: number;
  readonly dtype: WeightDtype;
}

/** Byte size and decoded type of each supported stored dtype. */
export const STORED_DTYPES: Readonly<Record<StoredDtype, DtypeInfo>> = {
  F32: { size: 4, dtype: "float32" },
  F16: { size: 2, dtype: "float32" },
  BF16: { size: 2, dtype: "float32" },
  F64: { size: 8, dtype: "float64" },
  I64: { size: 8, dtype: "int64" },
  I32: { size: 4, dtype: "int32" },
  U8: { size: 1, dtype: "uint8" },
  BOOL: { size: 1, dtype: "bool" },
};

/** safetensors dtypes that exist in the format but are not decoded by this package (`WEIGHTS_UNSUPPORTED`). */
export const UNSUPPORTED_SAFETENSORS_DTYPES: ReadonlySet<string> = new Set([
  "I8",
  "I16",
  "U16",
  "U32",
  "U64",
  "F8_E4M3",
  "F8_E5M2",
  "F8_E8M0",
  "F6_E2M3",
  "F6_E3M2",
  "F4",
  "C64",
]);

export function isStoredDtype(value: string): value is StoredDtype {
  return Object.hasOwn(STORED_DTYPES, value);
}

/** True on little-endian hosts (every mainstream CPU); typed arrays use the host's byte order. */
export const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

let f16Table: Uint32Array | undefined;

/** float32 bit pattern of an IEEE half-precision bit pattern: exact, subnormals, ±inf and NaN payloads. */
export function f16BitsToF32Bits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exponent = (h >>> 10) & 0x1f;
  const mantissa = h & 0x3ff;
  if (exponent === 0x1f) return (sign | 0x7f800000 | (mantissa << 13)) >>> 0;
  if (exponent !== 0) return (sign | ((exponent + 112) << 23) | (mantissa << 13)) >>> 0;
  if (mantissa === 0) return sign >>> 0;
  // Subnormal: mantissa * 2^-24. Shift the mantissa up until its leading 1 reaches the implicit-bit place.
  let shifts = 0;
  let m = mantissa;
  while ((m & 0x400) === 0) {
    m <<= 1;
    shifts++;
  }
  return (sign | ((113 - shifts) << 23) | ((m & 0x3ff) << 13)) >>> 0;
}

/** The value of an IEEE half-precision bit pattern. */
export function f16ToF32(h: number): number {
  u32Scratch[0] = f16BitsToF32Bits(h & 0xffff);
  return f32Scratch[0]!;
}

/** The value of a bfloat16 bit pattern (the top half of a float32). */
export function bf16ToF32(h: number): number {
  u32Scratch[0] = (h & 0xffff) << 16;
  return f32Scratch[0]!;
}

/** Rounds a number to float32, then to half precision, ties to even; overflow gives ±inf, NaN stays NaN. */
export function f32ToF16Bits(value: number): number {
  f32Scratch[0] = value;
  const bits = u32Scratch[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa === 0 ? 0 : 0x200 | (mantissa >>> 13));
  const e = exponent - 112;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    const full = mantissa | 0x800000;
    const shift = 14 - e;
    const q = full >>> shift;
    const rest = full & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    return sign | (rest > half || (rest === half && (q & 1) === 1) ? q + 1 : q);
  }
  const q = (e << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  return sign | (rest > 0x1000 || (rest === 0x1000 && (q & 1) === 1) ? q + 1 : q);
}

/** Rounds a number to float32, then to bfloat16, ties to even; overflow gives ±inf, NaN stays NaN. */
export function f32ToBf16Bits(value: number): number {
  f32Scratch[0] = value;
  const bits = u32Scratch[0]!;
  if ((bits & 0x7fffffff) > 0x7f800000) return (bits >>> 16) | 0x40;
  return Math.floor((bits + 0x7fff + ((bits >>> 16) & 1)) / 0x10000);
}

function halfTable(): Uint32Array {
  if (f16Table === undefined) {
    const table = new Uint32Array(0x10000);
    for (let h = 0; h < 0x10000; h++) table[h] = f16BitsToF32Bits(h);
    f16Table = table;
  }
  return f16Table;
}

/** Reads 16-bit words of `bytes` (little- or big-endian) into a Uint16Array in host order (a view if it can). */
function words16(bytes: Uint8Array, littleEndian: boolean): Uint16Array {
  const n = bytes.length >>> 1;
  if (littleEndian === HOST_LITTLE_ENDIAN && bytes.byteOffset % 2 === 0) {
    return new Uint16Array(bytes.buffer, bytes.byteOffset, n);
  }
  const out = new Uint16Array(n);
  for (let i = 0; i < n; i++) {
    const a = bytes[2 * i]!;
    const b = bytes[2 * i + 1]!;
    out[i] = littleEndian ? a | (b << 8) : (a << 8) | b;
  }
  return out;
}

/** Converts IEEE half-precision data (2 bytes per element) into float32, exactly. */
export function decodeF16(bytes: Uint8Array, littleEndian = true): Float32Array {
  const src = words16(bytes, littleEndian);
  const out = new Float32Array(src.length);
  const bits = new Uint32Array(out.buffer);
  const table = halfTable();
  for (let i = 0; i < src.length; i++) bits[i] = table[src[i]!]!;
  return out;
}

/** Converts bfloat16 data (2 bytes per element) into float32, exactly. */
export function decodeBF16(bytes: Uint8Array, littleEndian = true): Float32Array {
  const src = words16(bytes, littleEndian);
  const out = new Float32Array(src.length);
  const bits = new Uint32Array(out.buffer);
  for (let i = 0; i < src.length; i++) bits[i] = src[i]! << 16;
  return out;
}

/** Bytes in host order and aligned for `size`-byte elements: the input itself when possible, else a copy. */
function hostOrdered(bytes: Uint8Array, size: number, littleEndian: boolean): Uint8Array {
  const swap = size > 1 && littleEndian !== HOST_LITTLE_ENDIAN;
  if (!swap && bytes.byteOffset % size === 0) return bytes;
  const copy = new Uint8Array(bytes); // a copy (Buffer#slice would return a view)
  if (swap) {
    for (let i = 0; i < copy.length; i += size) copy.subarray(i, i + size).reverse();
  }
  return copy;
}

/**
 * Decodes the bytes of one tensor (exactly `numel * size` bytes, little-endian unless told otherwise).
 * F32/F64/I64/I32/U8/BOOL give a view on `bytes` when it is aligned and in host byte order, else a copy;
 * F16/BF16 are converted into a new Float32Array.
 */
export function decodeTensorData(bytes: Uint8Array, stored: StoredDtype, littleEndian = true): WeightData {
  const { size } = STORED_DTYPES[stored];
  const n = bytes.length / size;
  switch (stored) {
    case "F16":
      return decodeF16(bytes, littleEndian);
    case "BF16":
      return decodeBF16(bytes, littleEndian);
    case "U8":
    case "BOOL":
      return bytes;
    case "F32": {
      const b = hostOrdered(bytes, size, littleEndian);
      return new Float32Array(b.buffer, b.byteOffset, n);
    }
    case "F64": {
      const b = hostOrdered(bytes, size, littleEndian);
      return new Float64Array(b.buffer, b.byteOffset, n);
    }
    case "I64": {
      const b = hostOrdered(bytes, size, littleEndian);
      return new BigInt64Array(b.buffer, b.byteOffset, n);
    }
    case "I32": {
      const b = hostOrdered(bytes, size, littleEndian);
      return new Int32Array(b.buffer, b.byteOffset, n);
    }
  }
}

/** The product of a shape's sizes, or undefined when it is not a safe integer. */
export function shapeNumel(shape: readonly number[]): number | undefined {
  let n = 1;
  for (const d of shape) {
    n *= d;
    if (!Number.isSafeInteger(n)) return undefined;
  }
  return n;
}
