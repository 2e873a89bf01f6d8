export type { AddedToken } from "./added-vocabulary.js";
export {
  type AnyDebertaTokenizer,
  type AnyDebertaTokenizerOptions,
  type DebertaTokenizerKind,
  debertaTokenizerKind,
  detectDebertaTokenizerKind,
  isDebertaV2Tokenizer,
  loadDebertaTokenizer,
  type TokenizerFolderFacts,
} from "./auto-tokenizer.js";
export { BpeModel } from "./bpe.js";
export {
  type BatchEncoding,
  cleanUpTokenization,
  DebertaTokenizer,
  type DebertaTokenizerOptions,
  type DecodeOptions,
  type PaddingOption,
  type TokenizerCallOptions,
  type TruncationOption,
} from "./deberta-tokenizer.js";
export { DebertaV2Tokenizer, type DebertaV2TokenizerOptions } from "./deberta-v2-tokenizer.js";
export type { Encoding } from "./encoding.js";
export { TokenizerError, type TokenizerErrorCode } from "./errors.js";
export {
  type NormalizerSpec,
  type PieceType,
  parseSentencePieceModel,
  type SentencePiece,
  type SentencePieceModel,
  type TrainerSpec,
} from "./sentencepiece-model.js";
export { SentencePieceProcessor } from "./sentencepiece-processor.js";
export { parseTokenizerConfig, type TokenizerConfig } from "./tokenizer-config.js";
export { TokenizerCore, type TruncationStrategy } from "./tokenizer-core.js";
export { parseTokenizerJson, type TokenizerSpec } from "./tokenizer-json.js";
