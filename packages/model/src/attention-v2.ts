// DeBERTa-v2 attention block (transformers' DebertaV2Attention), built from primitive ops:
//   q, k, v   = x·W_qᵀ + b_q, x·W_kᵀ + b_k, x·W_vᵀ + b_v        as [B, heads, L, d]   (d = attention_head_size)
//   s         = √(d · scale_factor),  scale_factor = 1 + [c2p ∈ pos_att_type] + [p2c ∈ pos_att_type]
//   R         = rel_embeddings (LayerNorm'd when norm_rel_ebd has layer_norm), [2·span, hidden]
//   posKey    = R·W_kᵀ + b_k (share_att_key) or R·W_pos_keyᵀ + b_pos_key          as [heads, 2·span, d]
//   posQuery  = R·W_qᵀ + b_q (share_att_key) or R·W_pos_queryᵀ + b_pos_query      as [heads, 2·span, d]
//   c2c(i, j) = q_i · k_j / s
//   c2p(i, j) = q_i · posKey[clamp(rel(i, j) + span, 0, 2·span − 1)] / s
//   p2c(i, j) = k_j · posQuery[clamp(−rel(j, i) + span, 0, 2·span − 1)] / s
//   P         = softmax_j(masked_fill(c2c + c2p + p2c, mask(i, j) = 0, float32 lowest))
//   out       = LayerNorm(dense(P · v) + x)
// rel(i, j) is the (log-bucketed) relative position of relative-position-v2.ts; mask(i, j) = m_i · m_j for a
// [B, L] mask (so padded query rows are uniform, as in transformers). The c2p / p2c products are
// [B, heads, L, 2·span] and are gathered at the indices with gatherElements.
import type { DebertaV2Config } from "@deberta/config";
import { runFused, type TensorHandle } from "@deberta/tensor";
import type { AttentionTerms } from "./attention-terms.js";
import type { Ops } from "./ops.js";
import type { WeightBinder } from "./weights.js";

interface Projection {
  weight: TensorHandle;
  bias: TensorHandle;
}

/** What one forward pass shares between its layers. */
export interface V2AttentionContext {
  /** The relative embeddings as the layers use them (after norm_rel_ebd), [2·span, hidden]. */
  relEmbeddings: TensorHandle | undefined;
  /** int32 [B, heads, L, L] gather indices of the c2p and p2c terms. */
  c2pIndex: TensorHandle | undefined;
  p2cIndex: TensorHandle | undefined;
  /** float [B, 1, L, L] (or broadcastable): 0 where the score is masked. */
  mask: TensorHandle;
}

export class DebertaV2Attention {
  private positional: { posKey?: TensorHandle; posQuery?: TensorHandle } | undefined;

  private constructor(
    private readonly config: DebertaV2Config,
    private readonly query: Projection,
    private readonly key: Projection,
    private readonly value: Projection,
    private readonly posKeyProj: Projection | undefined,
    private readonly posQueryProj: Projection | undefined,
    private readonly dense: Projection,
    private readonly norm: Projection,
  ) {}

  static load(w: WeightBinder, config: DebertaV2Config, prefix: string): DebertaV2Attention {
    const h = config.hidden_size;
    const all = config.all_head_size;
    const p = `${prefix}.attention`;
    const projection = (name: string): Projection => ({
      weight: w.take(`${p}.self.${name}.weight`, [all, h], { linear: true }),
      bias: w.take(`${p}.self.${name}.bias`, [all]),
    });
    const query = projection("query_proj");
    const key = projection("key_proj");
    const value = projection("value_proj");
    const types = config.pos_att_types;
    const separate = config.relative_attention && !config.share_att_key;
    const posKeyProj = separate && types.includes("c2p") ? projection("pos_key_proj") : undefined;
    const posQueryProj = separate && types.includes("p2c") ? projection("pos_query_proj") : undefined;
    const dense = {
      weight: w.take(`${p}.output.dense.weight`, [h, all], { linear: true }),
      bias: w.take(`${p}.output.dense.bias`, [h]),
    };
    const norm = {
      weight: w.take(`${p}.output.LayerNorm.weight`, [h]),
      bias: w.take(`${p}.output.LayerNorm.bias`, [h]),
    };
    return new DebertaV2Attention(config, query, key, value, posKeyProj, posQueryProj, dense, norm);
  }

  /** posKey / posQuery [heads, 2·span, d]: they depend only on the weights, so they are computed once. */
  private projections(ops: Ops, rel: TensorHandle): { posKey?: TensorHandle; posQuery?: TensorHandle } {
    if (this.positional !== undefined) return this.positional;
    const types = this.config.pos_att_types;
    const heads = this.config.num_attention_heads;
    const d = this.config.head_size;
    const rows = rel.shape[0]!;
    const toHeads = (projection: Projection): TensorHandle => {
      const projected = ops.linear(rel, projection.weight, projection.bias);
      const split = ops.reshape(projected, [rows, heads, d]);
      const out = ops.transpose(split, [1, 0, 2]);
      ops.free(projected, split);
      return out;
    };
    const shared = this.config.share_att_key;
    const result: { posKey?: TensorHandle; posQuery?: TensorHandle } = {};
    if (types.includes("c2p")) result.posKey = toHeads(shared ? this.key : this.posKeyProj!);
    if (types.includes("p2c")) result.posQuery = toHeads(shared ? this.query : this.posQueryProj!);
    this.positional = result;
    return result;
  }

  forward(
    ops: Ops,
    x: TensorHandle,
    context: V2AttentionContext,
    options: { returnProbs: boolean; returnTerms: boolean },
  ): { output: TensorHandle; probs?: TensorHandle; terms?: AttentionTerms } {
    const [batch, length] = x.shape as [number, number, number];
    const heads = this.config.num_attention_heads;
    const d = this.config.head_size;
    const inverseScale = 1 / Math.sqrt(d * this.config.attention_scale_factor);
    const b = ops.backend;
    const temporaries: TensorHandle[] = [];
    const temp = (handle: TensorHandle) => {
      temporaries.push(handle);
      return handle;
    };
    const keep: TensorHandle[] = [];
    try {
      const perHead = (projection: Projection) =>
        temp(
          ops.transpose(
            temp(
              ops.reshape(temp(ops.linear(x, projection.weight, projection.bias)), [batch, length, heads, d]),
            ),
            [0, 2, 1, 3],
          ),
        );
      const q = perHead(this.query);
      const k = perHead(this.key);
      const v = perHead(this.value);
      const product = (a: TensorHandle, c: TensorHandle) =>
        b.run("matmul", { a, b: c }, { transposeB: true });
      const c2c = temp(ops.scale(temp(product(q, k)), inverseScale));
      let scores = c2c;
      let c2p: TensorHandle | undefined;
      let p2c: TensorHandle | undefined;
      if (this.config.relative_attention && context.relEmbeddings !== undefined) {
        const { posKey, posQuery } = this.projections(ops, context.relEmbeddings);
        if (posKey !== undefined && context.c2pIndex !== undefined) {
          const full = temp(product(q, posKey)); // [B, heads, L, 2·span]: q_i · posKey[r]
          const gathered = temp(b.run("gatherElements", { x: full, indices: context.c2pIndex }, { axis: 3 }));
          c2p = temp(ops.scale(gathered, inverseScale));
          scores = temp(ops.add(scores, c2p));
        }
        if (posQuery !== undefined && context.p2cIndex !== undefined) {
          const full = temp(product(k, posQuery)); // [B, heads, L, 2·span]: k_j · posQuery[r]
          const gathered = temp(b.run("gatherElements", { x: full, indices: context.p2cIndex }, { axis: 3 }));
          const scaled = temp(ops.scale(gathered, inverseScale));
          p2c = temp(ops.transpose(scaled, [0, 1, 3, 2]));
          scores = temp(ops.add(scores, p2c));
        }
      }
      const probs = temp(runFused(b, "maskedSoftmax", { x: scores, mask: context.mask }, {}));
      const weighted = temp(b.run("matmul", { a: probs, b: v }, {}));
      const merged = temp(
        ops.reshape(temp(ops.transpose(weighted, [0, 2, 1, 3])), [batch, length, heads * d]),
      );
      const dense = temp(ops.linear(merged, this.dense.weight, this.dense.bias));
      const output = ops.layerNorm(dense, this.norm.weight, this.norm.bias, this.config.layer_norm_eps, x);
      keep.push(output);
      const result: { output: TensorHandle; probs?: TensorHandle; terms?: AttentionTerms } = { output };
      if (options.returnProbs) {
        result.probs = probs;
        keep.push(probs);
      }
      if (options.returnTerms) {
        result.terms = { c2c, ...(c2p === undefined ? {} : { c2p }), ...(p2c === undefined ? {} : { p2c }) };
        keep.push(c2c, ...(c2p === undefined ? [] : [c2p]), ...(p2c === undefined ? [] : [p2c]));
      }
      return result;
    } catch (error) {
      ops.free(...keep);
      keep.length = 0;
      throw error;
    } finally {
      ops.free(...temporaries.filter((h) => !keep.includes(h)));
    }
  }

  /** Frees the cached relative projections. */
  clear(ops: Ops): void {
    if (this.positional !== undefined) ops.free(this.positional.posKey, this.positional.posQuery);
    this.positional = undefined;
  }
}
