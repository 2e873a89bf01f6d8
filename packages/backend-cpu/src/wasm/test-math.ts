// Float64 references for the tests of the kernels' elementary functions (not exported by the package). They are
// computed independently of the kernels' approximations: erf from its Taylor-type series and erfc from its
// continued fraction, both to ~1e-15.

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

/**
 * erf(x) for |x| < 3 from the series erf(x) = 2/√π · e^{−x²} · Σ_{n≥0} 2ⁿ x^{2n+1} / (1·3·…·(2n+1)) (all terms
 * positive, so no cancellation); beyond, 1 − erfc(|x|) with the sign of x.
 */
export function erf64(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  const a = Math.abs(x);
  let r: number;
  if (a < 3) {
    let term = a;
    let sum = a;
    for (let n = 1; n < 500; n++) {
      term *= (2 * a * a) / (2 * n + 1);
      sum += term;
      if (term < sum * 1e-18) break;
    }
    r = TWO_OVER_SQRT_PI * Math.exp(-a * a) * sum;
  } else {
    r = 1 - erfc64(a);
  }
  return x < 0 ? -r : r;
}

/**
 * erfc(x): 1 − erf(x) for x < 3, else the continued fraction
 * erfc(z) = e^{−z²}/√π · 1/(z + (1/2)/(z + 1/(z + (3/2)/(z + 2/(z + …))))), evaluated backwards from 200 terms.
 */
export function erfc64(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x < 3) return 1 - erf64(x);
  if (x === Number.POSITIVE_INFINITY) return 0;
  let f = x;
  for (let k = 200; k >= 1; k--) f = x + k / 2 / f;
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
}

/** Exact GELU x·Φ(x), with Φ(x) = erfc(−x/√2)/2 (no cancellation in the negative tail). */
export function gelu64(x: number): number {
  if (x === Number.NEGATIVE_INFINITY) return 0;
  if (x === Number.POSITIVE_INFINITY) return x;
  return x >= 0 ? x * (1 - 0.5 * erfc64(x / Math.SQRT2)) : 0.5 * x * erfc64(-x / Math.SQRT2);
}

/** tanh GELU 0.5·x·(1 + tanh(u)), u = √(2/π)(x + 0.044715x³), as x·σ(2u) (no cancellation for x < 0). */
export function geluTanh64(x: number): number {
  const u = Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x);
  return x / (1 + Math.exp(-2 * u));
}

/** Softmax of float32 values in float64 (exp(x − max) / Σ). */
export function softmax64(row: ArrayLike<number>): Float64Array {
  let max = Number.NEGATIVE_INFINITY;
  for (let j = 0; j < row.length; j++) max = Math.max(max, row[j]!);
  const out = new Float64Array(row.length);
  let sum = 0;
  for (let j = 0; j < row.length; j++) {
    out[j] = Math.exp(row[j]! - max);
    sum += out[j]!;
  }
  for (let j = 0; j < row.length; j++) out[j]! /= sum;
  return out;
}

/**
 * Every `stride`-th float32 with magnitude in [lo, hi), both signs (bit patterns walked in steps of `stride`).
 */
export function float32Grid(lo: number, hi: number, stride: number): Float32Array {
  const bits = new Uint32Array(new Float32Array([lo, hi]).buffer);
  const b0 = bits[0]!;
  const b1 = bits[1]!;
  const n = Math.ceil((b1 - b0) / stride);
  const out = new Uint32Array(2 * n);
  for (let i = 0; i < n; i++) {
    out[2 * i] = b0 + i * stride;
    out[2 * i + 1] = (b0 + i * stride) | 0x80000000;
  }
  return new Float32Array(out.buffer);
}

/** The largest float32 below zero, the value masked attention scores are set to. */
export const F32_LOWEST = -3.4028234663852886e38;
