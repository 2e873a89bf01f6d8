/**
 * `@deberta/config`: Hugging Face transformers' `DebertaConfig` (DeBERTa v1, `model_type` `"deberta"`) for
 * TypeScript, with no runtime dependencies.
 *
 * @example
 * ```ts
 * import { DebertaConfig } from "@deberta/config";
 *
 * const config = await DebertaConfig.from_pretrained("https://huggingface.co/microsoft/deberta-base/resolve/main");
 * config.query_scale; // Math.sqrt(64 * 3)
 * ```
 * @packageDocumentation
 */
export {
  DEBERTA_MODEL_TYPE,
  DebertaConfig,
  type DebertaConfigDict,
  type DebertaConfigFields,
  type DebertaConfigInit,
  type DebertaOptionalFields,
  type ToDictOptions,
} from "./deberta-config.js";
export { ALWAYS_SERIALISED_KEYS, DEBERTA_CONFIG_DEFAULTS } from "./defaults.js";
export { DebertaConfigError, type DebertaConfigErrorCode, type ErrorContext } from "./errors.js";
export { PROBLEM_TYPES, type ProblemType } from "./labels.js";
export {
  type ConfigText,
  type FetchLike,
  type FetchResponseLike,
  type LoadOptions,
  readConfigText,
  resolveConfigUrl,
} from "./load.js";
export { POS_ATT_TYPES, type PosAttType, type PosAttTypeInput, parsePosAttType } from "./pos-att-type.js";
