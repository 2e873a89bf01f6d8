import { DEBERTA_MODEL_TYPE, DebertaConfig } from "./deberta-config.js";
import { DEBERTA_V2_MODEL_TYPE, DebertaV2Config } from "./deberta-v2-config.js";
import { type ErrorContext, keyError } from "./errors.js";
import { parseJsonText } from "./json.js";
import { type LoadOptions, readConfigText } from "./load.js";
import { expectString, isPlainObject } from "./validate.js";

/** Either DeBERTa configuration; `model_type` tells them apart. */
export type AnyDebertaConfig = DebertaConfig | DebertaV2Config;

/**
 * Builds the config class `model_type` names: `"deberta"` (or no `model_type`, as in older v1 files) gives
 * a {@link DebertaConfig}, `"deberta-v2"` a {@link DebertaV2Config}.
 *
 * @throws {@link DebertaConfigError} `CONFIG_MODEL_TYPE` naming `model_type` for any other model type, or
 * the validation errors of the chosen class.
 *
 * @example
 * ```ts
 * import { configFromDict } from "@deberta/config";
 *
 * configFromDict({ model_type: "deberta-v2", position_buckets: 256 }).model_type; // "deberta-v2"
 * ```
 */
export function configFromDict(obj: unknown, options: { source?: string } = {}): AnyDebertaConfig {
  const context: ErrorContext = { file: options.source };
  if (isPlainObject(obj) && obj.model_type !== undefined) {
    const modelType = expectString(obj.model_type, "model_type", context);
    if (modelType === DEBERTA_V2_MODEL_TYPE) return DebertaV2Config.from_dict(obj, options);
    if (modelType !== DEBERTA_MODEL_TYPE) {
      throw keyError(
        "CONFIG_MODEL_TYPE",
        "model_type",
        `must be "deberta" or "deberta-v2", got ${JSON.stringify(modelType)}`,
        context,
      );
    }
  }
  return DebertaConfig.from_dict(obj, options);
}

/** {@link configFromDict} on the text of a `config.json`. */
export function configFromJsonString(text: string, options: { source?: string } = {}): AnyDebertaConfig {
  return configFromDict(parseJsonText(text, options.source), options);
}

/**
 * Loads a `config.json` (file, folder, `file:` or `http(s)` URL) and builds the class its `model_type` names.
 *
 * @example
 * ```ts
 * import { loadDebertaConfig } from "@deberta/config";
 *
 * const config = await loadDebertaConfig("./models/deberta-v3-base");
 * config.model_type; // "deberta-v2"
 * ```
 */
export async function loadDebertaConfig(
  location: string | URL,
  options: LoadOptions = {},
): Promise<AnyDebertaConfig> {
  const { text, file } = await readConfigText(location, options);
  return configFromJsonString(text, { source: file });
}

/** Whether a config is a DeBERTa-v2 one. */
export function isDebertaV2Config(config: AnyDebertaConfig): config is DebertaV2Config {
  return config.model_type === DEBERTA_V2_MODEL_TYPE;
}
