// DebertaForTokenClassification: logits = classifier(hidden) per token; loss = cross-entropy over tokens,
// labels of -100 ignored.
import type { WeightBinder } from "@deberta/model";
import type { Tensor, TensorHandle } from "@deberta/tensor";
import { crossEntropy } from "./losses.js";
import {
  DebertaPreTrainedModel,
  type HeadCallInputs,
  type HeadTask,
  type HeadTensors,
  numbersOf,
} from "./pretrained.js";

export class DebertaForTokenClassification extends DebertaPreTrainedModel {
  static override readonly architecture: string = "DebertaForTokenClassification";
  static override readonly task: HeadTask = "token-classification";
  declare private classifier: { weight: TensorHandle; bias: TensorHandle };

  protected loadHead(w: WeightBinder): void {
    const c = this.config;
    this.classifier = {
      weight: w.take("classifier.weight", [c.num_labels, c.hidden_size], { base: false, linear: true }),
      bias: w.take("classifier.bias", [c.num_labels], { base: false }),
    };
  }

  protected forwardHead(hidden: TensorHandle): HeadTensors {
    return { logits: this.ops.linear(hidden, this.classifier.weight, this.classifier.bias) };
  }

  protected computeLoss(outputs: Record<string, Tensor>, inputs: HeadCallInputs) {
    if (inputs.labels === undefined) return { outputs };
    const logits = outputs.logits!;
    const tokens = logits.dims[0]! * logits.dims[1]!;
    return {
      loss: crossEntropy(
        logits.data as Float32Array,
        numbersOf(inputs.labels, "labels", tokens),
        this.config.num_labels,
      ),
      outputs,
    };
  }
}
