/** Element types a backend handles. float16 is a storage type for GPU backends; math accumulates in f32. */
export type DType = "float32" | "float16" | "int32" | "int64";

/**
 * How a backend stores float tensors. float16 has float16's range (finite values up to 65504); bfloat16 keeps
 * float32's range with 8 significant bits (its handles report dtype "float16", the 16-bit storage type).
 */
export type FloatStorage = "float32" | "float16" | "bfloat16";

export const DTYPE_BYTES: Readonly<Record<DType, number>> = { float32: 4, float16: 2, int32: 4, int64: 8 };

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
