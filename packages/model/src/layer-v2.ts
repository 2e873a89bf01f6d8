// One DeBERTa-v2 layer: a = Attention(x);  out = LayerNorm(W_out · act(W_in · a + b_in) + b_out + a).
import type { DebertaV2Config } from "@deberta/config";
import type { Activation, TensorHandle } from "@deberta/tensor";
import { activationOf } from "./activation.js";
import type { AttentionTerms } from "./attention-terms.js";
import { DebertaV2Attention, type V2AttentionContext } from "./attention-v2.js";
import type { Ops } from "./ops.js";
import type { WeightBinder } from "./weights.js";

export class DebertaV2Layer {
  private constructor(
    private readonly config: DebertaV2Config,
    private readonly activation: Activation,
    readonly attention: DebertaV2Attention,
    private readonly intermediate: { weight: TensorHandle; bias: TensorHandle },
    private readonly output: { weight: TensorHandle; bias: TensorHandle },
    private readonly norm: { weight: TensorHandle; bias: TensorHandle },
  ) {}

  static load(w: WeightBinder, config: DebertaV2Config, index: number): DebertaV2Layer {
    const p = `encoder.layer.${index}`;
    const h = config.hidden_size;
    const i = config.intermediate_size;
    return new DebertaV2Layer(
      config,
      activationOf(config.hidden_act, "hidden_act"),
      DebertaV2Attention.load(w, config, p),
      {
        weight: w.take(`${p}.intermediate.dense.weight`, [i, h], { linear: true }),
        bias: w.take(`${p}.intermediate.dense.bias`, [i]),
      },
      {
        weight: w.take(`${p}.output.dense.weight`, [h, i], { linear: true }),
        bias: w.take(`${p}.output.dense.bias`, [h]),
      },
      {
        weight: w.take(`${p}.output.LayerNorm.weight`, [h]),
        bias: w.take(`${p}.output.LayerNorm.bias`, [h]),
      },
    );
  }

  forward(
    ops: Ops,
    x: TensorHandle,
    context: V2AttentionContext,
    options: { returnProbs: boolean; returnTerms: boolean },
  ): { output: TensorHandle; probs?: TensorHandle; terms?: AttentionTerms } {
    const attention = this.attention.forward(ops, x, context, options);
    const inner = ops.linear(
      attention.output,
      this.intermediate.weight,
      this.intermediate.bias,
      this.activation,
    );
    const projected = ops.linear(inner, this.output.weight, this.output.bias);
    ops.free(inner);
    const output = ops.layerNorm(
      projected,
      this.norm.weight,
      this.norm.bias,
      this.config.layer_norm_eps,
      attention.output,
    );
    ops.free(projected, attention.output);
    return {
      output,
      ...(attention.probs === undefined ? {} : { probs: attention.probs }),
      ...(attention.terms === undefined ? {} : { terms: attention.terms }),
    };
  }
}
