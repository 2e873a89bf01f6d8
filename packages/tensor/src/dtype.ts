/** Element types a backend handles. float16 is a storage type for GPU backends; math accumulates in f32. */
export type DType = "float32" | "float16" | "int32" | "int64";

export const DTYPE_BYTES: Readonly<Record<DType, number>> = { float32: 4, float16: 2, int32: 4, int64: 8 };

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
