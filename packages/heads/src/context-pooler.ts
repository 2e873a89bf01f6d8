// transformers' ContextPooler, for heads that classify a whole sequence (sequence classification, multiple
// choice): the hidden state of the first token → dense → `pooler_hidden_act`. Its dropout is the identity at
// inference. Weights `pooler.dense.{weight,bias}`, outside the `deberta.` prefix.
import type { AnyDebertaConfig } from "@deberta/config";
import { activationOf, type Ops, type WeightBinder } from "@deberta/model";
import type { TensorHandle } from "@deberta/tensor";

export class ContextPooler {
  private constructor(
    private readonly weight: TensorHandle,
    private readonly bias: TensorHandle,
    private readonly activation: ReturnType<typeof activationOf>,
  ) {}

  /** Takes the pooler's weights; an activation this library lacks is a typed error naming the config key. */
  static load(w: WeightBinder, config: AnyDebertaConfig): ContextPooler {
    const activation = activationOf(config.pooler_hidden_act, "pooler_hidden_act");
    const pooled = config.pooler_hidden_size;
    return new ContextPooler(
      w.take("pooler.dense.weight", [pooled, config.hidden_size], { base: false, linear: true }),
      w.take("pooler.dense.bias", [pooled], { base: false }),
      activation,
    );
  }

  /** [rows, length, hidden] → [rows, pooler_hidden_size]; the caller frees the result. */
  forward(ops: Ops, hidden: TensorHandle): TensorHandle {
    const [rows, , width] = hidden.shape as [number, number, number];
    const first = ops.slice(hidden, [0], [1], [1]);
    const token = ops.reshape(first, [rows, width]);
    const pooled = ops.linear(token, this.weight, this.bias, this.activation);
    ops.free(first, token);
    return pooled;
  }
}
