// The umbrella: re-exports and wiring only (default backends, Hub resolution for the loaders).
export * from "@deberta/backend-cpu";
export * from "@deberta/backend-webgpu";
export * from "@deberta/config";
export * from "@deberta/heads";
export * from "@deberta/hub";
// The encoder's errors reach users of the loaders (a checkpoint missing weights: MODEL_WEIGHTS_MISSING).
export { ModelError, type ModelErrorCode } from "@deberta/model";
export {
  type JsonCall,
  jsonToCall,
  PipelineError,
  type PipelineErrorCode,
  type PipelineOptions,
  type PipelineTypes,
  TASK_JSON_INPUTS,
  type TaskJsonInput,
  taskRegistry,
  toJsonValue,
} from "@deberta/pipelines";
export * from "@deberta/tensor";
export * from "@deberta/tokenizer";
export {
  AutoConfig,
  AutoModel,
  AutoModelForMaskedLM,
  AutoModelForMultipleChoice,
  AutoModelForQuestionAnswering,
  AutoModelForSequenceClassification,
  AutoModelForTokenClassification,
  type AutoModelLoader,
  type AutoOptions,
  AutoTokenizer,
} from "./auto.js";
export {
  CUDA_DEVICES,
  type CudaModule,
  type CudaModuleLoader,
  cudaBackendFactory,
  registerCudaDefault,
} from "./cuda.js";
export { registerDefaultBackends } from "./defaults.js";
// Shadow the star export of @deberta/heads: these register the default backends before loading.
export {
  DebertaForMaskedLM,
  DebertaForQuestionAnswering,
  DebertaForSequenceClassification,
  DebertaForTokenClassification,
  DebertaModel,
  DebertaV2ForMaskedLM,
  DebertaV2ForMultipleChoice,
  DebertaV2ForQuestionAnswering,
  DebertaV2ForSequenceClassification,
  DebertaV2ForTokenClassification,
  DebertaV2Model,
} from "./heads.js";
export { pipeline } from "./pipeline.js";
