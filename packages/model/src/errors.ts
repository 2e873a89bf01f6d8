export type ModelErrorCode =
  | "MODEL_WEIGHTS_MISSING"
  | "MODEL_WEIGHT_SHAPE"
  | "MODEL_INPUT"
  | "MODEL_DISPOSED";

/** The model's error: `code`, and the weight `key` or input `argument` at fault, named in the message. */
export class ModelError extends Error {
  override readonly name = "ModelError";
  readonly code: ModelErrorCode;
  readonly key: string | undefined;
  readonly argument: string | undefined;
  readonly file: string | undefined;

  constructor(
    code: ModelErrorCode,
    message: string,
    details: { key?: string; argument?: string; file?: string } = {},
  ) {
    super(message);
    this.code = code;
    this.key = details.key;
    this.argument = details.argument;
    this.file = details.file;
  }
}
