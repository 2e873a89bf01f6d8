// DeBERTa embeddings, v1 and v2 alike (transformers' DebertaEmbeddings / DebertaV2Embeddings):
//   e = LayerNorm(embed_proj(W_word[ids] (+ W_pos[t] if position_biased_input)
//                            (+ W_type[type ids] if type_vocab_size > 0))) · mask
// embed_proj (no bias) only when embedding_size ≠ hidden_size. The one difference: without
// position_biased_input a v1 checkpoint still carries a position table that transformers ignores, where a v2
// model has none (a v2 checkpoint that carries one reports it as unexpected).
import type { DebertaConfig, DebertaV2Config } from "@deberta/config";
import type { TensorHandle } from "@deberta/tensor";
import type { Ops } from "./ops.js";
import type { WeightBinder } from "./weights.js";

export class DebertaEmbeddings {
  private constructor(
    private readonly config: DebertaConfig | DebertaV2Config,
    readonly wordEmbeddings: TensorHandle,
    private readonly positionEmbeddings: TensorHandle | undefined,
    private readonly tokenTypeEmbeddings: TensorHandle | undefined,
    private readonly embedProj: TensorHandle | undefined,
    private readonly norm: { weight: TensorHandle; bias: TensorHandle },
  ) {}

  static load(w: WeightBinder, config: DebertaConfig | DebertaV2Config): DebertaEmbeddings {
    const e = config.embedding_size;
    const h = config.hidden_size;
    const word = w.take("embeddings.word_embeddings.weight", [config.vocab_size, e]);
    const position = config.position_biased_input
      ? w.take("embeddings.position_embeddings.weight", [config.max_position_embeddings, e])
      : undefined;
    if (config.model_type === "deberta" && !config.position_biased_input)
      w.ignore((k) => k.endsWith("embeddings.position_embeddings.weight"));
    const tokenType =
      config.type_vocab_size > 0
        ? w.take("embeddings.token_type_embeddings.weight", [config.type_vocab_size, e])
        : undefined;
    const proj = e !== h ? w.take("embeddings.embed_proj.weight", [h, e], { linear: true }) : undefined;
    const norm = {
      weight: w.take("embeddings.LayerNorm.weight", [h]),
      bias: w.take("embeddings.LayerNorm.bias", [h]),
    };
    w.ignore((k) => k.endsWith("embeddings.position_ids"));
    return new DebertaEmbeddings(config, word, position, tokenType, proj, norm);
  }

  /** ids, positions and token types are int tensors [B, L]; mask is float [B, L, 1]. */
  forward(
    ops: Ops,
    ids: TensorHandle,
    positions: TensorHandle | undefined,
    tokenTypes: TensorHandle | undefined,
    mask: TensorHandle,
  ): TensorHandle {
    let x = ops.gather(this.wordEmbeddings, ids);
    if (this.positionEmbeddings !== undefined && positions !== undefined) {
      const p = ops.gather(this.positionEmbeddings, positions);
      const sum = ops.add(x, p);
      ops.free(x, p);
      x = sum;
    }
    if (this.tokenTypeEmbeddings !== undefined && tokenTypes !== undefined) {
      const t = ops.gather(this.tokenTypeEmbeddings, tokenTypes);
      const sum = ops.add(x, t);
      ops.free(x, t);
      x = sum;
    }
    if (this.embedProj !== undefined) {
      const projected = ops.linear(x, this.embedProj);
      ops.free(x);
      x = projected;
    }
    const normed = ops.layerNorm(x, this.norm.weight, this.norm.bias, this.config.layer_norm_eps);
    ops.free(x);
    const masked = ops.mul(normed, mask);
    ops.free(normed);
    return masked;
  }
}
