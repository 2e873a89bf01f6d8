/**
 * `@deberta/hub`: model weight files for DeBERTa in TypeScript. Reads safetensors (F32, F16, BF16, F64, I64,
 * I32, U8, BOOL) and PyTorch `pytorch_model.bin` checkpoints (zip and legacy `torch.save` formats) into typed
 * arrays, with strict validation, typed errors, and a whitelisting unpickler that never executes anything.
 *
 * @example
 * ```ts
 * import { readWeightsFromDir } from "@deberta/hub";
 *
 * const weights = await readWeightsFromDir("models/deberta-base");
 * const embeddings = weights.get("embeddings.word_embeddings.weight");
 * embeddings?.shape; // [50265, 768]
 * ```
 * @packageDocumentation
 */
export {
  bf16ToF32,
  decodeBF16,
  decodeF16,
  decodeTensorData,
  f16ToF32,
  f32ToBf16Bits,
  f32ToF16Bits,
  STORED_DTYPES,
  type StoredDtype,
  UNSUPPORTED_SAFETENSORS_DTYPES,
  type WeightData,
  type WeightDtype,
  type WeightTensor,
} from "./dtypes.js";
export { WeightsError, type WeightsErrorCode } from "./errors.js";
export { LazyWeights, openWeightsFromDir } from "./lazy-weights.js";
export {
  DATA_GLOBALS,
  type PickleCallable,
  type PickleContext,
  PickleGlobal,
  type UnpickleOptions,
  type UnpickleResult,
  unpickle,
} from "./pickle.js";
export {
  detectWeightsFormat,
  findWeightFiles,
  readFileBytes,
  readWeightsFile,
  readWeightsFromBuffer,
  readWeightsFromDir,
  WEIGHT_FILE_CANDIDATES,
  type WeightFiles,
  type WeightsFormat,
} from "./read-weights.js";
export {
  MAX_SAFETENSORS_HEADER_LENGTH,
  readSafetensors,
  readSafetensorsHeader,
  type SafetensorsEntry,
  type SafetensorsHeader,
  type SafetensorsInput,
  writeSafetensors,
} from "./safetensors.js";
export {
  readTorchBin,
  readTorchBinAsync,
  TORCH_GLOBALS,
  TORCH_LEGACY_MAGIC,
  TORCH_REFUSALS,
  type TorchBinOptions,
} from "./torch-bin.js";
export {
  crc32,
  type InflateRaw,
  readZipDirectory,
  type ZipArchive,
  type ZipEntry,
  zipEntryData,
} from "./zip.js";
