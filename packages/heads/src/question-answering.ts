// DebertaForQuestionAnswering: [start, end] = qa_outputs(hidden) per token; loss = ½(CE(start) + CE(end))
// with positions clamped to [0, L] and L (one past the end) ignored.
import type { WeightBinder } from "@deberta/model";
import { Tensor, type TensorHandle } from "@deberta/tensor";
import { crossEntropy } from "./losses.js";
import {
  DebertaPreTrainedModel,
  type HeadCallInputs,
  type HeadTask,
  type HeadTensors,
  numbersOf,
} from "./pretrained.js";

export class DebertaForQuestionAnswering extends DebertaPreTrainedModel {
  static override readonly architecture: string = "DebertaForQuestionAnswering";
  static override readonly task: HeadTask = "question-answering";
  declare private qaOutputs: { weight: TensorHandle; bias: TensorHandle };

  protected loadHead(w: WeightBinder): void {
    const c = this.config;
    this.qaOutputs = {
      weight: w.take("qa_outputs.weight", [2, c.hidden_size], { base: false, linear: true }),
      bias: w.take("qa_outputs.bias", [2], { base: false }),
    };
  }

  protected forwardHead(hidden: TensorHandle): HeadTensors {
    return { logits: this.ops.linear(hidden, this.qaOutputs.weight, this.qaOutputs.bias) };
  }

  protected computeLoss(outputs: Record<string, Tensor>, inputs: HeadCallInputs) {
    const logits = outputs.logits!;
    const [batch, length] = logits.dims as [number, number];
    const z = logits.data as Float32Array;
    const start = new Float32Array(batch * length);
    const end = new Float32Array(batch * length);
    for (let i = 0; i < batch * length; i++) {
      start[i] = z[2 * i]!;
      end[i] = z[2 * i + 1]!;
    }
    const split = {
      start_logits: new Tensor("float32", start, [batch, length]),
      end_logits: new Tensor("float32", end, [batch, length]),
    };
    if (inputs.start_positions === undefined || inputs.end_positions === undefined) return { outputs: split };
    const clamp = (v: number) => Math.min(Math.max(v, 0), length);
    const s = numbersOf(inputs.start_positions, "start_positions", batch).map(clamp);
    const e = numbersOf(inputs.end_positions, "end_positions", batch).map(clamp);
    return {
      loss: (crossEntropy(start, s, length, length) + crossEntropy(end, e, length, length)) / 2,
      outputs: split,
    };
  }
}
