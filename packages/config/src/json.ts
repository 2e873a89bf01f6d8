import { DebertaConfigError } from "./errors.js";
import { isPlainObject } from "./validate.js";

/**
 * Deep copy of a JSON-like value, so a config never shares arrays or objects with its caller. Objects are
 * rebuilt with `Object.fromEntries`, which defines keys such as `"__proto__"` as plain data (an own
 * property) instead of touching the prototype. Values that are not JSON (functions, class instances) are
 * kept by reference: they can only come from JavaScript callers and cannot be copied faithfully.
 */
export function cloneJson<T>(value: T): T {
  if (Array.isArray(value)) return value.map((item: unknown) => cloneJson(item)) as T;
  if (isPlainObject(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, cloneJson(v)])) as T;
  }
  return value;
}

/**
 * Parses `config.json` text. A leading byte-order mark is dropped (some editors on Windows write one and
 * `JSON.parse` rejects it).
 *
 * @throws {@link DebertaConfigError} `CONFIG_JSON` naming `file` when the text is not JSON.
 */
export function parseJsonText(text: string, file: string | undefined): unknown {
  try {
    return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text) as unknown;
  } catch (cause) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    const where = file === undefined ? "DeBERTa config" : `DeBERTa config ${file}`;
    throw new DebertaConfigError("CONFIG_JSON", `${where}: not valid JSON (${detail})`, { file, cause });
  }
}
