// DebertaModel (no head): returns last_hidden_state, as transformers' DebertaModel.
import type { WeightBinder } from "@deberta/model";
import type { Tensor, TensorHandle } from "@deberta/tensor";
import { DebertaPreTrainedModel, type HeadTask, type HeadTensors } from "./pretrained.js";

export class DebertaModel extends DebertaPreTrainedModel {
  static override readonly architecture: string = "DebertaModel";
  static override readonly task: HeadTask = "model";

  protected loadHead(_w: WeightBinder): void {}

  protected forwardHead(hidden: TensorHandle): HeadTensors {
    // A copy: the encoder output itself is freed after the call.
    return { last_hidden_state: this.ops.scale(hidden, 1) };
  }

  protected computeLoss(outputs: Record<string, Tensor>) {
    return { outputs };
  }
}
