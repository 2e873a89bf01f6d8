// The score terms of one DeBERTa attention layer, as they enter the softmax (transformers' DeBERTa v1
// DisentangledSelfAttention, and v2's with a key bias and a relative index table), built from primitive ops
// so that every backend computes them:
//   q, k      = per-head query and key blocks of qkv [B, L, heads · 3 · headSize] (per head: q, k, v)
//   q'        = (q + q_bias) · scale,  scale = 1 / √(headSize · (1 + number of pos_att types))
//   k'        = k + k_bias (v2; k without)
//   δ(i, j)   = clamp(i − j + span, 0, 2·span − 1), or table[i − j + L − 1] (v2's log buckets)
//   c2c(i, j) = q'_i · k'_j
//   c2p(i, j) = q'_i · posKey[δ(i, j)]            (pos_att_type has c2p)
//   p2c(i, j) = k'_j · posQuery[δ(i, j)]          (pos_att_type has p2c; posQuery already scaled)
// each [B, heads, L, L]. The layer's attention probabilities are softmax_j(c2c + c2p + p2c) with masked
// keys set to float32's lowest value; no mask is applied here. The forward pass itself keeps using the
// fused `disentangledAttention` op (which reads c2p / p2c by relative index and materialises none of
// this): the terms are computed only when asked for, in addition, as `[B, H, L, 2·span]` products gathered
// at δ like the op's reference (@deberta/tensor src/reference/disentangled-attention.ts).
import { Tensor, type TensorHandle } from "@deberta/tensor";
import { ModelError } from "./errors.js";
import type { Ops } from "./ops.js";

/** The score terms of one layer, [batch, heads, length, length]; a term the config does not use is absent. */
export interface AttentionTerms<T = TensorHandle> {
  /** Content to content: q'_i · k_j. */
  c2c: T;
  /** Content to position: q'_i · posKey[δ(i, j)] (when `pos_att_type` has `c2p` and relative attention is on). */
  c2p?: T;
  /** Position to content: k_j · posQuery[δ(i, j)] (when `pos_att_type` has `p2c` and relative attention is on). */
  p2c?: T;
}

/**
 * The int32 gather indices of one forward pass, shared by its layers (they all have the same batch, heads,
 * length and span): δ(i, j) for c2p, and δ(j, i) for p2c (gathered on the key's rows, then transposed).
 * With `table` (v2: the attention op's relativeIndex [2L − 1] of this pass's length), δ(i, j) is its entry
 * i − j + L − 1 instead of the clamped i − j + span.
 */
export class RelativeIndices {
  private readonly built = new Map<string, TensorHandle>();

  constructor(
    private readonly ops: Ops,
    private readonly table?: Int32Array,
  ) {}

  get(transposed: boolean, batch: number, heads: number, length: number, span: number): TensorHandle {
    const key = `${transposed}:${batch}:${heads}:${length}:${span}`;
    const cached = this.built.get(key);
    if (cached !== undefined) return cached;
    if (this.table !== undefined && this.table.length !== 2 * length - 1) {
      throw new ModelError(
        "MODEL_INPUT",
        `RelativeIndices: the relative index table has ${this.table.length} entries, not 2 * ${length} - 1`,
        { argument: "table" },
      );
    }
    const plane = new Int32Array(length * length);
    for (let i = 0; i < length; i++) {
      for (let j = 0; j < length; j++) {
        const rel = transposed ? j - i : i - j;
        plane[i * length + j] =
          this.table === undefined
            ? Math.min(Math.max(rel + span, 0), 2 * span - 1)
            : this.table[rel + length - 1]!;
      }
    }
    const data = new Int32Array(batch * heads * length * length);
    for (let p = 0; p < batch * heads; p++) data.set(plane, p * length * length);
    const handle = this.ops.backend.upload(new Tensor("int32", data, [batch, heads, length, length]));
    this.built.set(key, handle);
    return handle;
  }

  free(): void {
    this.ops.free(...this.built.values());
    this.built.clear();
  }
}

/** The terms of one layer from its fused projection `qkv` (see the maths above). */
export function attentionTerms(
  ops: Ops,
  inputs: {
    qkv: TensorHandle;
    qBias: TensorHandle;
    kBias?: TensorHandle;
    posKey?: TensorHandle;
    posQuery?: TensorHandle;
  },
  attrs: { numHeads: number; headSize: number; scale: number; span: number },
  indices: RelativeIndices,
): AttentionTerms {
  const { qkv, qBias, kBias, posKey, posQuery } = inputs;
  const { numHeads: heads, headSize, scale, span } = attrs;
  const [batch, length] = qkv.shape as [number, number, number];
  const b = ops.backend;
  const temporaries: TensorHandle[] = [];
  const temp = (h: TensorHandle) => {
    temporaries.push(h);
    return h;
  };
  let terms: AttentionTerms | undefined;
  try {
    const perHead = temp(ops.reshape(qkv, [batch, length, heads, 3 * headSize]));
    // Block k of each head (0: query, 1: key), as [B, heads, L, headSize].
    const block = (k: number) =>
      temp(ops.transpose(temp(ops.slice(perHead, [k * headSize], [(k + 1) * headSize], [3])), [0, 2, 1, 3]));
    const bias = (b: TensorHandle) => temp(ops.reshape(b, [heads, 1, headSize]));
    const query = temp(ops.scale(temp(ops.add(block(0), bias(qBias))), scale));
    const key = kBias === undefined ? block(1) : temp(ops.add(block(1), bias(kBias)));
    const product = (x: TensorHandle, y: TensorHandle) =>
      b.run("matmul", { a: x, b: y }, { transposeB: true });
    terms = { c2c: product(query, key) };
    if (posKey !== undefined) {
      const full = temp(product(query, posKey)); // [B, heads, L, 2·span]: q'_i · posKey[r]
      const index = indices.get(false, batch, heads, length, span);
      terms.c2p = b.run("gatherElements", { x: full, indices: index }, { axis: 3 });
    }
    if (posQuery !== undefined) {
      const full = temp(product(key, posQuery)); // [B, heads, L, 2·span]: k_j · posQuery[r]
      const index = indices.get(true, batch, heads, length, span);
      const gathered = temp(b.run("gatherElements", { x: full, indices: index }, { axis: 3 }));
      terms.p2c = ops.transpose(gathered, [0, 1, 3, 2]);
    }
    return terms;
  } catch (error) {
    if (terms !== undefined) ops.free(terms.c2c, terms.c2p, terms.p2c);
    throw error;
  } finally {
    ops.free(...temporaries);
  }
}
