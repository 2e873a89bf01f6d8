// DebertaForMultipleChoice, written outside the core packages on @deberta/heads' public API: transformers'
// multiple-choice head (as DebertaV2ForMultipleChoice, the DeBERTa family's one):
//   input_ids [batch, num_choices, length] → [batch·num_choices, length] (so are the mask, token types and
//   positions) → the encoder → ContextPooler (hidden state of token 0 → dropout → dense → pooler_hidden_act)
//   → dropout → classifier, a Linear with one output → logits [batch, num_choices];
//   loss (labels [batch], the index of the right choice) = cross-entropy over the choices, -100 ignored.
// Dropout is the identity at inference. Checkpoint keys: deberta.*, pooler.dense.{weight,bias},
// classifier.weight [1, pooler_hidden_size], classifier.bias [1].

import {
  ContextPooler,
  crossEntropy,
  DebertaPreTrainedModel,
  type HeadCallInputs,
  type HeadCallOutputs,
  HeadError,
  type HeadTensors,
} from "@deberta/heads";
import type { WeightBinder } from "@deberta/model";
import { Tensor, type TensorHandle } from "@deberta/tensor";

/**
 * A call as the base class runs it: the inputs flattened to [batch·num_choices, length], plus the number of
 * choices. It travels with the call (not in a field of the model), so overlapping calls with different
 * numbers of choices never see each other's.
 */
interface FlatCall extends HeadCallInputs {
  readonly numChoices: number;
}

/** The per-choice inputs, [batch, num_choices, length] → [batch·num_choices, length]. */
const PER_CHOICE = ["input_ids", "attention_mask", "token_type_ids", "position_ids"] as const;

export class DebertaForMultipleChoice extends DebertaPreTrainedModel {
  static override readonly architecture = "DebertaForMultipleChoice";
  static override readonly task = "multiple-choice";
  declare private pooler: ContextPooler;
  declare private classifier: { weight: TensorHandle; bias: TensorHandle };

  protected loadHead(w: WeightBinder): void {
    const c = this.config;
    const pooled = c.pooler_hidden_size;
    // transformers' ContextPooler, as the sequence-classification head uses it (public in @deberta/heads).
    this.pooler = ContextPooler.load(w, c);
    this.classifier = {
      weight: w.take("classifier.weight", [1, pooled], { base: false, linear: true }),
      bias: w.take("classifier.bias", [1], { base: false }),
    };
  }

  /** `input_ids` (and the mask, token types, positions) are [batch, num_choices, length]. */
  override async forward(inputs: HeadCallInputs): Promise<HeadCallOutputs> {
    const ids = inputs.input_ids;
    if (ids === undefined)
      throw new HeadError("HEAD_INPUT", "input_ids is required", { argument: "input_ids" });
    if (ids.dims.length !== 3) {
      throw new HeadError(
        "HEAD_INPUT",
        `input_ids must be [batch, num_choices, length], got dims [${ids.dims.join(", ")}]`,
        { argument: "input_ids" },
      );
    }
    const [batch, numChoices, length] = ids.dims as [number, number, number];
    const call: FlatCall = { ...inputs, numChoices };
    for (const argument of PER_CHOICE) {
      const t = inputs[argument];
      if (t === undefined) continue;
      if (t.dims.join() !== ids.dims.join()) {
        throw new HeadError(
          "HEAD_INPUT",
          `${argument} has dims [${t.dims.join(", ")}] but input_ids has [${ids.dims.join(", ")}]`,
          { argument },
        );
      }
      // Same data, the choices of each example as consecutive rows.
      call[argument] = new Tensor(t.type as "int64", t.data as BigInt64Array, [batch * numChoices, length]);
    }
    return super.forward(call);
  }

  protected forwardHead(hidden: TensorHandle, inputs: HeadCallInputs): HeadTensors {
    const { numChoices } = inputs as FlatCall;
    const rows = hidden.shape[0]!;
    const pooled = this.pooler.forward(this.ops, hidden);
    const scores = this.ops.linear(pooled, this.classifier.weight, this.classifier.bias);
    const logits = this.ops.reshape(scores, [rows / numChoices, numChoices]);
    this.ops.free(pooled, scores);
    return { logits };
  }

  protected computeLoss(outputs: Record<string, Tensor>, inputs: HeadCallInputs) {
    if (inputs.labels === undefined) return { outputs };
    const logits = outputs.logits!;
    const [batch, numChoices] = logits.dims as [number, number];
    const labels = inputs.labels;
    const values = Array.from(labels.data as ArrayLike<number | bigint>, Number);
    if (values.length !== batch) {
      throw new HeadError(
        "HEAD_INPUT",
        `labels has ${values.length} values (dims [${labels.dims.join(", ")}]), expected one per example: ${batch}`,
        { argument: "labels" },
      );
    }
    const bad = values.findIndex((y) => y !== -100 && !(Number.isInteger(y) && y >= 0 && y < numChoices));
    if (bad >= 0) {
      throw new HeadError(
        "HEAD_INPUT",
        `labels[${bad}] = ${values[bad]} is not a choice index in [0, ${numChoices}) (or -100, ignored)`,
        { argument: "labels" },
      );
    }
    return { loss: crossEntropy(logits.data as Float32Array, values, numChoices), outputs };
  }
}
