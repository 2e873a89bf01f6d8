import type { FusedOpName, PrimitiveOpName } from "../ops.js";

/**
 * How to fill one input: normal noise, a 0/1 mask, integers in [lo, hi), given values, or "extremes": normal
 * noise with about one element in four replaced by a value at float16's edges or beyond (NaN, ±inf, ±65504,
 * ±65500, ±1e6, ±32768, ±6e-8).
 */
export type Fill =
  | "normal"
  | "positive"
  | "mask"
  | "extremes"
  | { int: [number, number] }
  | { values: number[] };

export interface InputSpec {
  shape: number[];
  dtype?: "float32" | "int32" | "int64";
  fill?: Fill;
}

/** One data-driven case: an op, its inputs (generated from the case name as seed), attrs, tolerance. */
export interface ConformanceCase {
  name: string;
  op: PrimitiveOpName | FusedOpName;
  fused: boolean;
  inputs: Record<string, InputSpec | InputSpec[]>;
  attrs: Record<string, unknown>;
  /** Largest absolute error allowed against the float64 oracle, per compute dtype of the backend. */
  tolerance: Tolerance;
}

/**
 * Per-dtype absolute tolerances: float16 storage (GPU backends) has a 2⁻¹¹ relative step where float32 has
 * 2⁻²⁴. In float16 the oracle also sees the inputs rounded to float16, and each value may additionally be
 * off by 2⁻¹⁰ of its magnitude (see run.ts).
 */
export interface Tolerance {
  float32: number;
  float16: number;
}

/** float16 gets 2⁸ times the float32 tolerance (a floor of 2e-3 for exact ops), as its step is 2¹³ coarser. */
const tol = (float32: number): Tolerance => ({ float32, float16: Math.max(2e-3, float32 * 256) });

const f = (...shape: number[]): InputSpec => ({ shape });
const prim = (
  name: string,
  op: PrimitiveOpName,
  inputs: ConformanceCase["inputs"],
  attrs: Record<string, unknown>,
  tolerance = 1e-6,
) => ({
  name,
  op,
  fused: false,
  inputs,
  attrs,
  tolerance: tol(tolerance),
});
const fused = (
  name: string,
  op: FusedOpName,
  inputs: ConformanceCase["inputs"],
  attrs: Record<string, unknown>,
  tolerance = 1e-5,
) => ({
  name,
  op,
  fused: true,
  inputs,
  attrs,
  tolerance: tol(tolerance),
});

/** Attention inputs for `heads` heads of size `hs`, length `len`, batch `b`, relative span `span`. */
function attention(
  b: number,
  len: number,
  heads: number,
  hs: number,
  span: number,
  c2p: boolean,
  p2c: boolean,
  mask3d = false,
  v2 = false,
) {
  const inputs: ConformanceCase["inputs"] = {
    qkv: f(b, len, heads * 3 * hs),
    qBias: f(heads * hs),
    vBias: f(heads * hs),
    mask: mask3d ? { shape: [b, len, len], fill: "mask" } : { shape: [b, len], fill: "mask" },
  };
  if (c2p) inputs.posKey = f(heads, 2 * span, hs);
  if (p2c) inputs.posQuery = f(heads, 2 * span, hs);
  if (v2) {
    // DeBERTa-v2: a key bias, and any table of rows (log buckets in a model; arbitrary rows test that
    // kernels read the table rather than assume a closed form).
    inputs.kBias = f(heads * hs);
    inputs.relativeIndex = { shape: [2 * len - 1], dtype: "int32", fill: { int: [0, 2 * span] } };
  }
  return inputs;
}

export const conformanceCases: readonly ConformanceCase[] = [
  prim("matmul 2-D", "matmul", { a: f(5, 7), b: f(7, 3) }, {}, 1e-5),
  prim("matmul 2-D transposeB", "matmul", { a: f(4, 33), b: f(13, 33) }, { transposeB: true }, 1e-5),
  prim("matmul batched", "matmul", { a: f(2, 3, 6, 5), b: f(2, 3, 5, 4) }, {}, 1e-5),
  prim(
    "matmul broadcast batch transposeB",
    "matmul",
    { a: f(2, 3, 6, 8), b: f(3, 10, 8) },
    { transposeB: true },
    1e-5,
  ),
  prim("matmul [..., K] x [K, N] (linear layout)", "matmul", { a: f(2, 9, 16), b: f(16, 12) }, {}, 1e-5),
  prim("matmul large K", "matmul", { a: f(3, 300), b: f(300, 17) }, {}, 5e-5),
  prim("add broadcast", "binary", { a: f(2, 3, 4), b: f(4) }, { op: "add" }),
  prim("sub broadcast middle", "binary", { a: f(2, 3, 4), b: f(2, 1, 4) }, { op: "sub" }),
  prim("mul broadcast both", "binary", { a: f(2, 1, 4), b: f(1, 3, 1) }, { op: "mul" }),
  prim("div", "binary", { a: f(3, 5), b: { shape: [3, 5], fill: "positive" } }, { op: "div" }, 1e-5),
  prim("max", "binary", { a: f(6), b: f(6) }, { op: "max" }),
  prim("min", "binary", { a: f(6), b: f(1) }, { op: "min" }),
  ...(["neg", "exp", "abs", "erf", "tanh", "relu", "sigmoid"] as const).map((op) =>
    prim(`unary ${op}`, "unary", { x: f(4, 9) }, { op }, 1e-6),
  ),
  ...(["log", "sqrt", "rsqrt"] as const).map((op) =>
    prim(`unary ${op}`, "unary", { x: { shape: [4, 9], fill: "positive" } }, { op }, 1e-5),
  ),
  prim("affine", "affine", { x: f(3, 4) }, { scale: -2.5, shift: 0.75 }),
  prim("reduce sum last", "reduce", { x: f(3, 5, 7) }, { op: "sum", axis: 2, keepDims: true }, 1e-5),
  prim("reduce max middle", "reduce", { x: f(3, 5, 7) }, { op: "max", axis: 1, keepDims: false }),
  prim("reduce mean first", "reduce", { x: f(3, 5, 7) }, { op: "mean", axis: 0, keepDims: false }, 1e-6),
  prim(
    "gather rows",
    "gather",
    { table: f(11, 6), indices: { shape: [2, 5], dtype: "int32", fill: { int: [0, 11] } } },
    {},
    0,
  ),
  prim(
    "gather rows int64 ids",
    "gather",
    { table: f(11, 6), indices: { shape: [3], dtype: "int64", fill: { int: [0, 11] } } },
    {},
    0,
  ),
  prim(
    "gatherElements last axis",
    "gatherElements",
    { x: f(2, 3, 4, 8), indices: { shape: [2, 3, 4, 4], dtype: "int32", fill: { int: [0, 8] } } },
    { axis: 3 },
    0,
  ),
  prim(
    "gatherElements axis 1",
    "gatherElements",
    { x: f(3, 5), indices: { shape: [3, 2], dtype: "int32", fill: { int: [0, 5] } } },
    { axis: 1 },
    0,
  ),
  prim(
    "where broadcast",
    "where",
    { condition: { shape: [2, 1, 4], fill: "mask" }, a: f(2, 3, 4), b: f(1) },
    {},
    0,
  ),
  prim("reshape", "reshape", { x: f(2, 3, 4) }, { shape: [6, 4] }, 0),
  prim("transpose 0213", "transpose", { x: f(2, 3, 4, 5) }, { perm: [0, 2, 1, 3] }, 0),
  prim("transpose 2-D", "transpose", { x: f(7, 3) }, { perm: [1, 0] }, 0),
  prim("slice last axis", "slice", { x: f(2, 3, 12) }, { starts: [4], ends: [8], axes: [2] }, 0),
  prim("slice all axes", "slice", { x: f(6, 5) }, { starts: [1, 2], ends: [4, 5] }, 0),
  prim("concat axis 1", "concat", { xs: [f(2, 3, 4), f(2, 1, 4), f(2, 2, 4)] }, { axis: 1 }, 0),
  prim(
    "cast int32 -> float32",
    "cast",
    { x: { shape: [5], dtype: "int32", fill: { int: [-4, 9] } } },
    { to: "float32" },
    0,
  ),
  fused("linear", "linear", { x: f(2, 5, 16), weight: f(12, 16), bias: f(12) }, {}),
  fused("linear no bias", "linear", { x: f(7, 9), weight: f(5, 9) }, {}),
  fused("linear + gelu", "linear", { x: f(3, 4, 8), weight: f(20, 8), bias: f(20) }, { activation: "gelu" }),
  fused("linear + relu", "linear", { x: f(3, 8), weight: f(6, 8), bias: f(6) }, { activation: "relu" }),
  fused("layerNorm", "layerNorm", { x: f(2, 3, 32), gamma: f(32), beta: f(32) }, { epsilon: 1e-7 }),
  fused(
    "layerNorm with residual",
    "layerNorm",
    { x: f(4, 24), residual: f(4, 24), gamma: f(24), beta: f(24) },
    { epsilon: 1e-5 },
  ),
  ...(["gelu", "gelu_new", "gelu_pytorch_tanh", "relu", "tanh", "sigmoid", "linear"] as const).map((fn) =>
    fused(`activation ${fn}`, "activation", { x: f(5, 7) }, { fn }, 1e-6),
  ),
  fused("maskedSoftmax no mask", "maskedSoftmax", { x: f(3, 4, 9) }, {}, 1e-6),
  fused(
    "maskedSoftmax with mask",
    "maskedSoftmax",
    { x: f(2, 3, 5, 5), mask: { shape: [2, 1, 5, 5], fill: "mask" } },
    {},
    1e-6,
  ),
  fused("disentangledAttention c2p|p2c", "disentangledAttention", attention(2, 7, 3, 4, 7, true, true), {
    numHeads: 3,
    scale: 1 / Math.sqrt(12),
    span: 7,
    returnProbs: true,
  }),
  fused("disentangledAttention clamped span", "disentangledAttention", attention(2, 9, 2, 5, 3, true, true), {
    numHeads: 2,
    scale: 1 / Math.sqrt(15),
    span: 3,
    returnProbs: true,
  }),
  fused("disentangledAttention p2c only", "disentangledAttention", attention(1, 6, 2, 4, 6, false, true), {
    numHeads: 2,
    scale: 0.35,
    span: 6,
    returnProbs: true,
  }),
  fused(
    "disentangledAttention c2p only, 3-D mask",
    "disentangledAttention",
    attention(2, 5, 1, 8, 5, true, false, true),
    { numHeads: 1, scale: 0.25, span: 5, returnProbs: false },
  ),
  fused(
    "disentangledAttention no relative terms",
    "disentangledAttention",
    attention(2, 6, 4, 3, 6, false, false),
    { numHeads: 4, scale: 0.5, span: 6, returnProbs: true },
  ),
  fused(
    "disentangledAttention v2 key bias and relative index table",
    "disentangledAttention",
    attention(2, 9, 3, 4, 4, true, true, false, true),
    { numHeads: 3, scale: 1 / Math.sqrt(12), span: 4, returnProbs: true },
  ),
  fused(
    "disentangledAttention v2 p2c only, 3-D mask",
    "disentangledAttention",
    attention(1, 7, 2, 5, 3, false, true, true, true),
    { numHeads: 2, scale: 0.3, span: 3, returnProbs: true },
  ),
  fused(
    "overflowCount at float16's limit, extremes",
    "overflowCount",
    { x: { shape: [3, 37, 29], fill: "extremes" } },
    { limit: 65504 },
    0,
  ),
  fused(
    "overflowCount appended to counts, many workgroups",
    "overflowCount",
    { x: f(64, 520), counts: { shape: [5], dtype: "int32", fill: { int: [0, 1000] } } },
    { limit: 2.5 },
    0,
  ),
  fused(
    "overflowCount odd length, given values",
    "overflowCount",
    { x: { shape: [7], fill: { values: [1, 70000, Number.NEGATIVE_INFINITY, 0.5, Number.NaN, -3, 65504] } } },
    { limit: 65504 },
    0,
  ),
  fused(
    "disentangledAttention v2 c2p only, long",
    "disentangledAttention",
    attention(1, 70, 2, 8, 16, true, false, false, true),
    { numHeads: 2, scale: 0.25, span: 16, returnProbs: false },
  ),
];

/** One entry of a backend's conformance run: the case, its test title, and why it is skipped (if it is). */
export interface PlannedCase {
  case: ConformanceCase;
  title: string;
  skip?: string;
}

/**
 * The cases a backend runs, titled "<op>: <case>", with the backend's skips (case name → reason) attached;
 * a skipped case's title names the op and the reason, and an unknown name in `skips` is an error.
 */
export function conformancePlan(skips: Readonly<Record<string, string>> = {}): PlannedCase[] {
  for (const name of Object.keys(skips)) {
    if (!conformanceCases.some((c) => c.name === name))
      throw new Error(`conformancePlan: no case named "${name}"`);
  }
  return conformanceCases.map((c) => {
    const reason = skips[c.name];
    return reason === undefined
      ? { case: c, title: `${c.op}: ${c.name}` }
      : { case: c, title: `${c.op}: ${c.name} — skipped: ${reason}`, skip: reason };
  });
}
