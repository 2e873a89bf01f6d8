// Batching: rows of token ids (unpadded, as the tokenizer gives them for one input) are padded per batch on
// the tokenizer's padding side, run through the head in one forward, and each row's part of the outputs
// is cut back out, so that the tasks only ever see unpadded rows.
import type { DebertaPreTrainedModel, HeadCallInputs, HeadCallOutputs } from "@deberta/heads";
import { Tensor } from "@deberta/tensor";
import type { AnyDebertaTokenizer } from "@deberta/tokenizer";
import { PipelineError } from "./errors.js";
import type { PipelineContext } from "./types.js";

/** One model input row, unpadded. */
export interface ModelRow {
  input_ids: readonly number[];
  attention_mask?: readonly number[];
  token_type_ids?: readonly number[];
}

export interface RowBatch {
  outputs: HeadCallOutputs;
  /** Padded length of the batch. */
  length: number;
  /** Left padding of each row (0 unless the tokenizer pads on the left). */
  shifts: number[];
}

/** `items` in consecutive groups of `size` (the last may be shorter). */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** The pipeline's `batch_size`, or the task's default. */
export function batchSizeOf(context: PipelineContext, fallback = 1): number {
  return context.batch_size ?? fallback;
}

/** Pads `rows` to the longest of them and runs the model on them in one forward. */
export async function forwardRows(
  model: DebertaPreTrainedModel,
  tokenizer: AnyDebertaTokenizer,
  rows: readonly ModelRow[],
  extra: Partial<HeadCallInputs> = {},
): Promise<RowBatch> {
  const length = Math.max(...rows.map((r) => r.input_ids.length));
  const padId = tokenizer.pad_token_id;
  if (padId === null && rows.some((r) => r.input_ids.length !== length)) {
    throw new PipelineError(
      "PIPELINE_MODEL_CONFIG",
      "batch_size: the tokenizer has no pad_token, so inputs of different lengths cannot share a batch; use batch_size 1",
      { argument: "batch_size" },
    );
  }
  const left = tokenizer.padding_side === "left";
  const ids = new BigInt64Array(rows.length * length).fill(BigInt(padId ?? 0));
  const mask = new BigInt64Array(rows.length * length);
  const types = new BigInt64Array(rows.length * length);
  const shifts = rows.map((row, b) => {
    const n = row.input_ids.length;
    const shift = left ? length - n : 0;
    const at = b * length + shift;
    for (let j = 0; j < n; j++) {
      ids[at + j] = BigInt(row.input_ids[j]!);
      mask[at + j] = BigInt(row.attention_mask?.[j] ?? 1);
      types[at + j] = BigInt(row.token_type_ids?.[j] ?? 0);
    }
    return shift;
  });
  const dims = [rows.length, length];
  const outputs = await model({
    input_ids: new Tensor("int64", ids, dims),
    attention_mask: new Tensor("int64", mask, dims),
    token_type_ids: new Tensor("int64", types, dims),
    ...extra,
  });
  return { outputs, length, shifts };
}

/** The output `name` of a head call, with an error naming the task when the head does not give it. */
export function outputOf(outputs: HeadCallOutputs, name: keyof HeadCallOutputs, task: string): Tensor {
  const t = outputs[name];
  if (t === undefined || Array.isArray(t)) {
    throw new PipelineError(
      "PIPELINE_MODEL_CONFIG",
      `model: ${task} needs the head's "${name}" output, which this model does not return`,
      { argument: "model" },
    );
  }
  return t;
}

function floats(t: Tensor): Float32Array {
  const data = t.data;
  return data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>);
}

/** Row `b` of a [B, ...] output. */
export function rowOf(t: Tensor, b: number): Float32Array {
  const width = t.dims.slice(1).reduce((a, d) => a * d, 1);
  return floats(t).subarray(b * width, (b + 1) * width);
}

/** Positions `shift .. shift + count` of row `b` of a [B, L] or [B, L, W] output: [count] or [count, W]. */
export function tokensOf(t: Tensor, b: number, shift: number, count: number): Float32Array {
  const length = t.dims[1]!;
  const width = t.dims.slice(2).reduce((a, d) => a * d, 1);
  const at = (b * length + shift) * width;
  return floats(t).subarray(at, at + count * width);
}
