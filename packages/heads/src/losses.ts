// Losses as PyTorch defines them, computed in float64 on the host from the downloaded logits:
//   crossEntropy: mean over kept rows of −log softmax(z)[y], rows whose label equals ignoreIndex dropped
//   softCrossEntropy: −mean over rows of Σ_c p_c · log softmax(z)_c
//   mse: mean (z − y)²;  bceWithLogits: mean of max(z, 0) − z·y + log(1 + e^−|z|)

function logSoftmaxRow(z: ArrayLike<number>, start: number, n: number): Float64Array {
  let max = Number.NEGATIVE_INFINITY;
  for (let j = 0; j < n; j++) max = Math.max(max, z[start + j]!);
  let sum = 0;
  for (let j = 0; j < n; j++) sum += Math.exp(z[start + j]! - max);
  const logSum = max + Math.log(sum);
  const out = new Float64Array(n);
  for (let j = 0; j < n; j++) out[j] = z[start + j]! - logSum;
  return out;
}

/** Mean cross-entropy of rows of `classes` logits; labels equal to `ignoreIndex` are skipped (NaN if none is kept). */
export function crossEntropy(
  logits: ArrayLike<number>,
  labels: ArrayLike<number>,
  classes: number,
  ignoreIndex = -100,
): number {
  let total = 0;
  let kept = 0;
  for (let r = 0; r < labels.length; r++) {
    const y = labels[r]!;
    if (y === ignoreIndex) continue;
    total -= logSoftmaxRow(logits, r * classes, classes)[y]!;
    kept++;
  }
  return total / kept;
}

export function softCrossEntropy(
  logits: ArrayLike<number>,
  targets: ArrayLike<number>,
  classes: number,
): number {
  const rows = targets.length / classes;
  let total = 0;
  for (let r = 0; r < rows; r++) {
    const ls = logSoftmaxRow(logits, r * classes, classes);
    for (let c = 0; c < classes; c++) total -= ls[c]! * targets[r * classes + c]!;
  }
  return total / rows;
}

export function meanSquaredError(predictions: ArrayLike<number>, targets: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < targets.length; i++) total += (predictions[i]! - targets[i]!) ** 2;
  return total / targets.length;
}

export function bceWithLogits(logits: ArrayLike<number>, targets: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < targets.length; i++) {
    const z = logits[i]!;
    total += Math.max(z, 0) - z * targets[i]! + Math.log1p(Math.exp(-Math.abs(z)));
  }
  return total / targets.length;
}
