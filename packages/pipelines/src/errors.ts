export type PipelineErrorCode =
  /** `pipeline(task)` names no registered task (the message lists the known ones). */
  | "PIPELINE_UNKNOWN_TASK"
  /** A call or pipeline argument has the wrong type or value. */
  | "PIPELINE_ARGUMENT"
  /** A required argument is missing (`candidate_labels`, a tokenizer, ...). */
  | "PIPELINE_MISSING_ARGUMENT"
  /** fill-mask: an input holds no mask token. */
  | "PIPELINE_NO_MASK_TOKEN"
  /** The model or tokenizer lacks what the task needs (an entailment label, a mask token, a head). */
  | "PIPELINE_MODEL_CONFIG";

/** Errors of the pipelines: a `code`, and the argument at fault (`argument`), named in the message. */
export class PipelineError extends Error {
  override readonly name = "PipelineError";
  readonly code: PipelineErrorCode;
  readonly argument: string | undefined;

  constructor(
    code: PipelineErrorCode,
    message: string,
    details: { argument?: string; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.argument = details.argument;
  }
}

export function argumentError(argument: string, message: string): PipelineError {
  return new PipelineError("PIPELINE_ARGUMENT", `${argument}: ${message}`, { argument });
}

export function missingArgument(argument: string, message: string): PipelineError {
  return new PipelineError("PIPELINE_MISSING_ARGUMENT", `${argument}: ${message}`, { argument });
}

/** Integer check shared by the tasks' numeric options. */
export function checkInteger(value: unknown, argument: string, min: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
    throw argumentError(argument, `must be an integer >= ${min}, got ${describe(value)}`);
  }
  return value;
}

export function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return typeof value;
}
