// Comparing an output with a float64 reference at the tokens that are not padding (the outputs at padding
// positions mean nothing, in transformers either). Browser-safe: used by this package's tests and by
// @deberta/heads/fixture-check, which every backend's model checks go through.
import type { Tensor } from "@deberta/tensor";

/** A reference tensor as read from a safetensors file (float64 values, or integers). */
export interface ReferenceTensor {
  shape: number[];
  data: ArrayLike<number | bigint>;
}

/** How a flat index maps to (batch, position): [B, L, D], [B, H, L, L], [B, L] or one value per batch row. */
export type ReferenceLayout = "bld" | "bhll" | "bl" | "b";

/** Max |got − want| over entries whose token is not padding (per `mask`, [batch, length]). */
export function maxErrorAtRealTokens(
  got: Tensor,
  want: ReferenceTensor,
  mask: Float64Array,
  layout: ReferenceLayout,
): number {
  if (got.dims.length !== want.shape.length || got.dims.some((d, i) => d !== want.shape[i]))
    return Number.POSITIVE_INFINITY;
  const data = got.data as Float32Array;
  const reference = Float64Array.from(want.data, Number);
  const [b, x, y, z] = want.shape as [number, number, number, number];
  const length = mask.length / b;
  let max = 0;
  for (let i = 0; i < data.length; i++) {
    let batch: number;
    let position: number | undefined;
    if (layout === "bld") {
      batch = Math.floor(i / (x * y));
      position = Math.floor(i / y) % x;
    } else if (layout === "bhll") {
      batch = Math.floor(i / (x * y * z));
      position = Math.floor(i / z) % y;
    } else if (layout === "bl") {
      batch = Math.floor(i / x);
      position = i % x;
    } else {
      batch = i;
    }
    if (position !== undefined && mask[batch * length + position] === 0) continue;
    const err = Math.abs(data[i]! - reference[i]!);
    if (!(err <= max)) max = Number.isNaN(err) ? Number.POSITIVE_INFINITY : err;
  }
  return max;
}
