/**
 * `@deberta/config`: Hugging Face transformers' `DebertaConfig` (DeBERTa v1, `model_type` `"deberta"`) and
 * `DebertaV2Config` (DeBERTa v2/v3/mDeBERTa, `"deberta-v2"`; `loadDebertaConfig` picks by `model_type`) for
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
  type AnyDebertaConfig,
  configFromDict,
  configFromJsonString,
  isDebertaV2Config,
  loadDebertaConfig,
} from "./auto-config.js";
export {
  DEBERTA_MODEL_TYPE,
  DebertaConfig,
  type DebertaConfigDict,
  type DebertaConfigFields,
  type DebertaConfigInit,
  type DebertaOptionalFields,
  type ToDictOptions,
} from "./deberta-config.js";
export {
  DEBERTA_V2_CONFIG_DEFAULTS,
  DEBERTA_V2_MODEL_TYPE,
  DEBERTA_V2_OPTIONAL_DEFAULTS,
  DebertaV2Config,
  type DebertaV2ConfigDict,
  type DebertaV2ConfigFields,
  type DebertaV2ConfigInit,
  type DebertaV2OptionalFields,
  type NormRelEbd,
  parseV2PosAttType,
  V2_ALWAYS_SERIALISED_KEYS,
} from "./deberta-v2-config.js";
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
