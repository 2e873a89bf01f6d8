/** What went wrong, as text-embeddings-inference's `error_type` says it (plus `timeout` and `not_found`). */
export type ServeErrorType =
  | "validation"
  | "tokenizer"
  | "overloaded"
  | "unhealthy"
  | "timeout"
  | "not_found"
  | "backend";

export type ServeErrorCode =
  /** The body is not JSON, or not the JSON this route takes (400). */
  | "SERVE_INVALID_JSON"
  /** A field has the wrong type or value, is missing, or is unknown (400). */
  | "SERVE_INVALID_FIELD"
  /** An input has more tokens than the model takes and `truncate` is false (413). */
  | "SERVE_INPUT_TOO_LONG"
  /** More inputs in one request than `--max-client-batch-size` (413). */
  | "SERVE_TOO_MANY_INPUTS"
  /** The body is larger than `--payload-limit` (413). */
  | "SERVE_BODY_TOO_LARGE"
  /** The body is not `application/json` (415). */
  | "SERVE_MEDIA_TYPE"
  /** The queue is full: retry after `Retry-After` seconds (429). */
  | "SERVE_QUEUE_FULL"
  /** The model is not loaded yet, failed to load, or the server is shutting down (503). */
  | "SERVE_NOT_READY"
  /** The request took longer than `--request-timeout-ms` (504). */
  | "SERVE_TIMEOUT"
  /** No such route, or a task this model does not serve (404). */
  | "SERVE_NOT_FOUND"
  /** The model failed on a valid request (500). */
  | "SERVE_INFERENCE"
  /** A server option (a `deberta serve` flag) is invalid. */
  | "SERVE_OPTION";

/**
 * The server's errors: an HTTP `status`, a `code`, the `field` (request field or server option) at fault, and
 * the `headers` the response carries (`Retry-After`). `body()` is what the client gets.
 */
export class ServeError extends Error {
  override readonly name = "ServeError";

  constructor(
    readonly code: ServeErrorCode,
    readonly status: number,
    readonly errorType: ServeErrorType,
    message: string,
    readonly field?: string,
    readonly headers: Readonly<Record<string, string>> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** text-embeddings-inference's error body (`error`, `error_type`), plus `code` and `field`. */
  body(): ErrorBody {
    return {
      error: this.message,
      error_type: this.errorType,
      code: this.code,
      ...(this.field === undefined ? {} : { field: this.field }),
    };
  }
}

export interface ErrorBody {
  error: string;
  error_type: ServeErrorType;
  code: ServeErrorCode;
  field?: string;
}

/** A 400 naming `field`: the message starts with it, as every error of this project does. */
export function invalidField(field: string, message: string): ServeError {
  return new ServeError("SERVE_INVALID_FIELD", 400, "validation", `${field}: ${message}`, field);
}

/** A server option (`field`: its flag, e.g. `--max-queue`) with a bad value. */
export function optionError(field: string, message: string): ServeError {
  return new ServeError("SERVE_OPTION", 500, "validation", `${field}: ${message}`, field);
}
