import type { DType } from "./dtype.js";
import type { TensorHandle } from "./handle.js";

type H = TensorHandle;

export type BinaryOp = "add" | "sub" | "mul" | "div" | "max" | "min";
export type UnaryOp = "neg" | "exp" | "log" | "sqrt" | "rsqrt" | "abs" | "erf" | "tanh" | "relu" | "sigmoid";
export type ReduceOp = "sum" | "max" | "mean";
/** Activations by their transformers names (`ACT2FN`). */
export type Activation = "gelu" | "gelu_new" | "gelu_pytorch_tanh" | "relu" | "tanh" | "sigmoid" | "linear";

/**
 * The primitive ops every backend implements. Inputs and attributes are typed per op (no casts), and the
 * semantics are numpy's: binary ops broadcast, `matmul` broadcasts its batch dimensions.
 */
export interface PrimitiveOps {
  /** a [..., M, K] x b [..., K, N] (or b [..., N, K] with transposeB) -> [..., M, N]. */
  matmul: { inputs: { a: H; b: H }; attrs: { transposeB?: boolean }; output: H };
  binary: { inputs: { a: H; b: H }; attrs: { op: BinaryOp }; output: H };
  unary: { inputs: { x: H }; attrs: { op: UnaryOp }; output: H };
  /** x * scale + shift, elementwise. */
  affine: { inputs: { x: H }; attrs: { scale: number; shift: number }; output: H };
  reduce: { inputs: { x: H }; attrs: { op: ReduceOp; axis: number; keepDims: boolean }; output: H };
  /** Rows of a 2-D table: table [V, D], indices int [...] -> [..., D]. Out-of-range indices throw. */
  gather: { inputs: { table: H; indices: H }; attrs: Record<string, never>; output: H };
  /** numpy take_along_axis: out[..i..] = x[..indices[..i..] on `axis`..]; indices has out's shape. */
  gatherElements: { inputs: { x: H; indices: H }; attrs: { axis: number }; output: H };
  /** condition != 0 ? a : b, broadcasting. */
  where: { inputs: { condition: H; a: H; b: H }; attrs: Record<string, never>; output: H };
  reshape: { inputs: { x: H }; attrs: { shape: readonly number[] }; output: H };
  transpose: { inputs: { x: H }; attrs: { perm: readonly number[] }; output: H };
  /** Half-open [starts, ends) per listed axis (all axes when `axes` is absent). */
  slice: {
    inputs: { x: H };
    attrs: { starts: readonly number[]; ends: readonly number[]; axes?: readonly number[] };
    output: H;
  };
  concat: { inputs: { xs: readonly H[] }; attrs: { axis: number }; output: H };
  cast: { inputs: { x: H }; attrs: { to: DType }; output: H };
}

/**
 * Optional fused ops. Each has a reference built from the primitives (`src/reference`), used whenever a
 * backend does not list the op in `fusedOps`.
 */
export interface FusedOps {
  /** x [..., in] · weightᵀ (weight [out, in], PyTorch's Linear layout) + bias, then the activation. */
  linear: { inputs: { x: H; weight: H; bias?: H }; attrs: { activation?: Activation }; output: H };
  /** LayerNorm over the last axis of x (+ residual), epsilon inside the square root. */
  layerNorm: { inputs: { x: H; residual?: H; gamma: H; beta: H }; attrs: { epsilon: number }; output: H };
  activation: { inputs: { x: H }; attrs: { fn: Activation }; output: H };
  /**
   * Softmax over the last axis after setting scores where mask == 0 to float32's lowest value (as
   * transformers' masked_fill); mask broadcasts against x.
   */
  maskedSoftmax: { inputs: { x: H; mask?: H }; attrs: Record<string, never>; output: H };
  /**
   * DeBERTa's disentangled self-attention from the fused projection qkv [B, L, heads * 3 * headSize]
   * (per head: query, key, value blocks), q_bias / v_bias [heads * headSize], the attention mask (2-D
   * [B, L]: mask[b,i] * mask[b,j]; 3-D [B, L, L]: as given), and when relative attention is on the
   * projected relative embeddings posKey / posQuery [heads, 2 * span, headSize] (posQuery already scaled).
   * score(i, j) = q'_i·k_j + q'_i·posKey[δ] + k_j·posQuery[δ], δ = clamp(i - j + span, 0, 2 span - 1),
   * q' = (q + q_bias) * scale. The c2p / p2c terms are read by relative index inside the score
   * computation; no [B, H, L, 2L] tensor is needed. Returns the context [B, L, heads * headSize] and,
   * when asked, the probabilities [B, heads, L, L].
   *
   * DeBERTa-v2 adds two optional inputs: kBias [heads * headSize], added to the keys (k = k + k_bias, in
   * every term), and relativeIndex, int32 [2L - 1], the row δ(i, j) = relativeIndex[i - j + L - 1] of
   * posKey / posQuery to read instead of clamp(i - j + span, ...) — v2's log buckets, already shifted by
   * span and clamped to [0, 2 span) by the caller. A backend that lists this op must honour both; an
   * index outside [0, 2 span) is an error where the backend can check it (CPU) and clamped where it cannot.
   */
  disentangledAttention: {
    inputs: { qkv: H; qBias: H; vBias: H; mask: H; posKey?: H; posQuery?: H; kBias?: H; relativeIndex?: H };
    attrs: { numHeads: number; scale: number; span: number; returnProbs: boolean };
    output: { context: H; probs?: H };
  };
  /**
   * A running tally of values out of range: int32 [n + 1], `counts` (int32 [n], when given) followed by the
   * number of elements of the float tensor x that are NaN or at least `limit` in magnitude (±inf included).
   * Backends storing float16 saturate their stores at float16's largest value, 65504, so with that limit it
   * counts the values a float16 store could not hold; passing the previous tally as `counts` gathers many
   * checks into one small tensor, read back once. Kernels compare the magnitude bits of the stored values as
   * integers (GPU compilers may assume floats are finite), against the smallest stored magnitude ≥ `limit`.
   */
  overflowCount: { inputs: { x: H; counts?: H }; attrs: { limit: number }; output: H };
}

export type PrimitiveOpName = keyof PrimitiveOps;
export type FusedOpName = keyof FusedOps;
export type OpInputs<T, K extends keyof T> = T[K] extends { inputs: infer I } ? I : never;
export type OpAttrs<T, K extends keyof T> = T[K] extends { attrs: infer A } ? A : never;
export type OpOutput<T, K extends keyof T> = T[K] extends { output: infer O } ? O : never;
