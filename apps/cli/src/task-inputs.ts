import { type JsonCall, jsonToCall, TASK_JSON_INPUTS, type TaskJsonInput } from "deberta";
import { UsageError } from "./errors.js";

/**
 * How a JSON line becomes a pipeline call, per task: the pipelines' JSON form of a call (`jsonToCall`, also
 * what `deberta serve` takes at POST /pipelines/{task}), so that a line means the same call in both.
 */
export type TaskInput = TaskJsonInput;
export const TASK_INPUTS: Readonly<Record<string, TaskInput>> = TASK_JSON_INPUTS;
export type LineCall = JsonCall;

/** Parses one JSON line for `task`; throws an Error whose message says what is wrong with the line. */
export function lineToCall(task: string, line: string): LineCall {
  if (TASK_INPUTS[task] === undefined)
    throw new UsageError(`unknown task "${task}"; tasks: ${Object.keys(TASK_INPUTS).join(", ")}`);
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    throw new Error(`invalid JSON (${(error as Error).message})`);
  }
  return jsonToCall(task, value);
}
