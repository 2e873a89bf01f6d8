// The JSON form of a pipeline call: one object of the task's inputs plus call options (`{"text": "…",
// "top_k": 2}`), or a bare string where the task takes a single text. `deberta run` reads one per line and
// `deberta serve` takes one per request (POST /pipelines/{task}); both go through here so that the same
// object means the same call in both. Results go back to JSON with `toJsonValue` (Tensors as nested arrays).
import { Tensor } from "@deberta/tensor";
import { PipelineError } from "./errors.js";

/** How a JSON object becomes a pipeline call for one task. */
export interface TaskJsonInput {
  /** Keys that form the input; a single key means the input is that key's value. */
  inputKeys: readonly string[];
  /** Keys that must be present. */
  required: readonly string[];
  /**
   * Whether calls with the same options may share one pipeline call as a list of inputs, each input's
   * result being the list's element (the shape of a single call's result, whatever the list's length).
   */
  batchable: boolean;
}

/** The JSON inputs of every built-in task and alias. */
export const TASK_JSON_INPUTS: Readonly<Record<string, TaskJsonInput>> = {
  "text-classification": { inputKeys: ["text", "text_pair"], required: ["text"], batchable: true },
  "sentiment-analysis": { inputKeys: ["text", "text_pair"], required: ["text"], batchable: true },
  "zero-shot-classification": {
    inputKeys: ["text"],
    required: ["text", "candidate_labels"],
    batchable: false,
  },
  "fill-mask": { inputKeys: ["text"], required: ["text"], batchable: true },
  "token-classification": { inputKeys: ["text"], required: ["text"], batchable: true },
  ner: { inputKeys: ["text"], required: ["text"], batchable: true },
  "question-answering": {
    inputKeys: ["question", "context"],
    required: ["question", "context"],
    batchable: true,
  },
  "feature-extraction": { inputKeys: ["text"], required: ["text"], batchable: false },
};

/** A pipeline call built from a JSON value. */
export interface JsonCall {
  /** The pipeline's first argument: a string, `{ text, text_pair }` or `{ question, context }`. */
  input: unknown;
  /** Every other key of the object: the call's options. */
  options: Record<string, unknown>;
  /** The options serialised with sorted keys, to group calls that can share one pipeline call. */
  optionsKey: string;
}

/**
 * The pipeline call of `task` that a JSON value (an object, or a bare string) stands for. Throws a
 * `PipelineError` whose `argument` names the key at fault (`"inputs"` for the value as a whole).
 *
 * @example
 * ```ts
 * jsonToCall("text-classification", { text: "a", text_pair: "b", top_k: 2 });
 * // { input: { text: "a", text_pair: "b" }, options: { top_k: 2 }, optionsKey: '{"top_k":2}' }
 * ```
 */
export function jsonToCall(task: string, value: unknown): JsonCall {
  const spec = TASK_JSON_INPUTS[task];
  if (spec === undefined) {
    throw new PipelineError(
      "PIPELINE_UNKNOWN_TASK",
      `task: unknown task ${JSON.stringify(task)}; tasks: ${Object.keys(TASK_JSON_INPUTS).join(", ")}`,
      { argument: "task" },
    );
  }
  if (typeof value === "string") {
    if (spec.required.length > 1 || spec.inputKeys[0] !== "text") {
      throw new PipelineError(
        "PIPELINE_ARGUMENT",
        `a bare string is not enough for ${task}: give an object with ${spec.required.join(", ")}`,
        { argument: "inputs" },
      );
    }
    return { input: value, options: {}, optionsKey: "{}" };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new PipelineError(
      "PIPELINE_ARGUMENT",
      `expected a JSON object (or a string), got ${Array.isArray(value) ? "an array" : value === null ? "null" : typeof value}`,
      { argument: "inputs" },
    );
  }
  const record = value as Record<string, unknown>;
  const missing = spec.required.filter((k) => record[k] === undefined);
  if (missing.length > 0) {
    throw new PipelineError(
      "PIPELINE_MISSING_ARGUMENT",
      `missing ${missing.map((k) => `"${k}"`).join(", ")}`,
      {
        argument: missing[0]!,
      },
    );
  }
  const options: Record<string, unknown> = {};
  const inputObject: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(record)) {
    if (spec.inputKeys.includes(key)) inputObject[key] = v;
    else options[key] = v;
  }
  // Inputs as a Python caller passes them: a pair or a QA example as an object, a single text as the string.
  const input =
    Object.keys(inputObject).length > 1 || task === "question-answering" ? inputObject : inputObject.text;
  const sortedOptions = Object.fromEntries(Object.entries(options).sort(([a], [b]) => (a < b ? -1 : 1)));
  return { input, options, optionsKey: JSON.stringify(sortedOptions) };
}

/** A pipeline result as plain JSON: Tensors become nested arrays of numbers (int64 too). */
export function toJsonValue(value: unknown): unknown {
  if (value instanceof Tensor) {
    const data = Array.from(value.data as ArrayLike<number | bigint>, Number);
    const nest = (offset: number, dims: readonly number[]): unknown =>
      dims.length <= 1
        ? data.slice(offset, offset + (dims[0] ?? 1))
        : Array.from({ length: dims[0]! }, (_, i) =>
            nest(offset + i * dims.slice(1).reduce((a, b) => a * b, 1), dims.slice(1)),
          );
    return nest(0, value.dims);
  }
  if (Array.isArray(value)) return value.map(toJsonValue);
  return value;
}
