// A text-classification input as /predict, /rerank and /pipelines/text-classification build it: its tokens
// counted, and truncation asked for only where it is needed, so that inputs that fit share their batches
// whatever the request said about truncation.
import { ServeError } from "../errors.js";
import type { ServedModel } from "../served-model.js";
import { inputTooLong, type WorkEntry, workEntry } from "../work.js";

export function classificationEntry(
  model: ServedModel,
  text: string,
  pair: string | undefined,
  options: Record<string, unknown>,
  truncate: boolean,
  field: string,
  hint: string,
): WorkEntry {
  const tokens = model.countTokens(text, pair);
  const max = model.maxInputLength;
  let callOptions = options;
  if (tokens > max) {
    if (!truncate) throw inputTooLong(field, tokens, max, hint);
    callOptions = { ...options, truncation: true, max_length: max };
  }
  const input = pair === undefined ? text : { text, text_pair: pair };
  return workEntry("text-classification", input, callOptions, { rows: 1, length: Math.min(tokens, max) });
}

/** 404 for a route whose task this model does not serve. */
export function notServed(route: string, need: string, model: ServedModel): ServeError {
  return new ServeError(
    "SERVE_NOT_FOUND",
    404,
    "not_found",
    `${route} needs ${need}; this model (${model.modelId}) serves ${model.servedTaskNames().join(", ")}`,
  );
}

/** 413 when a request holds more inputs than --max-client-batch-size. */
export function tooManyInputs(field: string, count: number, max: number): ServeError {
  return new ServeError(
    "SERVE_TOO_MANY_INPUTS",
    413,
    "validation",
    `${field}: ${count} inputs, more than --max-client-batch-size (${max})`,
    field,
  );
}
