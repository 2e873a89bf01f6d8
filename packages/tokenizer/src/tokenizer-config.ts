import { TokenizerError } from "./errors.js";

/** A special token as `tokenizer_config.json` spells it: a string or an `AddedToken` object. */
export interface SpecialTokenSpec {
  content: string;
  lstrip?: boolean;
  rstrip?: boolean;
  single_word?: boolean;
  normalized?: boolean;
}

export const SPECIAL_TOKEN_KEYS = [
  "bos_token",
  "eos_token",
  "unk_token",
  "sep_token",
  "pad_token",
  "cls_token",
  "mask_token",
] as const;
export type SpecialTokenKey = (typeof SPECIAL_TOKEN_KEYS)[number];

/** The fields of `tokenizer_config.json` this package reads; everything else is kept untouched in `raw`. */
export interface TokenizerConfig {
  raw: Record<string, unknown>;
  specialTokens: Partial<Record<SpecialTokenKey, SpecialTokenSpec>>;
  model_max_length: number;
  padding_side: "right" | "left";
  truncation_side: "right" | "left";
  clean_up_tokenization_spaces: boolean;
  add_prefix_space: boolean | undefined;
}

/** transformers' VERY_LARGE_INTEGER, what `model_max_length` is when the checkpoint does not say. */
export const UNLIMITED_LENGTH = 1e30;

function side(raw: Record<string, unknown>, key: string, file: string): "right" | "left" {
  const value = raw[key] ?? "right";
  if (value !== "right" && value !== "left") {
    throw new TokenizerError(
      "TOKENIZER_FILE_INVALID",
      `${file}: \`${key}\` must be "right" or "left", got ${JSON.stringify(value)}`,
      {
        file,
        key,
      },
    );
  }
  return value;
}

export function parseSpecialToken(value: unknown, file: string, key: string): SpecialTokenSpec | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "string") return { content: value };
  if (typeof value === "object" && typeof (value as { content?: unknown }).content === "string") {
    const spec = value as Record<string, unknown>;
    for (const flag of ["lstrip", "rstrip", "single_word", "normalized"]) {
      const v = spec[flag];
      if (v !== undefined && v !== null && typeof v !== "boolean") {
        throw new TokenizerError(
          "TOKENIZER_FILE_INVALID",
          `${file}: \`${key}.${flag}\` must be a boolean, got ${typeof v}`,
          { file, key: `${key}.${flag}` },
        );
      }
    }
    return value as SpecialTokenSpec;
  }
  // typeof, not the value: a deeply nested value would overflow JSON.stringify.
  throw new TokenizerError(
    "TOKENIZER_FILE_INVALID",
    `${file}: \`${key}\` must be a string or an object with a string \`content\`, got ${Array.isArray(value) ? "an array" : typeof value}`,
    { file, key },
  );
}

export function parseTokenizerConfig(json: unknown, file: string): TokenizerConfig {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new TokenizerError("TOKENIZER_FILE_INVALID", `${file}: must hold a JSON object`, { file });
  }
  const raw = json as Record<string, unknown>;
  const specialTokens: TokenizerConfig["specialTokens"] = {};
  for (const key of SPECIAL_TOKEN_KEYS) {
    const spec = parseSpecialToken(raw[key], file, key);
    if (spec !== undefined) specialTokens[key] = spec;
  }
  const maxLength = raw.model_max_length;
  // An integer, as in transformers: a fraction would reach padding as an array length.
  if (
    maxLength !== undefined &&
    maxLength !== null &&
    (typeof maxLength !== "number" || !Number.isInteger(maxLength) || maxLength <= 0)
  ) {
    throw new TokenizerError(
      "TOKENIZER_FILE_INVALID",
      `${file}: \`model_max_length\` must be a positive integer, got ${JSON.stringify(maxLength)}`,
      {
        file,
        key: "model_max_length",
      },
    );
  }
  const addPrefixSpace = raw.add_prefix_space;
  if (addPrefixSpace !== undefined && addPrefixSpace !== null && typeof addPrefixSpace !== "boolean") {
    throw new TokenizerError("TOKENIZER_FILE_INVALID", `${file}: \`add_prefix_space\` must be a boolean`, {
      file,
      key: "add_prefix_space",
    });
  }
  return {
    raw,
    specialTokens,
    model_max_length: typeof maxLength === "number" ? maxLength : UNLIMITED_LENGTH,
    padding_side: side(raw, "padding_side", file),
    truncation_side: side(raw, "truncation_side", file),
    // transformers 5 defaults this to False; 4.x defaulted to True.
    clean_up_tokenization_spaces: raw.clean_up_tokenization_spaces === true,
    add_prefix_space: typeof addPrefixSpace === "boolean" ? addPrefixSpace : undefined,
  };
}
