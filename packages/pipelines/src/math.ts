// Float64 maths on model outputs (which are float32): softmax with the max subtracted, as transformers'
// pipelines do, the logistic sigmoid, argmax (first maximum, like numpy), and a NaN-skipping mean.

export function softmax(values: ArrayLike<number>): number[] {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < values.length; i++) max = Math.max(max, values[i]!);
  const out = new Array<number>(values.length);
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    out[i] = Math.exp(values[i]! - max);
    sum += out[i]!;
  }
  for (let i = 0; i < out.length; i++) out[i] = out[i]! / sum;
  return out;
}

export function sigmoid(values: ArrayLike<number>): number[] {
  return Array.from(values, (v) => 1 / (1 + Math.exp(-v)));
}

/** Index of the first maximum (numpy's `argmax`). */
export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

/** numpy's `nanmean`: the mean of the values that are not NaN. */
export function nanmean(values: readonly number[]): number {
  const kept = values.filter((v) => !Number.isNaN(v));
  return kept.reduce((a, b) => a + b, 0) / kept.length;
}

/** Indices sorted by value, descending; ties keep index order (a stable sort). */
export function argsortDescending(values: readonly number[]): number[] {
  return values.map((_, i) => i).sort((a, b) => values[b]! - values[a]! || a - b);
}
