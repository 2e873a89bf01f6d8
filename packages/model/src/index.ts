export { activationOf } from "./activation.js";
export { DebertaAttention } from "./attention.js";
export { type AttentionTerms, attentionTerms, RelativeIndices } from "./attention-terms.js";
export { DebertaV2Attention, type V2AttentionContext } from "./attention-v2.js";
export { DebertaV2ConvLayer } from "./conv-layer-v2.js";
export { DebertaBackbone, type DebertaEncoderOutput, type ForwardOptions } from "./deberta-backbone.js";
export { DebertaV2Backbone, v2Masks, v2RowMask } from "./deberta-v2-backbone.js";
export { DebertaEmbeddings } from "./embeddings.js";
export { DebertaEncoder } from "./encoder.js";
export { DebertaV2Encoder } from "./encoder-v2.js";
export { ModelError, type ModelErrorCode } from "./errors.js";
export { FLOAT16_MAX, Fp16OverflowCheck } from "./fp16-overflow.js";
export { type DebertaInputs, type InputConfig, type PreparedInputs, prepareInputs } from "./inputs.js";
export { DebertaLayer } from "./layer.js";
export { DebertaV2Layer } from "./layer-v2.js";
export { Ops } from "./ops.js";
export { RelativePositionCache, type RelativeProjections } from "./relative-position.js";
export {
  buildRelativePosition,
  makeLogBucketPosition,
  relativeGatherIndices,
  relativeIndexTable,
} from "./relative-position-v2.js";
export { type LoadingInfo, WeightBinder, type WeightMap, type WeightTensor } from "./weights.js";
