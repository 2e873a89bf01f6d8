/**
 * What went wrong, machine-readable.
 *
 * - `CONFIG_TYPE`: a key holds a value of the wrong JSON type (e.g. `"hidden_size": "768"`).
 * - `CONFIG_VALUE`: the type is right but the value is not allowed (a size of 0, an unknown `pos_att_type`
 *   entry, `num_labels` contradicting `id2label`, ...).
 * - `CONFIG_MODEL_TYPE`: `model_type` is present and is not `"deberta"` (DeBERTa v2/v3 or another model).
 * - `CONFIG_READ`: the `config.json` file or URL could not be read.
 * - `CONFIG_JSON`: the text read is not valid JSON.
 */
export type DebertaConfigErrorCode =
  | "CONFIG_TYPE"
  | "CONFIG_VALUE"
  | "CONFIG_MODEL_TYPE"
  | "CONFIG_READ"
  | "CONFIG_JSON";

/**
 * The one error class of `@deberta/config`. `key` names the offending config key (absent when the problem
 * is the whole document) and `file` the path or URL it was loaded from (absent for plain objects given no
 * `source`); the message names both, so a log line alone is enough to find the culprit.
 *
 * @example
 * ```ts
 * import { DebertaConfig, DebertaConfigError } from "@deberta/config";
 *
 * try {
 *   DebertaConfig.from_dict({ hidden_size: "768" }, { source: "my/config.json" });
 * } catch (error) {
 *   if (error instanceof DebertaConfigError) console.log(error.code, error.key, error.file);
 *   // CONFIG_TYPE hidden_size my/config.json
 * }
 * ```
 */
export class DebertaConfigError extends Error {
  override readonly name = "DebertaConfigError";
  readonly code: DebertaConfigErrorCode;
  readonly key: string | undefined;
  readonly file: string | undefined;

  constructor(
    code: DebertaConfigErrorCode,
    message: string,
    details: { key?: string | undefined; file?: string | undefined; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.key = details.key;
    this.file = details.file;
  }
}

/** Where a problem was found; every message is built from it so that file and key are always named. */
export interface ErrorContext {
  readonly file?: string | undefined;
}

/** Builds an error about one key, prefixing the message with the file and key it concerns. */
export function keyError(
  code: DebertaConfigErrorCode,
  key: string,
  problem: string,
  context: ErrorContext,
): DebertaConfigError {
  const where = context.file === undefined ? "DeBERTa config" : `DeBERTa config ${context.file}`;
  return new DebertaConfigError(code, `${where}: key "${key}" ${problem}`, { key, file: context.file });
}

/** Short human description of a JSON value for messages: its kind and, for scalars, the value itself. */
export function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  switch (typeof value) {
    case "string":
      return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)}`;
    case "number":
    case "boolean":
      return `the ${typeof value} ${String(value)}`;
    case "undefined":
      return "undefined";
    case "object":
      return "an object";
    default:
      return `a ${typeof value}`;
  }
}
