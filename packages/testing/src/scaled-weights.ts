// Checkpoint weights with some tensors multiplied by a factor: how tests make a small fixture's activations
// grow past a precision's range (float16's 65504) at a chosen layer, without a second checkpoint on disk.

/** A weight as the readers return it (float data, or integers). */
export interface ScalableWeight {
  shape: readonly number[];
  data: ArrayLike<number | bigint>;
  dtype?: string;
}

/**
 * A copy of `weights` where each key of `factors` holds its tensor times the factor, as float32 data; every
 * other entry is shared. A key that `weights` lacks throws, naming it.
 */
export function scaledWeights<W extends ScalableWeight>(
  weights: ReadonlyMap<string, W>,
  factors: Readonly<Record<string, number>>,
): Map<string, W> {
  const out = new Map(weights);
  for (const [key, factor] of Object.entries(factors)) {
    const w = weights.get(key);
    if (w === undefined)
      throw new Error(`scaledWeights: no weight ${key} (keys: ${[...weights.keys()].join(", ")})`);
    const data = Float32Array.from(w.data, (v) => Number(v) * factor);
    out.set(key, { ...w, data, ...(w.dtype === undefined ? {} : { dtype: "float32" }) });
  }
  return out;
}
