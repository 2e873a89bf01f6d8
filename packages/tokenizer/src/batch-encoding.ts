// The output side of `tokenizer(text, options)`: padding the encoded rows of one call to a common length
// (longest, max_length, pad_to_multiple_of) and assembling the BatchEncoding from them, as number arrays or
// int64 tensors, with its word_ids / sequence_ids methods. Kept apart from deberta-tokenizer.ts (the API and
// the encoding of the inputs), since it only reshapes finished encodings.
import { Tensor } from "onnxruntime-common";
import type { BatchEncoding, Field, TokenizerCallOptions } from "./call-options.js";
import { type Encoding, padEncoding } from "./encoding.js";
import { argumentError, TokenizerError } from "./errors.js";

/**
 * Rows are padded in memory, eight parallel arrays each; past this length that is gigabytes (and past 2^32
 * an invalid array length), so a max_length like transformers' "unlimited" 1e30 is refused instead.
 */
const MAX_PADDED_LENGTH = 2 ** 24;

/**
 * Pads every row in place to the longest row ("longest") or to maxLength ("max_length"), rounded up to a
 * multiple of pad_to_multiple_of when given, with the tokenizer's pad token on `side`.
 */
export function padRows(
  rows: Encoding[],
  padding: "longest" | "max_length",
  maxLength: number | undefined,
  multiple: number | null | undefined,
  padId: number | null,
  side: "right" | "left",
): void {
  // A loop, not Math.max(...rows): overflow can produce more rows than a call may have arguments.
  let length = 0;
  if (padding === "max_length") length = maxLength!;
  else for (const row of rows) if (row.ids.length > length) length = row.ids.length;
  if (multiple !== undefined && multiple !== null) {
    if (!Number.isInteger(multiple) || multiple <= 0) {
      throw argumentError("pad_to_multiple_of", `must be a positive integer, got ${multiple}`);
    }
    length = Math.ceil(length / multiple) * multiple;
  }
  if (length > MAX_PADDED_LENGTH) {
    throw new TokenizerError(
      "TOKENIZER_PADDING",
      `Cannot pad to ${length} tokens: more than ${MAX_PADDED_LENGTH} per row (check max_length / pad_to_multiple_of)`,
      { argument: padding === "max_length" ? "max_length" : "pad_to_multiple_of" },
    );
  }
  if (padId === null) throw argumentError("padding", "this tokenizer has no pad_token, so it cannot pad");
  for (const row of rows) padEncoding(row, { length, padId, padTypeId: 0, side });
}

/** The result of one call: the rows' fields as chosen by `options`, batched or not, arrays or tensors. */
export function toBatchEncoding(
  rows: Encoding[],
  batched: boolean,
  options: TokenizerCallOptions,
  sampleMapping: number[] | undefined,
): BatchEncoding {
  const pick = <T>(get: (e: Encoding) => T[]): Field<T> => (batched ? rows.map(get) : get(rows[0]!));
  const asTensor = (get: (e: Encoding) => number[], name: string): Tensor => {
    const length = rows[0]?.ids.length ?? 0;
    if (rows.some((r) => r.ids.length !== length)) {
      throw new TokenizerError(
        "TOKENIZER_PADDING",
        `Cannot return \`${name}\` as a tensor: rows have different lengths; pass padding: true (or 'max_length')`,
        { argument: "return_tensor" },
      );
    }
    const data = new BigInt64Array(rows.length * length);
    rows.forEach((r, i) => {
      const values = get(r);
      for (let j = 0; j < length; j++) data[i * length + j] = BigInt(values[j]!);
    });
    return new Tensor("int64", data, [rows.length, length]);
  };
  const field = (get: (e: Encoding) => number[], name: string) =>
    options.return_tensor ? asTensor(get, name) : pick(get);

  const out: Omit<BatchEncoding, "word_ids" | "sequence_ids"> = {
    input_ids: field((e) => e.ids, "input_ids"),
  };
  if (options.return_token_type_ids ?? true) out.token_type_ids = field((e) => e.typeIds, "token_type_ids");
  if (options.return_attention_mask ?? true)
    out.attention_mask = field((e) => e.attentionMask, "attention_mask");
  if (options.return_special_tokens_mask) {
    out.special_tokens_mask = field((e) => e.specialTokensMask, "special_tokens_mask");
  }
  if (options.return_offsets_mapping)
    out.offset_mapping = pick((e) => e.starts.map((s, i): [number, number] => [s, e.ends[i]!]));
  if (sampleMapping !== undefined) out.overflow_to_sample_mapping = sampleMapping;
  const rowAt = (batchIndex: number | undefined): Encoding => {
    const index = batchIndex ?? 0;
    const row = rows[index];
    if (row === undefined) throw argumentError("batchIndex", `must be in [0, ${rows.length}), got ${index}`);
    return row;
  };
  // Methods are non-enumerable so that the result serialises and compares like plain data.
  Object.defineProperty(out, "word_ids", {
    value: (i?: number) => [...rowAt(i).wordIds],
    enumerable: false,
  });
  Object.defineProperty(out, "sequence_ids", {
    value: (i?: number) => [...rowAt(i).sequenceIds],
    enumerable: false,
  });
  return out as BatchEncoding;
}
