// The umbrella: re-exports and wiring only (default backends, Hub resolution for the loaders).
export * from "@deberta/backend-cpu";
export * from "@deberta/backend-webgpu";
export * from "@deberta/config";
export * from "@deberta/heads";
export * from "@deberta/hub";
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
  AutoModel,
  AutoModelForMaskedLM,
  AutoModelForQuestionAnswering,
  AutoModelForSequenceClassification,
  AutoModelForTokenClassification,
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
} from "./heads.js";
export { pipeline } from "./pipeline.js";
