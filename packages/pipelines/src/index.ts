export {
  chunk,
  forwardRows,
  type ModelRow,
  type RowBatch,
} from "./batching.js";
export { PipelineError, type PipelineErrorCode } from "./errors.js";
export {
  type JsonCall,
  jsonToCall,
  TASK_JSON_INPUTS,
  type TaskJsonInput,
  toJsonValue,
} from "./json-inputs.js";
export {
  type LoadedModelAndTokenizer,
  type LoadOptions,
  loadModelAndTokenizer,
  type ModelReference,
} from "./load.js";
export { type PipelineOptions, type PipelineTypes, pipeline } from "./pipeline.js";
export { builtinTasks, TaskRegistry, taskRegistry } from "./registry.js";
export {
  type FeatureExtractionOptions,
  type FeatureExtractionPipeline,
  type FeatureList,
  featureExtraction,
  type Pooling,
} from "./tasks/feature-extraction.js";
export {
  type FillMaskCandidate,
  type FillMaskOptions,
  type FillMaskPipeline,
  type FillMaskResult,
  fillMask,
  targetIds,
} from "./tasks/fill-mask.js";
export {
  type QuestionAnsweringAnswer,
  type QuestionAnsweringInput,
  type QuestionAnsweringOptions,
  type QuestionAnsweringPipeline,
  type QuestionAnsweringResult,
  questionAnswering,
} from "./tasks/question-answering.js";
export {
  type ClassificationFunction,
  type ClassificationLabel,
  defaultClassificationFunction,
  type TextClassificationInput,
  type TextClassificationOptions,
  type TextClassificationPipeline,
  textClassification,
} from "./tasks/text-classification.js";
export {
  type AggregationStrategy,
  type GroupedEntity,
  type TokenClassificationOptions,
  type TokenClassificationPipeline,
  type TokenClassificationResult,
  type TokenEntity,
  tokenClassification,
} from "./tasks/token-classification.js";
export {
  DEFAULT_HYPOTHESIS_TEMPLATE,
  nliLabelIds,
  parseCandidateLabels,
  type ZeroShotClassificationOptions,
  type ZeroShotClassificationPipeline,
  type ZeroShotClassificationResult,
  zeroShotClassification,
} from "./tasks/zero-shot-classification.js";
export {
  makePipeline,
  type Pipeline,
  type PipelineBase,
  type PipelineContext,
  type TaskDefinition,
} from "./types.js";
