export type BackendErrorCode =
  | "BACKEND_UNAVAILABLE"
  | "BACKEND_NOT_FOUND"
  | "BACKEND_OP_UNSUPPORTED"
  | "BACKEND_SHAPE"
  | "BACKEND_DTYPE"
  | "BACKEND_DISPOSED"
  | "BACKEND_OUT_OF_MEMORY"
  | "BACKEND_DEVICE_LOST";

/**
 * The base error of the backend layer. `code` says what failed; `op` and `shapes` (when set) name the
 * operation and its input shapes, and the message repeats them.
 */
export class BackendError extends Error {
  override readonly name: string = "BackendError";
  readonly code: BackendErrorCode;
  readonly op: string | undefined;
  readonly shapes: readonly (readonly number[])[] | undefined;

  constructor(
    code: BackendErrorCode,
    message: string,
    details: { op?: string; shapes?: readonly (readonly number[])[]; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.op = details.op;
    this.shapes = details.shapes;
  }
}

/** One candidate that could not be created while resolving a backend, and why. */
export interface BackendFailure {
  name: string;
  reason: string;
}

/** No registered backend could be created; `failures` lists every candidate tried and its reason. */
export class BackendResolutionError extends BackendError {
  override readonly name = "BackendResolutionError";
  readonly failures: readonly BackendFailure[];

  constructor(failures: readonly BackendFailure[], requested: readonly string[] | undefined) {
    const tried =
      failures.length === 0
        ? "no backend is registered"
        : failures.map((f) => `${f.name}: ${f.reason}`).join("; ");
    const what =
      requested === undefined ? "any backend" : `backend ${requested.map((r) => `"${r}"`).join(" or ")}`;
    super(
      failures.length === 0 ? "BACKEND_NOT_FOUND" : "BACKEND_UNAVAILABLE",
      `Could not create ${what}: ${tried}`,
    );
    this.failures = failures;
  }
}

export function formatShapes(shapes: readonly (readonly number[])[]): string {
  return shapes.map((s) => `[${s.join(", ")}]`).join(", ");
}

/** A shape error naming the op and every input shape. */
export function shapeError(
  op: string,
  message: string,
  shapes: readonly (readonly number[])[],
): BackendError {
  return new BackendError("BACKEND_SHAPE", `${op}: ${message} (input shapes ${formatShapes(shapes)})`, {
    op,
    shapes,
  });
}
