// What the batcher carries: one input of one pipeline call (`Work`), keyed by task and call options so that
// only inputs of the same call options share a batch, with its size in rows and tokens. A batch is one call of
// the task's pipeline with the list of its inputs; the pipelines tokenize every input alone and pad per call,
// and the model masks padding, so each input's result is its result alone (within float rounding).
import { Tensor } from "deberta";
import type { BatchEntry } from "./batcher.js";
import { ServeError } from "./errors.js";
import type { ServedModel } from "./served-model.js";

export interface Work {
  /** Canonical task name. */
  task: string;
  /** One input of the pipeline call. */
  input: unknown;
  /** The call's options (equal for every input of a batch: they are part of the key). */
  options: Record<string, unknown>;
}

export type WorkEntry = BatchEntry<Work>;

/** JSON with object keys sorted, so that equal options give equal keys. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/**
 * The batch entry of one input. `separate` adds to the key what else must be equal within a batch
 * (feature extraction without pooling: the length, since its rows come back padded to the call's longest).
 */
export function workEntry(
  task: string,
  input: unknown,
  options: Record<string, unknown>,
  size: { rows: number; length: number },
  separate = "",
): WorkEntry {
  return {
    key: `${task}\n${stableJson(options)}\n${separate}`,
    rows: size.rows,
    length: size.length,
    value: { task, input, options },
  };
}

/** 413 for an input longer than the model takes; `hint` says how to have it truncated instead. */
export function inputTooLong(field: string, tokens: number, max: number, hint: string): ServeError {
  return new ServeError(
    "SERVE_INPUT_TOO_LONG",
    413,
    "validation",
    `${field}: ${tokens} tokens, more than the model takes (${max}); ${hint}`,
    field,
  );
}

/** Runs one batch: the task's pipeline called once with every input, one result per input back. */
export async function runWorkBatch(model: ServedModel, works: readonly Work[]): Promise<unknown[]> {
  const { task, options } = works[0]!;
  const pipe = model.pipeline(task);
  if (pipe === undefined)
    throw new ServeError("SERVE_NOT_FOUND", 404, "not_found", `task ${task} is not served by this model`);
  const result = await pipe(
    works.map((w) => w.input),
    options,
  );
  if (task === "feature-extraction") return splitRows(result, works.length);
  if (!Array.isArray(result) || result.length !== works.length)
    throw new ServeError("SERVE_INFERENCE", 500, "backend", `${task} gave no result per input`);
  return result;
}

/**
 * Feature extraction returns one [batch, ...] Tensor (or nested arrays) for a list; each input gets its row
 * as a batch of one, which is what a call with that input alone returns.
 */
function splitRows(result: unknown, count: number): unknown[] {
  if (result instanceof Tensor) {
    const [batch, ...rest] = result.dims;
    const width = rest.reduce((a, b) => a * b, 1);
    if (batch !== count)
      throw new ServeError("SERVE_INFERENCE", 500, "backend", "feature-extraction: wrong batch");
    const data = result.data as Float32Array;
    return Array.from(
      { length: count },
      (_, i) => new Tensor("float32", data.slice(i * width, (i + 1) * width), [1, ...rest]),
    );
  }
  if (Array.isArray(result) && result.length === count) return result.map((row) => [row]);
  throw new ServeError("SERVE_INFERENCE", 500, "backend", "feature-extraction: wrong batch");
}
