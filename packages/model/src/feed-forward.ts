// The block after a DeBERTa layer's attention, the same in v1 and v2:
//   out = LayerNorm(W_out · act(W_in · a + b_in) + b_out + a)
import type { Activation, TensorHandle } from "@deberta/tensor";
import { activationOf } from "./activation.js";
import type { Ops } from "./ops.js";
import type { WeightBinder } from "./weights.js";

interface Dense {
  weight: TensorHandle;
  bias: TensorHandle;
}

export class FeedForward {
  private constructor(
    private readonly activation: Activation,
    private readonly intermediate: Dense,
    private readonly output: Dense,
    private readonly norm: Dense,
    private readonly epsilon: number,
  ) {}

  /** The weights under `${prefix}.intermediate` and `${prefix}.output` of layer `prefix`. */
  static load(
    w: WeightBinder,
    prefix: string,
    config: { hidden_size: number; intermediate_size: number; hidden_act: string; layer_norm_eps: number },
  ): FeedForward {
    const h = config.hidden_size;
    const i = config.intermediate_size;
    return new FeedForward(
      activationOf(config.hidden_act, "hidden_act"),
      {
        weight: w.take(`${prefix}.intermediate.dense.weight`, [i, h], { linear: true }),
        bias: w.take(`${prefix}.intermediate.dense.bias`, [i]),
      },
      {
        weight: w.take(`${prefix}.output.dense.weight`, [h, i], { linear: true }),
        bias: w.take(`${prefix}.output.dense.bias`, [h]),
      },
      {
        weight: w.take(`${prefix}.output.LayerNorm.weight`, [h]),
        bias: w.take(`${prefix}.output.LayerNorm.bias`, [h]),
      },
      config.layer_norm_eps,
    );
  }

  /** The layer's output from the attention output `a`, which it frees. */
  forward(ops: Ops, a: TensorHandle): TensorHandle {
    const inner = ops.linear(a, this.intermediate.weight, this.intermediate.bias, this.activation);
    const projected = ops.linear(inner, this.output.weight, this.output.bias);
    ops.free(inner);
    const output = ops.layerNorm(projected, this.norm.weight, this.norm.bias, this.epsilon, a);
    ops.free(projected, a);
    return output;
  }
}
