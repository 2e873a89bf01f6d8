export type HeadErrorCode = "HEAD_INPUT" | "HEAD_ARCHITECTURE" | "HEAD_DISPOSED" | "HEAD_NO_BACKEND";

/** Errors of the task heads: `code`, and the argument or config key at fault, named in the message. */
export class HeadError extends Error {
  override readonly name = "HeadError";
  readonly code: HeadErrorCode;
  readonly argument: string | undefined;

  constructor(code: HeadErrorCode, message: string, details: { argument?: string; cause?: unknown } = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.argument = details.argument;
  }
}
