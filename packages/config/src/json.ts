import { DebertaConfigError, type ErrorContext, keyError } from "./errors.js";
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

/** Deeper than any real config, and far from the depth at which recursive copying or JSON.stringify overflow. */
export const MAX_NESTING_DEPTH = 256;

/**
 * Checks, without recursion, that the value of `key` can be copied and written back as JSON: nesting at
 * most {@link MAX_NESTING_DEPTH} deep and no BigInt or Symbol (which `JSON.stringify` throws on or drops).
 *
 * @throws {@link DebertaConfigError} `CONFIG_VALUE` for too deep a value, `CONFIG_TYPE` for a BigInt/Symbol.
 */
export function checkJsonValue(value: unknown, key: string, context: ErrorContext): void {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (typeof item === "bigint" || typeof item === "symbol") {
      throw keyError("CONFIG_TYPE", key, `holds a ${typeof item}, which JSON cannot represent`, context);
    }
    if (item === null || typeof item !== "object") continue;
    if (depth >= MAX_NESTING_DEPTH) {
      throw keyError("CONFIG_VALUE", key, `nests more than ${MAX_NESTING_DEPTH} levels deep`, context);
    }
    if (Array.isArray(item)) for (const child of item) stack.push([child, depth + 1]);
    else if (isPlainObject(item)) for (const child of Object.values(item)) stack.push([child, depth + 1]);
  }
}
