// Comparing an output with a float64 reference at the tokens that are not padding (the outputs at padding
// positions mean nothing, in transformers either), and turning attention score terms back into attention
// probabilities. Browser-safe: used by this package's tests and by @deberta/heads/fixture-check, which every
// backend's model checks go through.
import { FLOAT32_LOWEST, Tensor } from "@deberta/tensor";
import type { AttentionTerms } from "./attention-terms.js";

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

/**
 * A layer's attention probabilities from its score terms, as transformers computes them: scores
 * c2c + c2p + p2c, set to float32's lowest value where mask[b, i] · mask[b, j] = 0, softmax over keys j
 * (float64). `mask` is the attention mask [batch, length]; the result is a float64 Tensor [B, H, L, L].
 */
export function softmaxOfTerms(terms: AttentionTerms<Tensor>, mask: ArrayLike<number | bigint>): Tensor {
  const dims = terms.c2c.dims;
  const [batch, heads, length] = dims as [number, number, number, number];
  const parts = [terms.c2c, terms.c2p, terms.p2c]
    .filter((t): t is Tensor => t !== undefined)
    .map((t) => t.data as Float32Array);
  const keep = Float64Array.from(mask, Number);
  const out = new Float64Array(batch * heads * length * length);
  const row = new Float64Array(length);
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      for (let i = 0; i < length; i++) {
        const base = ((b * heads + h) * length + i) * length;
        let max = Number.NEGATIVE_INFINITY;
        for (let j = 0; j < length; j++) {
          let score = 0;
          for (const p of parts) score += p[base + j]!;
          if (keep[b * length + i] === 0 || keep[b * length + j] === 0) score = FLOAT32_LOWEST;
          row[j] = score;
          if (score > max) max = score;
        }
        let sum = 0;
        for (let j = 0; j < length; j++) {
          row[j] = Math.exp(row[j]! - max);
          sum += row[j]!;
        }
        for (let j = 0; j < length; j++) out[base + j] = row[j]! / sum;
      }
    }
  }
  return new Tensor("float64", out, [...dims]);
}

/**
 * How far a layer's summed score terms are from the log of reference attention probabilities, up to a
 * constant per query row (softmax forgets it): max over (b, h, i) with token i real of
 * |(s_ij − mean_j s_ij) − (log p_ij − mean_j log p_ij)| over real keys j, s = c2c + c2p + p2c. Unlike the
 * probabilities themselves, this sees score differences far below the probabilities' own scale (a float32
 * probability keeps log p to ~1e-7), so terms a little off are caught even where attention is near uniform.
 */
export function maxScoreErrorAtRealTokens(
  terms: AttentionTerms<Tensor>,
  want: ReferenceTensor,
  mask: ArrayLike<number | bigint>,
): number {
  const dims = terms.c2c.dims;
  if (want.shape.length !== dims.length || dims.some((d, i) => d !== want.shape[i]))
    return Number.POSITIVE_INFINITY;
  const [batch, heads, length] = dims as [number, number, number, number];
  const keep = Float64Array.from(mask, Number);
  const reference = Float64Array.from(want.data, Number);
  const parts = [terms.c2c, terms.c2p, terms.p2c]
    .filter((t): t is Tensor => t !== undefined)
    .map((t) => t.data as Float32Array);
  const diff = new Float64Array(length);
  let max = 0;
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      for (let i = 0; i < length; i++) {
        if (keep[b * length + i] === 0) continue;
        const base = ((b * heads + h) * length + i) * length;
        let mean = 0;
        let count = 0;
        for (let j = 0; j < length; j++) {
          if (keep[b * length + j] === 0) continue;
          let score = 0;
          for (const p of parts) score += p[base + j]!;
          diff[j] = score - Math.log(reference[base + j]!);
          mean += diff[j]!;
          count++;
        }
        mean /= count;
        for (let j = 0; j < length; j++) {
          if (keep[b * length + j] === 0) continue;
          const err = Math.abs(diff[j]! - mean);
          if (!(err <= max)) max = Number.isNaN(err) ? Number.POSITIVE_INFINITY : err;
        }
      }
    }
  }
  return max;
}
