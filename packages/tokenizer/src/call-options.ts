// The options of `tokenizer(text, options)` and the rules they follow: the TokenizerCallOptions and BatchEncoding
// types, the validation of padding / truncation / max_length (with transformers' defaults, against the
// tokenizer's model_max_length), and the normalisation of `text` / `text_pair` into a batch. Kept apart from
// deberta-tokenizer.ts, which holds the tokenizer's API, so that the argument rules read on their own.
import type { Tensor } from "onnxruntime-common";
import { argumentError } from "./errors.js";
import { UNLIMITED_LENGTH } from "./tokenizer-config.js";
import type { SequenceInput, TruncationStrategy } from "./tokenizer-core.js";

export type PaddingOption = boolean | "longest" | "max_length" | "do_not_pad";
export type TruncationOption = boolean | TruncationStrategy | "do_not_truncate";

/** Options of `tokenizer(text, options)`, with transformers' names and defaults. */
export interface TokenizerCallOptions {
  text_pair?: string | readonly string[] | readonly (readonly string[])[] | null;
  add_special_tokens?: boolean;
  padding?: PaddingOption;
  truncation?: TruncationOption;
  max_length?: number | null;
  stride?: number;
  pad_to_multiple_of?: number | null;
  is_split_into_words?: boolean;
  return_overflowing_tokens?: boolean;
  return_offsets_mapping?: boolean;
  return_special_tokens_mask?: boolean;
  return_token_type_ids?: boolean;
  return_attention_mask?: boolean;
  /** Return onnxruntime-common int64 `Tensor`s of shape [batch, length] instead of number arrays. */
  return_tensor?: boolean;
}

type Row<T> = T[];
/** Unbatched (one sequence) or batched (one row per sequence or overflowing window). */
export type Field<T> = Row<T> | Row<T>[];

export interface BatchEncoding {
  input_ids: Field<number> | Tensor;
  attention_mask?: Field<number> | Tensor;
  token_type_ids?: Field<number> | Tensor;
  offset_mapping?: Field<[number, number]>;
  special_tokens_mask?: Field<number> | Tensor;
  overflow_to_sample_mapping?: number[];
  /** Word index of each token of row `batchIndex` (null for special tokens and padding). */
  word_ids(batchIndex?: number): (number | null)[];
  /** 0 / 1 for tokens of the first / second sequence of row `batchIndex`, null otherwise. */
  sequence_ids(batchIndex?: number): (number | null)[];
}

/** Padding, truncation and max_length of one call, after defaults and validation. */
export interface ResolvedPaddingTruncation {
  padding: "longest" | "max_length" | undefined;
  truncation: TruncationStrategy | undefined;
  maxLength: number | undefined;
}

export function resolvePaddingTruncation(
  options: TokenizerCallOptions,
  modelMaxLength: number,
): ResolvedPaddingTruncation {
  const { padding: paddingOption = false } = options;
  let maxLength = options.max_length ?? undefined;
  if (maxLength !== undefined && (!Number.isInteger(maxLength) || maxLength < 0)) {
    throw argumentError("max_length", `must be a non-negative integer, got ${maxLength}`);
  }
  let padding: "longest" | "max_length" | undefined;
  if (paddingOption === true || paddingOption === "longest") padding = "longest";
  else if (paddingOption === "max_length") padding = "max_length";
  else if (paddingOption !== false && paddingOption !== "do_not_pad") {
    throw argumentError(
      "padding",
      `must be true, false, 'longest', 'max_length' or 'do_not_pad', got ${JSON.stringify(paddingOption)}`,
    );
  }
  // transformers: a max_length without a truncation flag means 'longest_first'.
  const truncationOption = options.truncation ?? maxLength !== undefined;
  let truncation: TruncationStrategy | undefined;
  if (truncationOption === true || truncationOption === "longest_first") truncation = "longest_first";
  else if (truncationOption === "only_first" || truncationOption === "only_second")
    truncation = truncationOption;
  else if (truncationOption !== false && truncationOption !== "do_not_truncate") {
    throw argumentError(
      "truncation",
      `must be true, false, 'longest_first', 'only_first', 'only_second' or 'do_not_truncate', got ${JSON.stringify(truncationOption)}`,
    );
  }
  if (maxLength === undefined && (truncation !== undefined || padding === "max_length")) {
    if (modelMaxLength >= UNLIMITED_LENGTH) {
      if (padding === "max_length") {
        throw argumentError(
          "max_length",
          "padding 'max_length' needs a max_length: this tokenizer has no model_max_length",
        );
      }
      truncation = undefined;
    } else {
      maxLength = modelMaxLength;
    }
  }
  return { padding, truncation, maxLength };
}

export function toBatch(
  value: unknown,
  splitWords: boolean,
  argument: string,
): { batch: SequenceInput[]; isBatched: boolean } {
  const isStringList = (v: unknown): v is string[] =>
    Array.isArray(v) && v.every((x) => typeof x === "string");
  if (!splitWords) {
    if (typeof value === "string") return { batch: [value], isBatched: false };
    if (isStringList(value)) return { batch: value, isBatched: true };
    throw argumentError(argument, `must be a string or an array of strings, got ${describeValue(value)}`);
  }
  if (isStringList(value)) return { batch: [value], isBatched: false };
  if (Array.isArray(value) && value.every(isStringList)) return { batch: value, isBatched: true };
  throw argumentError(
    argument,
    `with is_split_into_words it must be an array of words or an array of such arrays, got ${describeValue(value)}`,
  );
}

function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array with non-string items";
  return typeof value;
}
