// The DeBERTa-v2 encoder (transformers' DebertaV2Encoder): the layers in order, sharing
//   - the relative embeddings rel_embeddings [2·span, hidden] (span = position_buckets if > 0, else
//     max_relative_positions, or max_position_embeddings when that is < 1), LayerNorm'd once per pass when
//     norm_rel_ebd has "layer_norm";
//   - the (log-bucketed) relative positions of relative-position-v2.ts, as the attention op's relative index
//     table [2L − 1], uploaded once per pass (and, only when the attention terms are asked for, their
//     [B, heads, L, L] gather indices);
//   - the attention mask [B, L] (scores kept where m_i · m_j ≠ 0) or [B, L, L] as given.
// After layer 0, the convolution layer (conv_kernel_size > 0) mixes the embedding output into its output.
import type { DebertaV2Config } from "@deberta/config";
import { Tensor, type TensorHandle } from "@deberta/tensor";
import { type AttentionTerms, RelativeIndices } from "./attention-terms.js";
import type { V2AttentionContext } from "./attention-v2.js";
import { DebertaV2ConvLayer } from "./conv-layer-v2.js";
import { DebertaV2Layer } from "./layer-v2.js";
import type { Ops } from "./ops.js";
import { relativeIndexTable } from "./relative-position-v2.js";
import type { WeightBinder } from "./weights.js";

export class DebertaV2Encoder {
  private normedRel: TensorHandle | undefined;

  private constructor(
    private readonly config: DebertaV2Config,
    readonly layers: readonly DebertaV2Layer[],
    private readonly relEmbeddings: TensorHandle | undefined,
    private readonly relNorm: { weight: TensorHandle; bias: TensorHandle } | undefined,
    readonly conv: DebertaV2ConvLayer | undefined,
  ) {}

  static load(w: WeightBinder, config: DebertaV2Config, ops: Ops): DebertaV2Encoder {
    const layers = Array.from({ length: config.num_hidden_layers }, (_, i) =>
      DebertaV2Layer.load(w, config, i),
    );
    const h = config.hidden_size;
    const rel = config.relative_attention
      ? w.take("encoder.rel_embeddings.weight", [2 * config.attention_span, h])
      : undefined;
    const relNorm = config.norm_rel_embeddings
      ? { weight: w.take("encoder.LayerNorm.weight", [h]), bias: w.take("encoder.LayerNorm.bias", [h]) }
      : undefined;
    const conv = config.conv_kernel_size > 0 ? DebertaV2ConvLayer.load(w, config, ops) : undefined;
    return new DebertaV2Encoder(config, layers, rel, relNorm, conv);
  }

  /** The relative embeddings as the attention reads them; computed once (they depend only on weights). */
  private relative(ops: Ops): TensorHandle | undefined {
    if (this.relEmbeddings === undefined || this.relNorm === undefined) return this.relEmbeddings;
    this.normedRel ??= ops.layerNorm(
      this.relEmbeddings,
      this.relNorm.weight,
      this.relNorm.bias,
      this.config.layer_norm_eps,
    );
    return this.normedRel;
  }

  /**
   * embeddings [B, L, H]; attentionMask float [B, L] or [B, L, L] (0: masked); rowMask float [B, L, 1] (the
   * tokens that count, for the convolution layer).
   */
  forward(
    ops: Ops,
    embeddings: TensorHandle,
    attentionMask: TensorHandle,
    rowMask: TensorHandle,
    options: { hiddenStates: boolean; attentions: boolean; attentionTerms?: boolean },
  ): {
    last: TensorHandle;
    hiddenStates: TensorHandle[];
    attentions: TensorHandle[];
    attentionTerms: AttentionTerms[];
  } {
    const length = embeddings.shape[1]!;
    const context: V2AttentionContext = {
      relEmbeddings: this.relative(ops),
      relativeIndex: undefined,
      mask: attentionMask,
    };
    if (this.config.relative_attention) {
      const table = relativeIndexTable(
        length,
        this.config.attention_span,
        this.config.position_buckets,
        this.config.max_relative_positions_effective,
      );
      context.relativeIndex = ops.backend.upload(new Tensor("int32", table, [table.length]));
      if (options.attentionTerms) context.termIndices = new RelativeIndices(ops, table);
    } else if (options.attentionTerms) {
      context.termIndices = new RelativeIndices(ops);
    }
    const hiddenStates: TensorHandle[] = options.hiddenStates ? [embeddings] : [];
    const attentions: TensorHandle[] = [];
    const attentionTerms: AttentionTerms[] = [];
    const layerOptions = { returnProbs: options.attentions, returnTerms: options.attentionTerms ?? false };
    let x = embeddings;
    try {
      this.layers.forEach((layer, i) => {
        const result = ops.within(`encoder.layer.${i}`, () => {
          const r = layer.forward(ops, x, context, layerOptions);
          ops.check(r.terms?.c2c, "c2c attention terms");
          ops.check(r.terms?.c2p, "c2p attention terms");
          ops.check(r.terms?.p2c, "p2c attention terms");
          return r;
        });
        let output = result.output;
        const conv = this.conv;
        if (i === 0 && conv !== undefined) {
          const mixed = ops.within("encoder.conv", () => conv.forward(ops, embeddings, output, rowMask));
          ops.free(output);
          output = mixed;
        }
        if (!options.hiddenStates && x !== embeddings) ops.free(x);
        if (result.probs !== undefined) attentions.push(result.probs);
        if (result.terms !== undefined) attentionTerms.push(result.terms);
        if (options.hiddenStates) hiddenStates.push(output);
        x = output;
      });
      if (!options.hiddenStates && x !== embeddings) ops.free(embeddings);
    } finally {
      ops.free(context.relativeIndex);
      context.termIndices?.free();
    }
    return { last: x, hiddenStates, attentions, attentionTerms };
  }

  /** Frees what is computed from the weights and reused across calls (recomputed when next needed). */
  clearCaches(ops: Ops): void {
    for (const layer of this.layers) layer.attention.clear(ops);
    ops.free(this.normedRel);
    this.normedRel = undefined;
  }

  dispose(ops: Ops): void {
    this.clearCaches(ops);
    this.conv?.dispose(ops);
  }
}
