// One DeBERTa layer: a = Attention(x);  out = LayerNorm(W_out · act(W_in · a + b_in) + b_out + a).
import type { DebertaConfig } from "@deberta/config";
import type { TensorHandle } from "@deberta/tensor";
import { DebertaAttention } from "./attention.js";
import type { AttentionTerms, RelativeIndices } from "./attention-terms.js";
import { FeedForward } from "./feed-forward.js";
import type { Ops } from "./ops.js";
import type { WeightBinder } from "./weights.js";

export class DebertaLayer {
  private constructor(
    readonly attention: DebertaAttention,
    private readonly feedForward: FeedForward,
  ) {}

  static load(w: WeightBinder, config: DebertaConfig, index: number): DebertaLayer {
    const p = `encoder.layer.${index}`;
    const attention = DebertaAttention.load(w, config, p);
    return new DebertaLayer(attention, FeedForward.load(w, p, config));
  }

  forward(
    ops: Ops,
    x: TensorHandle,
    mask: TensorHandle,
    rel: { embeddings: TensorHandle; maxRelative: number; span: number } | undefined,
    returnProbs: boolean,
    termIndices?: RelativeIndices,
  ): { output: TensorHandle; probs?: TensorHandle; terms?: AttentionTerms } {
    const attention = this.attention.forward(ops, x, mask, rel, returnProbs, termIndices);
    return {
      output: this.feedForward.forward(ops, attention.output),
      ...(attention.probs === undefined ? {} : { probs: attention.probs }),
      ...(attention.terms === undefined ? {} : { terms: attention.terms }),
    };
  }
}
