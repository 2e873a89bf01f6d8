/**
 * What went wrong, machine-readable.
 *
 * - `WEIGHTS_FILE_MISSING`: the weights file, a shard named by an index, or the model folder does not exist.
 * - `WEIGHTS_READ`: the file exists but could not be read (permissions, a folder where a file was expected,
 *   or no file system in this runtime).
 * - `WEIGHTS_CORRUPT`: the bytes contradict the format: a truncated file, a header or zip directory that
 *   points past the end, overlapping tensors, a byte length that does not match the shape, an unknown dtype,
 *   a malformed pickle.
 * - `WEIGHTS_UNSUPPORTED`: a well-formed file using something this package does not read (a dtype such as
 *   F8_E4M3, an encrypted or unusually compressed zip entry, a TorchScript archive, a file too large to hold
 *   in one buffer in this runtime).
 * - `WEIGHTS_UNSAFE_PICKLE`: a pickle names a global outside the whitelist (`os.system`, `builtins.eval`,
 *   ...). Reading stops at that opcode; nothing is imported, called or executed.
 */
export type WeightsErrorCode =
  | "WEIGHTS_FILE_MISSING"
  | "WEIGHTS_READ"
  | "WEIGHTS_CORRUPT"
  | "WEIGHTS_UNSUPPORTED"
  | "WEIGHTS_UNSAFE_PICKLE";

/**
 * The one error class of `@deberta/hub`. `file` names the file (or folder) concerned, `key` the tensor name,
 * index entry or pickle global when one is relevant (`"os.system"`); the message names both, so a log line
 * alone is enough to find the culprit.
 *
 * @example
 * ```ts
 * import { readWeightsFile, WeightsError } from "@deberta/hub";
 *
 * try {
 *   await readWeightsFile("untrusted/pytorch_model.bin");
 * } catch (error) {
 *   if (error instanceof WeightsError) console.log(error.code, error.key, error.file);
 *   // WEIGHTS_UNSAFE_PICKLE os.system untrusted/pytorch_model.bin
 * }
 * ```
 */
export class WeightsError extends Error {
  override readonly name = "WeightsError";
  readonly code: WeightsErrorCode;
  readonly file: string;
  readonly key: string | undefined;

  constructor(
    code: WeightsErrorCode,
    message: string,
    details: { file: string; key?: string | undefined; cause?: unknown },
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.file = details.file;
    this.key = details.key;
  }
}

/**
 * Builds a {@link WeightsError} whose message starts with the file and, when given, the key:
 * `weights file a.safetensors: tensor "x.weight": <problem>`.
 */
export function weightsError(
  code: WeightsErrorCode,
  file: string,
  problem: string,
  options: { key?: string | undefined; keyKind?: string; cause?: unknown } = {},
): WeightsError {
  const { key } = options;
  const where =
    key === undefined
      ? `weights file ${file}`
      : `weights file ${file}: ${options.keyKind ?? "tensor"} ${JSON.stringify(key)}`;
  return new WeightsError(code, `${where}: ${problem}`, { file, key, cause: options.cause });
}
