// Token ids given to decode / convert_ids_to_tokens / batch_decode (number or bigint arrays, typed arrays,
// int64 / int32 tensors) checked and turned into plain number arrays, and transformers' clean-up of decoded
// text. Kept apart from deberta-tokenizer.ts: input conversion and text post-processing, not API.
import type { Tensor } from "onnxruntime-common";
import { argumentError } from "./errors.js";

export type IdsLike = readonly number[] | readonly bigint[] | Tensor | BigInt64Array | Int32Array;

export function toIdList(ids: IdsLike, argument: string): number[] {
  let values: ArrayLike<number | bigint>;
  if (Array.isArray(ids) || ArrayBuffer.isView(ids)) {
    values = ids as ArrayLike<number | bigint>;
  } else {
    const tensor = ids as Tensor;
    if (tensor.type !== "int64" && tensor.type !== "int32") {
      throw argumentError(argument, `expected an int64 or int32 tensor, got ${tensor.type}`);
    }
    values = tensor.data as BigInt64Array | Int32Array;
  }
  const out = new Array<number>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = Number(values[i]);
    if (!Number.isInteger(v) || v < 0)
      throw argumentError(
        argument,
        `ids must be non-negative integers, got ${String(values[i])} at index ${i}`,
      );
    out[i] = v;
  }
  return out;
}

/** transformers' `clean_up_tokenization`: removes spaces before punctuation and contractions. */
export function cleanUpTokenization(text: string): string {
  return text
    .replaceAll(" .", ".")
    .replaceAll(" ?", "?")
    .replaceAll(" !", "!")
    .replaceAll(" ,", ",")
    .replaceAll(" ' ", "'")
    .replaceAll(" n't", "n't")
    .replaceAll(" 'm", "'m")
    .replaceAll(" 's", "'s")
    .replaceAll(" 've", "'ve")
    .replaceAll(" 're", "'re");
}
