/** What went wrong, machine-readable. */
export type TokenizerErrorCode =
  | "TOKENIZER_FILE_MISSING"
  | "TOKENIZER_FILE_INVALID"
  | "TOKENIZER_UNSUPPORTED"
  | "TOKENIZER_ARGUMENT"
  | "TOKENIZER_TRUNCATION"
  | "TOKENIZER_PADDING";

/**
 * The one error class of `@deberta/tokenizer`. `code` says what kind of failure it is; `file`, `key` or
 * `argument` (when set) name the culprit, and the message names them too.
 */
export class TokenizerError extends Error {
  override readonly name = "TokenizerError";
  readonly code: TokenizerErrorCode;
  readonly file: string | undefined;
  readonly key: string | undefined;
  readonly argument: string | undefined;

  constructor(
    code: TokenizerErrorCode,
    message: string,
    details: { file?: string; key?: string; argument?: string; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.file = details.file;
    this.key = details.key;
    this.argument = details.argument;
  }
}

export function argumentError(argument: string, message: string): TokenizerError {
  return new TokenizerError("TOKENIZER_ARGUMENT", `Invalid argument \`${argument}\`: ${message}`, {
    argument,
  });
}
