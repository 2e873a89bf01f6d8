import { UsageError } from "./errors.js";

/**
 * How a JSON line becomes a pipeline call, per task: which keys are the input, and that the other keys are
 * the call's options (e.g. `{"text": "…", "top_k": 2}`). A line may also be a bare JSON string where the
 * task takes a single text.
 */
export interface TaskInput {
  /** Keys that form the input object; a single key means the input is that key's value. */
  inputKeys: readonly string[];
  /** Keys that must be present. */
  required: readonly string[];
  /** Whether consecutive lines with the same options may be sent as one batched call. */
  batchable: boolean;
}

export const TASK_INPUTS: Readonly<Record<string, TaskInput>> = {
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

export interface LineCall {
  input: unknown;
  options: Record<string, unknown>;
  /** Options serialised, to group lines that can share one call. */
  optionsKey: string;
}

/** Parses one JSON line for `task`; throws an Error whose message says what is wrong with the line. */
export function lineToCall(task: string, line: string): LineCall {
  const spec = TASK_INPUTS[task];
  if (spec === undefined)
    throw new UsageError(`unknown task "${task}"; tasks: ${Object.keys(TASK_INPUTS).join(", ")}`);
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    throw new Error(`invalid JSON (${(error as Error).message})`);
  }
  if (typeof value === "string") {
    if (spec.required.length > 1 || spec.inputKeys[0] !== "text") {
      throw new Error(
        `a bare string is not enough for ${task}: give an object with ${spec.required.join(", ")}`,
      );
    }
    return { input: value, options: {}, optionsKey: "{}" };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Error(
      `expected a JSON object (or a string), got ${Array.isArray(value) ? "an array" : typeof value}`,
    );
  }
  const record = value as Record<string, unknown>;
  const missing = spec.required.filter((k) => record[k] === undefined);
  if (missing.length > 0) throw new Error(`missing ${missing.map((k) => `"${k}"`).join(", ")}`);
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
