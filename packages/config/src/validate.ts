import { describeValue, type ErrorContext, keyError } from "./errors.js";

// JSON has one number type, so "integer" is checked on the value: 768.0 parses to 768 and passes, 768.5
// does not. A string such as "768" is a type error even though Python would not coerce it either.

/** Plain JSON object (not an array, not null). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

export function expectBoolean(value: unknown, key: string, context: ErrorContext): boolean {
  if (typeof value !== "boolean") {
    throw keyError("CONFIG_TYPE", key, `must be a boolean, got ${describeValue(value)}`, context);
  }
  return value;
}

export function expectString(value: unknown, key: string, context: ErrorContext): string {
  if (typeof value !== "string") {
    throw keyError("CONFIG_TYPE", key, `must be a string, got ${describeValue(value)}`, context);
  }
  return value;
}

export function expectNullableString(value: unknown, key: string, context: ErrorContext): string | null {
  return value === null ? null : expectString(value, key, context);
}

function expectFiniteNumber(value: unknown, key: string, what: string, context: ErrorContext): number {
  if (typeof value !== "number") {
    throw keyError("CONFIG_TYPE", key, `must be ${what}, got ${describeValue(value)}`, context);
  }
  if (!Number.isFinite(value)) {
    throw keyError("CONFIG_VALUE", key, `must be ${what}, got ${describeValue(value)}`, context);
  }
  return value;
}

/** An integer, optionally at least `min`. */
export function expectInteger(
  value: unknown,
  key: string,
  context: ErrorContext,
  options: { min?: number } = {},
): number {
  const what = options.min === undefined ? "an integer" : `an integer >= ${options.min}`;
  const n = expectFiniteNumber(value, key, what, context);
  if (!Number.isInteger(n) || (options.min !== undefined && n < options.min)) {
    throw keyError("CONFIG_VALUE", key, `must be ${what}, got ${describeValue(value)}`, context);
  }
  return n;
}

export function expectNullableInteger(value: unknown, key: string, context: ErrorContext): number | null {
  return value === null ? null : expectInteger(value, key, context);
}

/** A finite number within the given bounds (both optional; `exclusiveMin` makes the lower bound strict). */
export function expectNumber(
  value: unknown,
  key: string,
  context: ErrorContext,
  bounds: { min?: number; max?: number; exclusiveMin?: boolean } = {},
): number {
  const { min, max, exclusiveMin = false } = bounds;
  const parts: string[] = [];
  if (min !== undefined) parts.push(`${exclusiveMin ? ">" : ">="} ${min}`);
  if (max !== undefined) parts.push(`<= ${max}`);
  const what = parts.length === 0 ? "a number" : `a number ${parts.join(" and ")}`;
  const n = expectFiniteNumber(value, key, what, context);
  const belowMin = min !== undefined && (exclusiveMin ? n <= min : n < min);
  const aboveMax = max !== undefined && n > max;
  if (belowMin || aboveMax) {
    throw keyError("CONFIG_VALUE", key, `must be ${what}, got ${describeValue(value)}`, context);
  }
  return n;
}

/** `null`, an integer, or a non-empty list of integers (generation configs allow several EOS ids). */
export function expectTokenId(value: unknown, key: string, context: ErrorContext): number | number[] | null {
  if (value === null) return null;
  if (Array.isArray(value)) {
    return value.map((item, i) => {
      if (typeof item !== "number" || !Number.isInteger(item)) {
        const code = typeof item === "number" ? "CONFIG_VALUE" : "CONFIG_TYPE";
        throw keyError(code, key, `must list integers, but item ${i} is ${describeValue(item)}`, context);
      }
      return item;
    });
  }
  if (typeof value !== "number") {
    throw keyError(
      "CONFIG_TYPE",
      key,
      `must be null, an integer or a list of integers, got ${describeValue(value)}`,
      context,
    );
  }
  return expectInteger(value, key, context);
}

export function expectNullableStringList(
  value: unknown,
  key: string,
  context: ErrorContext,
): string[] | null {
  if (value === null) return null;
  if (!Array.isArray(value)) {
    throw keyError(
      "CONFIG_TYPE",
      key,
      `must be null or a list of strings, got ${describeValue(value)}`,
      context,
    );
  }
  return value.map((item, i) => {
    if (typeof item !== "string") {
      throw keyError(
        "CONFIG_TYPE",
        key,
        `must list strings, but item ${i} is ${describeValue(item)}`,
        context,
      );
    }
    return item;
  });
}
