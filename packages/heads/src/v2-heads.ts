// The DeBERTa-v2 heads (model_type "deberta-v2": DeBERTa-v2, v3 and mDeBERTa-v3 checkpoints). transformers'
// DebertaV2Model, ...ForSequenceClassification, ...ForTokenClassification, ...ForQuestionAnswering and
// ...ForMaskedLM compute exactly what their v1 namesakes compute on top of the encoder (same weight names,
// pooler, losses, legacy `cls.predictions.*` and `lm_predictions.lm_head.*` MLM layouts, tied decoder), so
// each is the v1 head on the v2 encoder: the base class picks DebertaV2Backbone from the config's model_type.
import { DEBERTA_V2_MODEL_TYPE } from "@deberta/config";
import { DebertaModel } from "./base-model.js";
import { DebertaForMaskedLM } from "./masked-lm.js";
import { DebertaForQuestionAnswering } from "./question-answering.js";
import { DebertaForSequenceClassification } from "./sequence-classification.js";
import { DebertaForTokenClassification } from "./token-classification.js";

/**
 * transformers' `DebertaV2Model`: the v2 encoder's `last_hidden_state` (and hidden states, attentions).
 *
 * @example
 * ```ts
 * const model = await DebertaV2Model.from_pretrained("./deberta-v3-base", { device: "cpu" });
 * const { last_hidden_state } = await model({ input_ids, attention_mask });
 * ```
 */
export class DebertaV2Model extends DebertaModel {
  static override readonly architecture: string = "DebertaV2Model";
  static override readonly modelType: string = DEBERTA_V2_MODEL_TYPE;
}

/**
 * transformers' `DebertaV2ForSequenceClassification` (e.g. DeBERTa-v3 NLI and reranker checkpoints), with
 * every loss mode of the v1 head.
 *
 * @example
 * ```ts
 * const model = await DebertaV2ForSequenceClassification.from_pretrained("./deberta-v3-nli", { device: "cpu" });
 * const { logits } = await model({ input_ids, attention_mask });
 * ```
 */
export class DebertaV2ForSequenceClassification extends DebertaForSequenceClassification {
  static override readonly architecture: string = "DebertaV2ForSequenceClassification";
  static override readonly modelType: string = DEBERTA_V2_MODEL_TYPE;
}

/** transformers' `DebertaV2ForTokenClassification`: per-token logits, cross-entropy ignoring -100 labels. */
export class DebertaV2ForTokenClassification extends DebertaForTokenClassification {
  static override readonly architecture: string = "DebertaV2ForTokenClassification";
  static override readonly modelType: string = DEBERTA_V2_MODEL_TYPE;
}

/** transformers' `DebertaV2ForQuestionAnswering`: `start_logits` / `end_logits`, span loss. */
export class DebertaV2ForQuestionAnswering extends DebertaForQuestionAnswering {
  static override readonly architecture: string = "DebertaV2ForQuestionAnswering";
  static override readonly modelType: string = DEBERTA_V2_MODEL_TYPE;
}

/**
 * transformers' `DebertaV2ForMaskedLM`: `legacy` (the default) reads `cls.predictions.*`, otherwise
 * `lm_predictions.lm_head.*`; the decoder is tied to the word embeddings.
 */
export class DebertaV2ForMaskedLM extends DebertaForMaskedLM {
  static override readonly architecture: string = "DebertaV2ForMaskedLM";
  static override readonly modelType: string = DEBERTA_V2_MODEL_TYPE;
}
