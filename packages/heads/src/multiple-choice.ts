// DebertaV2ForMultipleChoice (transformers'): inputs [batch, choices, length] are flattened to
// [batch · choices, length] for the encoder; ContextPooler (token 0 → dense → pooler_hidden_act) →
// classifier [1, pooler_hidden_size] gives one score per choice, returned as logits [batch, choices].
// Loss: cross-entropy over the choices. Hidden states and attentions stay flattened, as in transformers.
import { DEBERTA_V2_MODEL_TYPE } from "@deberta/config";
import type { WeightBinder } from "@deberta/model";
import { Tensor, type TensorHandle } from "@deberta/tensor";
import { ContextPooler } from "./context-pooler.js";
import { HeadError } from "./errors.js";
import { crossEntropy } from "./losses.js";
import {
  DebertaPreTrainedModel,
  type HeadCallInputs,
  type HeadTask,
  type HeadTensors,
  numbersOf,
} from "./pretrained.js";

const PER_CHOICE = ["input_ids", "attention_mask", "token_type_ids", "position_ids"] as const;

/**
 * transformers' `DebertaV2ForMultipleChoice`.
 *
 * @example
 * ```ts
 * const model = await DebertaV2ForMultipleChoice.from_pretrained("./deberta-v3-swag", { device: "cpu" });
 * // input_ids [batch, choices, length]
 * const { logits } = await model({ input_ids, attention_mask }); // [batch, choices]
 * ```
 */
export class DebertaV2ForMultipleChoice extends DebertaPreTrainedModel {
  static override readonly architecture: string = "DebertaV2ForMultipleChoice";
  static override readonly modelType: string = DEBERTA_V2_MODEL_TYPE;
  static override readonly task: HeadTask = "multiple-choice";
  declare private pooler: ContextPooler;
  declare private classifier: { weight: TensorHandle; bias: TensorHandle };

  protected loadHead(w: WeightBinder): void {
    const c = this.config;
    this.pooler = ContextPooler.load(w, c);
    this.classifier = {
      weight: w.take("classifier.weight", [1, c.pooler_hidden_size], { base: false, linear: true }),
      bias: w.take("classifier.bias", [1], { base: false }),
    };
  }

  /** [batch, choices, length] → [batch · choices, length] for every per-token input. */
  protected override encoderInputs(inputs: HeadCallInputs): HeadCallInputs {
    const dims = inputs.input_ids?.dims;
    if (dims === undefined || dims.length !== 3) {
      throw new HeadError(
        "HEAD_INPUT",
        `input_ids must be [batch, choices, length] for ${DebertaV2ForMultipleChoice.architecture}, got dims [${dims?.join(", ") ?? ""}]`,
        { argument: "input_ids" },
      );
    }
    const [batch, choices, length] = dims as [number, number, number];
    const flat: HeadCallInputs = { ...inputs };
    for (const key of PER_CHOICE) {
      const t = inputs[key];
      if (t === undefined) continue;
      if (t.dims.length !== 3 || t.dims[0] !== batch || t.dims[1] !== choices || t.dims[2] !== length) {
        throw new HeadError(
          "HEAD_INPUT",
          `${key} has dims [${t.dims.join(", ")}] but input_ids has [${batch}, ${choices}, ${length}]`,
          { argument: key },
        );
      }
      flat[key] = t.reshape([batch * choices, length]);
    }
    return flat;
  }

  protected forwardHead(hidden: TensorHandle): HeadTensors {
    const pooled = this.pooler.forward(this.ops, hidden);
    const logits = this.ops.linear(pooled, this.classifier.weight, this.classifier.bias);
    this.ops.free(pooled);
    return { logits };
  }

  protected computeLoss(outputs: Record<string, Tensor>, inputs: HeadCallInputs) {
    const [batch, choices] = inputs.input_ids.dims as [number, number, number];
    const logits = new Tensor("float32", outputs.logits!.data as Float32Array, [batch, choices]);
    const shaped = { ...outputs, logits };
    if (inputs.labels === undefined) return { outputs: shaped };
    const labels = numbersOf(inputs.labels, "labels", batch);
    return { loss: crossEntropy(logits.data as Float32Array, labels, choices), outputs: shaped };
  }
}
