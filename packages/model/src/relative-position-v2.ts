// DeBERTa-v2 relative positions, exactly as transformers' modeling_deberta_v2.py computes them:
//   rel(i, j)  = i − j
//   bucket(r)  = r                                                   when |r| ≤ mid  (mid = ⌊buckets / 2⌋)
//              = sign(r) · (⌈log(|r| / mid) / log((maxPosition − 1) / mid) · (mid − 1)⌉ + mid)  otherwise
// with the log-bucket arithmetic in float32, as PyTorch does it there (an int64 tensor divided by an int is
// float32, and torch.tensor of a Python float is float32). Without buckets (buckets ≤ 0 or maxPosition ≤ 0)
// the relative position is i − j itself. The attention reads the relative embedding rows at
//   c2p: clamp(bucket(i − j) + span, 0, 2·span − 1)     p2c: clamp(−bucket(j − i) + span, 0, 2·span − 1)
// (p2c is gathered on the key's rows and transposed, so its row index is the key j). bucket is odd
// (bucket(−r) = −bucket(r)), so the p2c row of (i, j) is clamp(bucket(i − j) + span) too: both terms read the
// one table relativeIndexTable gives the fused attention op, indexed by i − j.

const f32 = Math.fround;

/** transformers' `make_log_bucket_position` for one relative position (float32 arithmetic, as PyTorch). */
export function makeLogBucketPosition(relative: number, bucketSize: number, maxPosition: number): number {
  const mid = Math.floor(bucketSize / 2);
  const absPos = relative < mid && relative > -mid ? mid - 1 : Math.abs(relative);
  if (absPos <= mid) return relative;
  const ratio = f32(Math.log(f32(absPos / mid)));
  const base = f32(Math.log(f32((maxPosition - 1) / mid)));
  const logPos = f32(Math.ceil(f32(f32(ratio / base) * (mid - 1))) + mid);
  return Math.sign(relative) * logPos;
}

/**
 * transformers' `build_relative_position` for a query of `queryLength` and a key of `keyLength` tokens:
 * row-major [queryLength, keyLength] Int32Array of bucket(i − j) (or i − j without buckets).
 */
export function buildRelativePosition(
  queryLength: number,
  keyLength: number,
  bucketSize: number,
  maxPosition: number,
): Int32Array {
  const out = new Int32Array(queryLength * keyLength);
  const bucketed = bucketSize > 0 && maxPosition > 0;
  for (let i = 0; i < queryLength; i++) {
    for (let j = 0; j < keyLength; j++) {
      const r = i - j;
      out[i * keyLength + j] = bucketed ? makeLogBucketPosition(r, bucketSize, maxPosition) : r;
    }
  }
  return out;
}

/**
 * The gather indices of the v2 c2p and p2c terms for self-attention over `length` tokens, each row-major
 * [length, length]: `c2p[i][j] = clamp(rel[i][j] + span, 0, 2·span − 1)` and
 * `p2c[j][i] = clamp(−rel[j][i] + span, 0, 2·span − 1)` (indexed by key row j, as transformers gathers it).
 */
export function relativeGatherIndices(
  length: number,
  span: number,
  bucketSize: number,
  maxPosition: number,
): { c2p: Int32Array; p2c: Int32Array } {
  const rel = buildRelativePosition(length, length, bucketSize, maxPosition);
  const c2p = new Int32Array(rel.length);
  const p2c = new Int32Array(rel.length);
  const clamp = (v: number) => Math.min(Math.max(v, 0), 2 * span - 1);
  for (let n = 0; n < rel.length; n++) {
    c2p[n] = clamp(rel[n]! + span);
    p2c[n] = clamp(-rel[n]! + span);
  }
  return { c2p, p2c };
}

/**
 * The fused attention op's `relativeIndex` for self-attention over `length` tokens: int32 [2·length − 1],
 * entry i − j + length − 1 = clamp(bucket(i − j) + span, 0, 2·span − 1), the relative-embedding row both the
 * c2p and the p2c term of (query i, key j) read (equal to `relativeGatherIndices`' c2p[i][j] and p2c[j][i]).
 */
export function relativeIndexTable(
  length: number,
  span: number,
  bucketSize: number,
  maxPosition: number,
): Int32Array {
  const bucketed = bucketSize > 0 && maxPosition > 0;
  const table = new Int32Array(Math.max(2 * length - 1, 0));
  for (let n = 0; n < table.length; n++) {
    const r = n - (length - 1);
    const bucket = bucketed ? makeLogBucketPosition(r, bucketSize, maxPosition) : r;
    table[n] = Math.min(Math.max(bucket + span, 0), 2 * span - 1);
  }
  return table;
}
