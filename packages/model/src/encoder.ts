// The encoder: the layers in order, all sharing the relative embeddings and the attention span
// S = min(L, max_relative_positions) (max_relative_positions < 1 means max_position_embeddings).
import type { DebertaConfig } from "@deberta/config";
import type { TensorHandle } from "@deberta/tensor";
import { type AttentionTerms, RelativeIndices } from "./attention-terms.js";
import { DebertaLayer } from "./layer.js";
import type { Ops } from "./ops.js";
import type { WeightBinder } from "./weights.js";

export class DebertaEncoder {
  private constructor(
    private readonly config: DebertaConfig,
    readonly layers: readonly DebertaLayer[],
    private readonly relEmbeddings: TensorHandle | undefined,
  ) {}

  static load(w: WeightBinder, config: DebertaConfig): DebertaEncoder {
    const layers = Array.from({ length: config.num_hidden_layers }, (_, i) =>
      DebertaLayer.load(w, config, i),
    );
    const maxRel = config.max_relative_positions_effective;
    const rel = config.relative_attention
      ? w.take("encoder.rel_embeddings.weight", [2 * maxRel, config.hidden_size])
      : undefined;
    return new DebertaEncoder(config, layers, rel);
  }

  forward(
    ops: Ops,
    embeddings: TensorHandle,
    mask: TensorHandle,
    length: number,
    options: { hiddenStates: boolean; attentions: boolean; attentionTerms?: boolean },
  ): {
    last: TensorHandle;
    hiddenStates: TensorHandle[];
    attentions: TensorHandle[];
    attentionTerms: AttentionTerms[];
  } {
    const maxRel = this.config.max_relative_positions_effective;
    const rel =
      this.relEmbeddings === undefined
        ? undefined
        : { embeddings: this.relEmbeddings, maxRelative: maxRel, span: attentionSpan(length, maxRel) };
    const hiddenStates: TensorHandle[] = options.hiddenStates ? [embeddings] : [];
    const attentions: TensorHandle[] = [];
    const attentionTerms: AttentionTerms[] = [];
    // The gather indices of the c2p / p2c terms, built once for every layer and freed after the pass.
    const termIndices = options.attentionTerms ? new RelativeIndices(ops) : undefined;
    let x = embeddings;
    try {
      for (const [i, layer] of this.layers.entries()) {
        const { output, probs, terms } = ops.within(`encoder.layer.${i}`, () => {
          const result = layer.forward(ops, x, mask, rel, options.attentions, termIndices);
          ops.check(result.terms?.c2c, "c2c attention terms");
          ops.check(result.terms?.c2p, "c2p attention terms");
          ops.check(result.terms?.p2c, "p2c attention terms");
          return result;
        });
        if (!options.hiddenStates) ops.free(x);
        if (probs !== undefined) attentions.push(probs);
        if (terms !== undefined) attentionTerms.push(terms);
        if (options.hiddenStates) hiddenStates.push(output);
        x = output;
      }
    } finally {
      termIndices?.free();
    }
    return { last: x, hiddenStates, attentions, attentionTerms };
  }

  /** Frees what is computed from the weights and reused across calls (recomputed when next needed). */
  clearCaches(ops: Ops): void {
    for (const layer of this.layers) layer.attention.relative?.clear(ops);
  }

  dispose(ops: Ops): void {
    this.clearCaches(ops);
  }
}

/**
 * The span of relative positions a pass over `length` tokens uses: transformers' min(length, maxRelative),
 * rounded up to a power of two (at least 16). Every span of at least min(length, maxRelative) gives the same
 * scores: the rows the pass reads, maxRelative + (i − j) of the relative embeddings, are in every such
 * window, and none is clamped. Rounding bounds the projections the layers cache per span to a handful
 * (a server sees every length: one cache entry per length grew without bound), at most doubling the rows
 * projected once per span; the attention kernels only touch the rows of the band i − j.
 */
export function attentionSpan(length: number, maxRelative: number): number {
  let span = 16;
  while (span < length) span *= 2;
  return Math.min(span, maxRelative);
}
