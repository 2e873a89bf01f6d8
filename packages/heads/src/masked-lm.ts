// DebertaForMaskedLM: h = LayerNorm(act(dense(hidden))); logits = h · W_wordᵀ + bias (decoder tied to the
// word embeddings). Two checkpoint layouts: legacy `cls.predictions.*` and `lm_predictions.lm_head.*`.
// Loss = cross-entropy over tokens, labels of -100 ignored.
import { activationOf, type WeightBinder } from "@deberta/model";
import type { Activation, Tensor, TensorHandle } from "@deberta/tensor";
import { crossEntropy } from "./losses.js";
import {
  DebertaPreTrainedModel,
  type HeadCallInputs,
  type HeadTask,
  type HeadTensors,
  numbersOf,
} from "./pretrained.js";

export class DebertaForMaskedLM extends DebertaPreTrainedModel {
  static override readonly architecture: string = "DebertaForMaskedLM";
  static override readonly task: HeadTask = "masked-lm";
  declare private head: {
    dense: { weight: TensorHandle; bias: TensorHandle };
    norm: { weight: TensorHandle; bias: TensorHandle };
    bias: TensorHandle;
    activation: Activation;
  };

  protected loadHead(w: WeightBinder): void {
    const c = this.config;
    const e = c.embedding_size;
    const p = c.legacy ? "cls.predictions" : "lm_predictions.lm_head";
    const t = c.legacy ? `${p}.transform` : p;
    this.head = {
      dense: {
        weight: w.take(`${t}.dense.weight`, [e, c.hidden_size], { base: false, linear: true }),
        bias: w.take(`${t}.dense.bias`, [e], { base: false }),
      },
      norm: {
        weight: w.take(`${t}.LayerNorm.weight`, [e], { base: false }),
        bias: w.take(`${t}.LayerNorm.bias`, [e], { base: false }),
      },
      // The legacy decoder bias is stored as cls.predictions.bias (its tied twin decoder.bias is absent).
      bias: w.take(`${p}.bias`, [c.vocab_size], { base: false, alias: `${p}.decoder.bias` }),
      activation: activationOf(c.hidden_act, "hidden_act"),
    };
    // Tied to the word embeddings: a saved copy of the decoder weight, if any, is not used.
    w.ignore((k) => k === `${p}.decoder.weight` || k === "lm_predictions.lm_head.weight");
    this.backend.prepareLinearWeight?.(this.backbone.embeddings.wordEmbeddings);
  }

  protected forwardHead(hidden: TensorHandle): HeadTensors {
    const h = this.head;
    const dense = this.ops.linear(hidden, h.dense.weight, h.dense.bias, h.activation);
    const normed = this.ops.layerNorm(dense, h.norm.weight, h.norm.bias, this.config.layer_norm_eps);
    const logits = this.ops.linear(normed, this.backbone.embeddings.wordEmbeddings, h.bias);
    this.ops.free(dense, normed);
    return { logits };
  }

  protected computeLoss(outputs: Record<string, Tensor>, inputs: HeadCallInputs) {
    if (inputs.labels === undefined) return { outputs };
    const logits = outputs.logits!;
    const tokens = logits.dims[0]! * logits.dims[1]!;
    return {
      loss: crossEntropy(
        logits.data as Float32Array,
        numbersOf(inputs.labels, "labels", tokens),
        this.config.vocab_size,
      ),
      outputs,
    };
  }
}
