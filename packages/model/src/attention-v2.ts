// DeBERTa-v2 attention block (transformers' DebertaV2Attention) on the fused `disentangledAttention` op:
//   q, k, v   = x·W_qᵀ + b_q, x·W_kᵀ + b_k, x·W_vᵀ + b_v          (d = attention_head_size per head)
//   s         = √(d · scale_factor),  scale_factor = 1 + [c2p ∈ pos_att_type] + [p2c ∈ pos_att_type]
//   R         = rel_embeddings (LayerNorm'd when norm_rel_ebd has layer_norm), [2·span, hidden]
//   posKey    = R·W_kᵀ + b_k (share_att_key) or R·W_pos_keyᵀ + b_pos_key          as [heads, 2·span, d]
//   posQuery  = R·W_qᵀ + b_q (share_att_key) or R·W_pos_queryᵀ + b_pos_query      as [heads, 2·span, d]
//   δ(i, j)   = clamp(bucket(i − j) + span, 0, 2·span − 1)   (relative-position-v2.ts; the same row for c2p
//               and p2c, bucket being odd)
//   c2c(i, j) = q_i · k_j / s,  c2p(i, j) = q_i · posKey[δ(i, j)] / s,  p2c(i, j) = k_j · posQuery[δ(i, j)] / s
//   P         = softmax_j(masked_fill(c2c + c2p + p2c, mask(i, j) = 0, float32 lowest))
//   out       = LayerNorm(dense(P · v) + x)
// The op takes one projection qkv = x·W_qkvᵀ [B, L, heads·3·d] with per head the blocks [q | k | v] (v1's
// in_proj layout): W_qkv is interleaved from the three checkpoint weights once at load and prepared as one
// Linear weight, and the biases go to the op (q_bias, k_bias, v_bias), which computes q' = (q + b_q) / s and
// k' = k + b_k itself. posQuery is handed over already divided by s, and δ as the [2L − 1] table the encoder
// uploads once per pass: nothing [B, heads, L, 2·span] or [B, heads, L, L] is built for the forward. The
// score terms (output_attention_terms) come from primitive ops beside it (attention-terms.ts), as in v1.
import type { DebertaV2Config } from "@deberta/config";
import { runFused, type TensorHandle } from "@deberta/tensor";
import { type AttentionTerms, attentionTerms, type RelativeIndices } from "./attention-terms.js";
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
  /** int32 [2L − 1]: δ(i, j) = relativeIndex[i − j + L − 1] (relativeIndexTable); undefined without relative attention. */
  relativeIndex: TensorHandle | undefined;
  /** The attention mask as the op takes it: [B, L] (scores kept where m_i · m_j ≠ 0) or [B, L, L]. */
  mask: TensorHandle;
  /** The gather indices of the score terms, when output_attention_terms asks for them. */
  termIndices?: RelativeIndices;
}

/**
 * W_q, W_k, W_v [heads·d, hidden] → W_qkv [heads·3·d, hidden], per head the rows of q, then k, then v:
 * row (h·3 + t)·d + e of W_qkv is row h·d + e of the t-th weight.
 */
function interleaveHeads(heads: number, headSize: number, hidden: number) {
  return (parts: readonly Float32Array[]): Float32Array => {
    const out = new Float32Array(3 * heads * headSize * hidden);
    const block = headSize * hidden;
    for (let h = 0; h < heads; h++) {
      for (let t = 0; t < 3; t++) {
        out.set(parts[t]!.subarray(h * block, (h + 1) * block), (h * 3 + t) * block);
      }
    }
    return out;
  };
}

export class DebertaV2Attention {
  private positional: { posKey?: TensorHandle; posQuery?: TensorHandle } | undefined;

  private constructor(
    private readonly config: DebertaV2Config,
    private readonly qkv: TensorHandle,
    private readonly qBias: TensorHandle,
    private readonly kBias: TensorHandle,
    private readonly vBias: TensorHandle,
    private readonly posKeyProj: Projection | undefined,
    private readonly posQueryProj: Projection | undefined,
    private readonly dense: Projection,
    private readonly norm: Projection,
  ) {}

  static load(w: WeightBinder, config: DebertaV2Config, prefix: string): DebertaV2Attention {
    const h = config.hidden_size;
    const all = config.all_head_size;
    const p = `${prefix}.attention`;
    const names = ["query_proj", "key_proj", "value_proj"];
    const qkv = w.takeCombined(
      names.map((name) => ({ name: `${p}.self.${name}.weight`, shape: [all, h] })),
      [3 * all, h],
      interleaveHeads(config.num_attention_heads, config.head_size, h),
      // Named for messages about its outputs (fp16 overflow): the query / key / value projections together.
      { linear: true, name: `${p}.self.query_key_value_proj.weight` },
    );
    const [qBias, kBias, vBias] = names.map((name) => w.take(`${p}.self.${name}.bias`, [all])) as [
      TensorHandle,
      TensorHandle,
      TensorHandle,
    ];
    const projection = (name: string): Projection => ({
      weight: w.take(`${p}.self.${name}.weight`, [all, h], { linear: true }),
      bias: w.take(`${p}.self.${name}.bias`, [all]),
    });
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
    return new DebertaV2Attention(config, qkv, qBias, kBias, vBias, posKeyProj, posQueryProj, dense, norm);
  }

  private get inverseScale(): number {
    return 1 / Math.sqrt(this.config.head_size * this.config.attention_scale_factor);
  }

  /**
   * posKey and posQuery / s, [heads, 2·span, d]: they depend only on the weights, so they are computed once.
   * With share_att_key they are R's query and key blocks of the fused projection (R·W_qkvᵀ, then the bias).
   */
  private projections(ops: Ops, rel: TensorHandle): { posKey?: TensorHandle; posQuery?: TensorHandle } {
    if (this.positional !== undefined) return this.positional;
    const types = this.config.pos_att_types;
    const heads = this.config.num_attention_heads;
    const d = this.config.head_size;
    const rows = rel.shape[0]!;
    const temporaries: TensorHandle[] = [];
    const temp = (handle: TensorHandle) => {
      temporaries.push(handle);
      return handle;
    };
    const scaled = (x: TensorHandle, query: boolean) => (query ? temp(ops.scale(x, this.inverseScale)) : x);
    const result: { posKey?: TensorHandle; posQuery?: TensorHandle } = {};
    try {
      if (this.config.share_att_key) {
        // [2·span, heads, 3·d]: block t of head h is R·W_tᵀ for that head.
        const fused = temp(ops.reshape(temp(ops.linear(rel, this.qkv)), [rows, heads, 3 * d]));
        const headsFirst = (t: 0 | 1, bias: TensorHandle) => {
          const block = temp(ops.slice(fused, [t * d], [(t + 1) * d], [2]));
          const biased = temp(ops.add(block, temp(ops.reshape(bias, [heads, d]))));
          return ops.transpose(scaled(biased, t === 0), [1, 0, 2]);
        };
        if (types.includes("c2p")) result.posKey = headsFirst(1, this.kBias);
        if (types.includes("p2c")) result.posQuery = headsFirst(0, this.qBias);
      } else {
        const headsFirst = (projection: Projection, query: boolean) => {
          const projected = temp(ops.linear(rel, projection.weight, projection.bias));
          const split = temp(ops.reshape(scaled(projected, query), [rows, heads, d]));
          return ops.transpose(split, [1, 0, 2]);
        };
        if (types.includes("c2p")) result.posKey = headsFirst(this.posKeyProj!, false);
        if (types.includes("p2c")) result.posQuery = headsFirst(this.posQueryProj!, true);
      }
    } catch (error) {
      ops.free(result.posKey, result.posQuery);
      throw error;
    } finally {
      ops.free(...temporaries);
    }
    this.positional = result;
    return result;
  }

  forward(
    ops: Ops,
    x: TensorHandle,
    context: V2AttentionContext,
    options: { returnProbs: boolean; returnTerms: boolean },
  ): { output: TensorHandle; probs?: TensorHandle; terms?: AttentionTerms } {
    const heads = this.config.num_attention_heads;
    const relative = this.config.relative_attention && context.relEmbeddings !== undefined;
    const positional = relative ? this.projections(ops, context.relEmbeddings!) : {};
    const hasTerms = positional.posKey !== undefined || positional.posQuery !== undefined;
    const span = relative ? this.config.attention_span : 1;
    const biases = { qBias: this.qBias, kBias: this.kBias };
    const qkv = ops.linear(x, this.qkv);
    let terms: AttentionTerms | undefined;
    let attention: { context: TensorHandle; probs?: TensorHandle };
    try {
      if (options.returnTerms && context.termIndices !== undefined) {
        terms = attentionTerms(
          ops,
          { qkv, ...biases, ...positional },
          { numHeads: heads, headSize: this.config.head_size, scale: this.inverseScale, span },
          context.termIndices,
        );
      }
      attention = runFused(
        ops.backend,
        "disentangledAttention",
        {
          qkv,
          ...biases,
          vBias: this.vBias,
          mask: context.mask,
          ...positional,
          // The table picks rows of posKey / posQuery: without either it is not given.
          ...(hasTerms && context.relativeIndex !== undefined
            ? { relativeIndex: context.relativeIndex }
            : {}),
        },
        { numHeads: heads, scale: this.inverseScale, span, returnProbs: options.returnProbs },
      );
    } catch (error) {
      if (terms !== undefined) ops.free(terms.c2c, terms.c2p, terms.p2c);
      throw error;
    } finally {
      ops.free(qkv);
    }
    const dense = ops.linear(attention.context, this.dense.weight, this.dense.bias);
    ops.free(attention.context);
    const output = ops.layerNorm(dense, this.norm.weight, this.norm.bias, this.config.layer_norm_eps, x);
    ops.free(dense);
    return {
      output,
      ...(attention.probs === undefined ? {} : { probs: attention.probs }),
      ...(terms === undefined ? {} : { terms }),
    };
  }

  /** Frees the cached relative projections. */
  clear(ops: Ops): void {
    if (this.positional !== undefined) ops.free(this.positional.posKey, this.positional.posQuery);
    this.positional = undefined;
  }
}
