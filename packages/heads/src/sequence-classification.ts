// DebertaForSequenceClassification: ContextPooler (token 0 → dense → pooler_hidden_act) → classifier.
// Loss (transformers' rules): problem_type unset → MSE when num_labels = 1 (logits flattened), cross-entropy
// over rows whose label ≥ 0 for 1-D labels, soft-label cross-entropy when labels have the logits' shape;
// "regression" → MSE, "single_label_classification" → cross-entropy, "multi_label_classification" → BCE.

import type { WeightBinder } from "@deberta/model";
import type { Tensor, TensorHandle } from "@deberta/tensor";
import { Tensor as OrtTensor } from "@deberta/tensor";
import { ContextPooler } from "./context-pooler.js";
import { HeadError } from "./errors.js";
import { bceWithLogits, crossEntropy, meanSquaredError, softCrossEntropy } from "./losses.js";
import {
  DebertaPreTrainedModel,
  type HeadCallInputs,
  type HeadTask,
  type HeadTensors,
  numbersOf,
} from "./pretrained.js";

export class DebertaForSequenceClassification extends DebertaPreTrainedModel {
  static override readonly architecture: string = "DebertaForSequenceClassification";
  static override readonly task: HeadTask = "sequence-classification";
  declare private pooler: ContextPooler;
  declare private classifier: { weight: TensorHandle; bias: TensorHandle };

  protected loadHead(w: WeightBinder): void {
    const c = this.config;
    const pooled = c.pooler_hidden_size;
    this.pooler = ContextPooler.load(w, c);
    this.classifier = {
      weight: w.take("classifier.weight", [c.num_labels, pooled], { base: false, linear: true }),
      bias: w.take("classifier.bias", [c.num_labels], { base: false }),
    };
  }

  protected forwardHead(hidden: TensorHandle): HeadTensors {
    const pooled = this.pooler.forward(this.ops, hidden);
    const logits = this.ops.linear(pooled, this.classifier.weight, this.classifier.bias);
    this.ops.free(pooled);
    return { logits };
  }

  protected computeLoss(outputs: Record<string, Tensor>, inputs: HeadCallInputs) {
    const logits = outputs.logits!;
    if (inputs.labels === undefined) return { outputs };
    const labels = inputs.labels;
    const n = this.config.num_labels;
    const z = logits.data as Float32Array;
    const batch = logits.dims[0]!;
    const problem = this.config.problem_type;
    if (problem === "regression" || (problem === null && n === 1)) {
      const y = numbersOf(labels, "labels", batch * n);
      // transformers returns the flattened logits on this path.
      const shaped = problem === null ? { logits: new OrtTensor("float32", z, [batch * n]) } : outputs;
      return { loss: meanSquaredError(z, y), outputs: shaped };
    }
    if (problem === "multi_label_classification")
      return { loss: bceWithLogits(z, numbersOf(labels, "labels", batch * n)), outputs };
    if (problem === "single_label_classification") {
      return { loss: crossEntropy(z, numbersOf(labels, "labels", batch), n), outputs };
    }
    if (labels.dims.length === 1 || labels.dims[labels.dims.length - 1] === 1) {
      const y = numbersOf(labels, "labels", batch);
      const keep = y.map((v, i) => [v, i] as const).filter(([v]) => v >= 0);
      if (keep.length === 0) return { loss: 0, outputs };
      const rows = new Float32Array(keep.length * n);
      keep.forEach(([, i], r) => {
        rows.set(z.subarray(i * n, (i + 1) * n), r * n);
      });
      return {
        loss: crossEntropy(
          rows,
          keep.map(([v]) => v),
          n,
        ),
        outputs,
      };
    }
    if (labels.dims.length === 2 && labels.dims[1] === n)
      return { loss: softCrossEntropy(z, numbersOf(labels, "labels", batch * n), n), outputs };
    throw new HeadError(
      "HEAD_INPUT",
      `labels of dims [${labels.dims.join(", ")}] fit neither [${batch}] nor the logits' [${batch}, ${n}]`,
      { argument: "labels" },
    );
  }
}
