// The model's errors reach head callers too (MODEL_INPUT, MODEL_FP16_OVERFLOW, ...).
export { ModelError, type ModelErrorCode } from "@deberta/model";
export { DebertaModel } from "./base-model.js";
export { ContextPooler } from "./context-pooler.js";
export { deviceRegistryName, registrationHint, resolveDevice } from "./device.js";
export { HeadError, type HeadErrorCode } from "./errors.js";
export { bceWithLogits, crossEntropy, meanSquaredError, softCrossEntropy } from "./losses.js";
export { DebertaForMaskedLM } from "./masked-lm.js";
export { DebertaV2ForMultipleChoice } from "./multiple-choice.js";
export {
  type AttentionTerms,
  DebertaPreTrainedModel,
  type FromPretrainedOptions,
  type HeadCallInputs,
  type HeadCallOutputs,
  type HeadTask,
  type HeadTensors,
} from "./pretrained.js";
export { DebertaForQuestionAnswering } from "./question-answering.js";
export {
  builtinHeads,
  type HeadClass,
  type HeadConfigLike,
  HeadRegistry,
  headRegistry,
} from "./registry.js";
export { DebertaForSequenceClassification } from "./sequence-classification.js";
export { DebertaForTokenClassification } from "./token-classification.js";
export {
  DebertaV2ForMaskedLM,
  DebertaV2ForQuestionAnswering,
  DebertaV2ForSequenceClassification,
  DebertaV2ForTokenClassification,
  DebertaV2Model,
} from "./v2-heads.js";
