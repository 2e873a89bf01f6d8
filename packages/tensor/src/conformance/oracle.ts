// Naive float64 implementations of every op, written independently of the references: the conformance
// suite's source of expected values. Slow and obvious on purpose.
import { FLOAT32_LOWEST } from "../reference/masked-softmax.js";

export interface HostTensor {
  shape: number[];
  data: Float64Array;
}

export const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const stridesOf = (shape: readonly number[]) => {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1]! * shape[i + 1]!;
  return s;
};
const unravel = (index: number, shape: readonly number[]) => {
  const out = new Array<number>(shape.length);
  for (let i = shape.length - 1; i >= 0; i--) {
    out[i] = index % shape[i]!;
    index = Math.floor(index / shape[i]!);
  }
  return out;
};
/** Reads x at a multi-index of a broadcast result shape. */
const atBroadcast = (x: HostTensor, idx: readonly number[]) => {
  const st = stridesOf(x.shape);
  let off = 0;
  const lead = idx.length - x.shape.length;
  for (let i = 0; i < x.shape.length; i++) off += (x.shape[i] === 1 ? 0 : idx[lead + i]!) * st[i]!;
  return x.data[off]!;
};
const broadcast = (a: readonly number[], b: readonly number[]) => {
  const r = Math.max(a.length, b.length);
  return Array.from({ length: r }, (_, i) => Math.max(a[a.length - r + i] ?? 1, b[b.length - r + i] ?? 1));
};

export function erf(x: number): number {
  // Abramowitz–Stegun 7.1.26 is too coarse for 1e-6; use the series / continued fraction pair.
  const ax = Math.abs(x);
  let r: number;
  if (ax < 2.5) {
    let sum = ax;
    let term = ax;
    for (let n = 1; n < 80; n++) {
      term *= (-ax * ax) / n;
      sum += term / (2 * n + 1);
    }
    r = (2 / Math.sqrt(Math.PI)) * sum;
  } else {
    let f = 0;
    for (let n = 60; n >= 1; n--) f = n / 2 / (ax + f);
    r = 1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + f);
  }
  return x < 0 ? -r : r;
}

export const unaryFns: Record<string, (x: number) => number> = {
  neg: (x) => -x,
  exp: Math.exp,
  log: Math.log,
  sqrt: Math.sqrt,
  rsqrt: (x) => 1 / Math.sqrt(x),
  abs: Math.abs,
  erf,
  tanh: Math.tanh,
  relu: (x) => Math.max(x, 0),
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
};

export const activationFns: Record<string, (x: number) => number> = {
  gelu: (x) => 0.5 * x * (1 + erf(x / Math.SQRT2)),
  gelu_new: (x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3))),
  gelu_pytorch_tanh: (x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3))),
  relu: (x) => Math.max(x, 0),
  tanh: Math.tanh,
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  linear: (x) => x,
};

const binaryFns: Record<string, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  max: Math.max,
  min: Math.min,
};

export function binary(a: HostTensor, b: HostTensor, op: string): HostTensor {
  const shape = broadcast(a.shape, b.shape);
  const data = new Float64Array(size(shape));
  for (let i = 0; i < data.length; i++) {
    const idx = unravel(i, shape);
    data[i] = binaryFns[op]!(atBroadcast(a, idx), atBroadcast(b, idx));
  }
  return { shape, data };
}

export function map(x: HostTensor, fn: (v: number) => number): HostTensor {
  return { shape: [...x.shape], data: x.data.map(fn) };
}

export function matmul(a: HostTensor, b: HostTensor, transposeB: boolean): HostTensor {
  const [m, k] = a.shape.slice(-2) as [number, number];
  const n = transposeB ? b.shape[b.shape.length - 2]! : b.shape[b.shape.length - 1]!;
  const batch = broadcast(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const shape = [...batch, m, n];
  const data = new Float64Array(size(shape));
  for (let p = 0; p < size(batch); p++) {
    const bidx = unravel(p, batch);
    const offA = batchOffset(a, bidx);
    const offB = batchOffset(b, bidx);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let t = 0; t < k; t++) {
          const bv = transposeB ? b.data[offB + j * k + t]! : b.data[offB + t * n + j]!;
          s += a.data[offA + i * k + t]! * bv;
        }
        data[p * m * n + i * n + j] = s;
      }
    }
  }
  return { shape, data };
}

/** Offset of the matrix selected by batch index `bidx` (broadcast) in a [..., r, c] tensor. */
function batchOffset(x: HostTensor, bidx: readonly number[]): number {
  const dims = x.shape.slice(0, -2);
  const mat = x.shape[x.shape.length - 2]! * x.shape[x.shape.length - 1]!;
  let off = 0;
  let stride = mat;
  for (let i = dims.length - 1; i >= 0; i--) {
    const d = dims[i]!;
    const index = d === 1 ? 0 : bidx[bidx.length - dims.length + i]!;
    off += index * stride;
    stride *= d;
  }
  return off;
}

export function reduce(x: HostTensor, op: string, axis: number, keepDims: boolean): HostTensor {
  const outer = size(x.shape.slice(0, axis));
  const n = x.shape[axis]!;
  const inner = size(x.shape.slice(axis + 1));
  const data = new Float64Array(outer * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let acc = op === "max" ? -Infinity : 0;
      for (let t = 0; t < n; t++) {
        const v = x.data[o * n * inner + t * inner + i]!;
        acc = op === "max" ? Math.max(acc, v) : acc + v;
      }
      data[o * inner + i] = op === "mean" ? acc / n : acc;
    }
  }
  const shape = keepDims ? x.shape.map((d, i) => (i === axis ? 1 : d)) : x.shape.filter((_, i) => i !== axis);
  return { shape, data };
}

export function transpose(x: HostTensor, perm: readonly number[]): HostTensor {
  const shape = perm.map((p) => x.shape[p]!);
  const st = stridesOf(x.shape);
  const data = new Float64Array(x.data.length);
  for (let i = 0; i < data.length; i++) {
    const idx = unravel(i, shape);
    let off = 0;
    for (let d = 0; d < perm.length; d++) off += idx[d]! * st[perm[d]!]!;
    data[i] = x.data[off]!;
  }
  return { shape, data };
}

export function slice(
  x: HostTensor,
  starts: readonly number[],
  ends: readonly number[],
  axes: readonly number[],
): HostTensor {
  const lo = x.shape.map(() => 0);
  const hi = [...x.shape];
  axes.forEach((a, i) => {
    lo[a] = starts[i]!;
    hi[a] = ends[i]!;
  });
  const shape = hi.map((h, i) => h - lo[i]!);
  const st = stridesOf(x.shape);
  const data = new Float64Array(size(shape));
  for (let i = 0; i < data.length; i++) {
    const idx = unravel(i, shape);
    let off = 0;
    for (let d = 0; d < shape.length; d++) off += (idx[d]! + lo[d]!) * st[d]!;
    data[i] = x.data[off]!;
  }
  return { shape, data };
}

export function concat(xs: readonly HostTensor[], axis: number): HostTensor {
  const shape = [...xs[0]!.shape];
  shape[axis] = xs.reduce((s, x) => s + x.shape[axis]!, 0);
  const data = new Float64Array(size(shape));
  const outer = size(shape.slice(0, axis));
  let offset = 0;
  for (const x of xs) {
    const chunk = size(x.shape.slice(axis));
    const total = size(shape.slice(axis));
    for (let o = 0; o < outer; o++) data.set(x.data.subarray(o * chunk, (o + 1) * chunk), o * total + offset);
    offset += chunk;
  }
  return { shape, data };
}

export function gather(table: HostTensor, indices: HostTensor): HostTensor {
  const d = table.shape[1]!;
  const shape = [...indices.shape, d];
  const data = new Float64Array(size(shape));
  indices.data.forEach((row, i) => {
    data.set(table.data.subarray(row * d, (row + 1) * d), i * d);
  });
  return { shape, data };
}

export function gatherElements(x: HostTensor, indices: HostTensor, axis: number): HostTensor {
  const st = stridesOf(x.shape);
  const data = new Float64Array(indices.data.length);
  for (let i = 0; i < data.length; i++) {
    const idx = unravel(i, indices.shape);
    idx[axis] = indices.data[i]!;
    let off = 0;
    for (let dd = 0; dd < idx.length; dd++) off += idx[dd]! * st[dd]!;
    data[i] = x.data[off]!;
  }
  return { shape: [...indices.shape], data };
}

export function where(c: HostTensor, a: HostTensor, b: HostTensor): HostTensor {
  const shape = broadcast(broadcast(c.shape, a.shape), b.shape);
  const data = new Float64Array(size(shape));
  for (let i = 0; i < data.length; i++) {
    const idx = unravel(i, shape);
    data[i] = atBroadcast(c, idx) !== 0 ? atBroadcast(a, idx) : atBroadcast(b, idx);
  }
  return { shape, data };
}

export function layerNorm(
  x: HostTensor,
  gamma: HostTensor,
  beta: HostTensor,
  eps: number,
  residual?: HostTensor,
): HostTensor {
  const n = x.shape[x.shape.length - 1]!;
  const data = new Float64Array(x.data.length);
  for (let r = 0; r < x.data.length / n; r++) {
    const row = Array.from(
      { length: n },
      (_, i) => x.data[r * n + i]! + (residual ? residual.data[r * n + i]! : 0),
    );
    const mean = row.reduce((s, v) => s + v, 0) / n;
    const variance = row.reduce((s, v) => s + (v - mean) ** 2, 0) / n;
    row.forEach((v, i) => {
      data[r * n + i] = ((v - mean) / Math.sqrt(variance + eps)) * gamma.data[i]! + beta.data[i]!;
    });
  }
  return { shape: [...x.shape], data };
}

export function maskedSoftmax(x: HostTensor, mask?: HostTensor): HostTensor {
  const n = x.shape[x.shape.length - 1]!;
  const data = new Float64Array(x.data.length);
  for (let r = 0; r < x.data.length / n; r++) {
    const row = Array.from({ length: n }, (_, j) => {
      const keep = mask === undefined || atBroadcast(mask, unravel(r * n + j, x.shape)) !== 0;
      // float32 addition of the lowest value saturates; in float64 it stays the lowest value.
      return keep ? x.data[r * n + j]! : FLOAT32_LOWEST;
    });
    const max = Math.max(...row);
    const e = row.map((v) => Math.exp(v - max));
    const sum = e.reduce((s, v) => s + v, 0);
    e.forEach((v, j) => {
      data[r * n + j] = v / sum;
    });
  }
  return { shape: [...x.shape], data };
}

/** Direct loops over the formula; returns context [B, L, H·hs] and probs [B, H, L, L]. */
export function disentangledAttention(
  qkv: HostTensor,
  qBias: HostTensor,
  vBias: HostTensor,
  mask: HostTensor,
  posKey: HostTensor | undefined,
  posQuery: HostTensor | undefined,
  heads: number,
  scale: number,
  span: number,
  kBias?: HostTensor,
  relativeIndex?: HostTensor,
): { context: HostTensor; probs: HostTensor } {
  const [B, L, W] = qkv.shape as [number, number, number];
  const hs = W / (3 * heads);
  const at = (b: number, t: number, h: number, part: number, d: number) =>
    qkv.data[(b * L + t) * W + h * 3 * hs + part * hs + d]!;
  const probs = new Float64Array(B * heads * L * L);
  const context = new Float64Array(B * L * heads * hs);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < heads; h++) {
      for (let i = 0; i < L; i++) {
        const scores = new Array<number>(L);
        for (let j = 0; j < L; j++) {
          const delta = relativeIndex
            ? relativeIndex.data[i - j + L - 1]!
            : Math.min(Math.max(i - j + span, 0), 2 * span - 1);
          let s = 0;
          for (let d = 0; d < hs; d++) {
            const q = (at(b, i, h, 0, d) + qBias.data[h * hs + d]!) * scale;
            const k = at(b, j, h, 1, d) + (kBias ? kBias.data[h * hs + d]! : 0);
            s += q * k;
            if (posKey) s += q * posKey.data[(h * 2 * span + delta) * hs + d]!;
            if (posQuery) s += k * posQuery.data[(h * 2 * span + delta) * hs + d]!;
          }
          const m =
            mask.shape.length === 2
              ? mask.data[b * L + i]! * mask.data[b * L + j]!
              : mask.data[(b * L + i) * L + j]!;
          scores[j] = m !== 0 ? s : FLOAT32_LOWEST;
        }
        const max = Math.max(...scores);
        const e = scores.map((v) => Math.exp(v - max));
        const sum = e.reduce((a, v) => a + v, 0);
        for (let j = 0; j < L; j++) probs[((b * heads + h) * L + i) * L + j] = e[j]! / sum;
        for (let d = 0; d < hs; d++) {
          let c = 0;
          for (let j = 0; j < L; j++)
            c += probs[((b * heads + h) * L + i) * L + j]! * (at(b, j, h, 2, d) + vBias.data[h * hs + d]!);
          context[(b * L + i) * heads * hs + h * hs + d] = c;
        }
      }
    }
  }
  return {
    context: { shape: [B, L, heads * hs], data: context },
    probs: { shape: [B, heads, L, L], data: probs },
  };
}

/** counts (when given) followed by how many values of x are NaN or at least `limit` in magnitude. */
export function overflowCount(x: HostTensor, counts: HostTensor | undefined, limit: number): HostTensor {
  let n = 0;
  for (const v of x.data) if (Number.isNaN(v) || Math.abs(v) >= limit) n += 1;
  const before = counts === undefined ? [] : Array.from(counts.data);
  return { shape: [before.length + 1], data: Float64Array.from([...before, n]) };
}
