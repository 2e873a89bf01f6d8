export type ModelErrorCode =
  | "MODEL_WEIGHTS_MISSING"
  | "MODEL_WEIGHT_SHAPE"
  | "MODEL_INPUT"
  | "MODEL_DISPOSED"
  | "MODEL_FP16_OVERFLOW";

/**
 * The model's error: `code`, and the weight `key`, input `argument` or `layer` (MODEL_FP16_OVERFLOW: the
 * module whose output overflowed float16, e.g. "encoder.layer.3.output.dense") at fault, named in the message.
 */
export class ModelError extends Error {
  override readonly name = "ModelError";
  readonly code: ModelErrorCode;
  readonly key: string | undefined;
  readonly argument: string | undefined;
  readonly file: string | undefined;
  readonly layer: string | undefined;

  constructor(
    code: ModelErrorCode,
    message: string,
    details: { key?: string; argument?: string; file?: string; layer?: string } = {},
  ) {
    super(message);
    this.code = code;
    this.key = details.key;
    this.argument = details.argument;
    this.file = details.file;
    this.layer = details.layer;
  }
}
