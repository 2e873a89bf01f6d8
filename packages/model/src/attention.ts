// DeBERTa attention block: disentangled self-attention on the fused in_proj (per head: q, k, v blocks),
// then out = LayerNorm(dense(context) + x). When asked, the score terms (c2c, c2p, p2c) too, computed
// beside the fused op from the same projections (attention-terms.ts).
import type { DebertaConfig } from "@deberta/config";
import { runFused, type TensorHandle } from "@deberta/tensor";
import { type AttentionTerms, attentionTerms, type RelativeIndices } from "./attention-terms.js";
import type { Ops } from "./ops.js";
import { RelativePositionCache } from "./relative-position.js";
import type { WeightBinder } from "./weights.js";

export class DebertaAttention {
  private constructor(
    private readonly config: DebertaConfig,
    private readonly inProj: TensorHandle,
    private readonly qBias: TensorHandle,
    private readonly vBias: TensorHandle,
    readonly relative: RelativePositionCache | undefined,
    private readonly dense: { weight: TensorHandle; bias: TensorHandle },
    private readonly norm: { weight: TensorHandle; bias: TensorHandle },
  ) {}

  static load(w: WeightBinder, config: DebertaConfig, prefix: string): DebertaAttention {
    const h = config.hidden_size;
    const all = config.all_head_size;
    const p = `${prefix}.attention`;
    const inProj = w.take(`${p}.self.in_proj.weight`, [3 * all, h], { linear: true });
    const qBias = w.take(`${p}.self.q_bias`, [all]);
    const vBias = w.take(`${p}.self.v_bias`, [all]);
    let relative: RelativePositionCache | undefined;
    if (config.relative_attention) {
      const types = config.pos_att_types;
      relative = new RelativePositionCache(
        {
          ...(types.includes("c2p")
            ? { posProj: w.take(`${p}.self.pos_proj.weight`, [all, h], { linear: true }) }
            : {}),
          ...(types.includes("p2c")
            ? {
                posQProj: {
                  weight: w.take(`${p}.self.pos_q_proj.weight`, [all, h], { linear: true }),
                  bias: w.take(`${p}.self.pos_q_proj.bias`, [all]),
                },
              }
            : {}),
        },
        config.num_attention_heads,
        config.head_size,
        config.query_scale,
      );
    }
    const dense = {
      weight: w.take(`${p}.output.dense.weight`, [h, all], { linear: true }),
      bias: w.take(`${p}.output.dense.bias`, [h]),
    };
    const norm = {
      weight: w.take(`${p}.output.LayerNorm.weight`, [h]),
      bias: w.take(`${p}.output.LayerNorm.bias`, [h]),
    };
    return new DebertaAttention(config, inProj, qBias, vBias, relative, dense, norm);
  }

  forward(
    ops: Ops,
    x: TensorHandle,
    mask: TensorHandle,
    rel: { embeddings: TensorHandle; maxRelative: number; span: number } | undefined,
    returnProbs: boolean,
    /** When given, the score terms are returned too (indices: the forward pass's shared gather indices). */
    termIndices?: RelativeIndices,
  ): { output: TensorHandle; probs?: TensorHandle; terms?: AttentionTerms } {
    const qkv = ops.linear(x, this.inProj);
    const projections =
      this.relative !== undefined && rel !== undefined
        ? this.relative.get(ops, rel.embeddings, rel.maxRelative, rel.span)
        : {};
    let terms: AttentionTerms | undefined;
    if (termIndices !== undefined) {
      try {
        terms = attentionTerms(
          ops,
          { qkv, qBias: this.qBias, ...projections },
          {
            numHeads: this.config.num_attention_heads,
            headSize: this.config.head_size,
            scale: 1 / this.config.query_scale,
            span: rel?.span ?? 1,
          },
          termIndices,
        );
      } catch (error) {
        ops.free(qkv);
        throw error;
      }
    }
    const attention = runFused(
      ops.backend,
      "disentangledAttention",
      { qkv, qBias: this.qBias, vBias: this.vBias, mask, ...projections },
      {
        numHeads: this.config.num_attention_heads,
        scale: 1 / this.config.query_scale,
        span: rel?.span ?? 1,
        returnProbs,
      },
    );
    ops.free(qkv);
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
}
