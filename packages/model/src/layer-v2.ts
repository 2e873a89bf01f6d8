// One DeBERTa-v2 layer: a = Attention(x);  out = LayerNorm(W_out · act(W_in · a + b_in) + b_out + a).
import type { DebertaV2Config } from "@deberta/config";
import type { TensorHandle } from "@deberta/tensor";
import type { AttentionTerms } from "./attention-terms.js";
import { DebertaV2Attention, type V2AttentionContext } from "./attention-v2.js";
import { FeedForward } from "./feed-forward.js";
import type { Ops } from "./ops.js";
import type { WeightBinder } from "./weights.js";

export class DebertaV2Layer {
  private constructor(
    readonly attention: DebertaV2Attention,
    private readonly feedForward: FeedForward,
  ) {}

  static load(w: WeightBinder, config: DebertaV2Config, index: number): DebertaV2Layer {
    const p = `encoder.layer.${index}`;
    const attention = DebertaV2Attention.load(w, config, p);
    return new DebertaV2Layer(attention, FeedForward.load(w, p, config));
  }

  forward(
    ops: Ops,
    x: TensorHandle,
    context: V2AttentionContext,
    options: { returnProbs: boolean; returnTerms: boolean },
  ): { output: TensorHandle; probs?: TensorHandle; terms?: AttentionTerms } {
    const attention = this.attention.forward(ops, x, context, options);
    return {
      output: this.feedForward.forward(ops, attention.output),
      ...(attention.probs === undefined ? {} : { probs: attention.probs }),
      ...(attention.terms === undefined ? {} : { terms: attention.terms }),
    };
  }
}
