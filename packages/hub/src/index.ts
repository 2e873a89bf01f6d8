/**
 * `@deberta/hub`: model weight files for DeBERTa in TypeScript. Reads safetensors (F32, F16, BF16, F64, I64,
 * I32, U8, BOOL) and PyTorch `pytorch_model.bin` checkpoints (zip and legacy `torch.save` formats) into typed
 * arrays, with strict validation, typed errors, and a whitelisting unpickler that never executes anything.
 * Resolves and downloads models from the Hugging Face Hub into the cache Python's `huggingface_hub` uses
 * (`resolveModelFiles`, `hfFileDownload`), with resume, locking, retries and checksums.
 *
 * @example
 * ```ts
 * import { readWeightsFromDir, resolveModelFiles } from "@deberta/hub";
 *
 * const weights = await readWeightsFromDir("models/deberta-base");
 * const embeddings = weights.get("embeddings.word_embeddings.weight");
 * embeddings?.shape; // [50265, 768]
 *
 * const dir = await resolveModelFiles("microsoft/deberta-v3-base"); // the snapshot folder in the cache
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
export {
  hfHome,
  hubCacheDir,
  resolveHubToken,
  tryLoadFromCache,
} from "./hub-cache.js";
export {
  type HubDownloadOptions,
  type HubLockWaitEvent,
  type HubProgressEvent,
  hfFileDownload,
} from "./hub-download.js";
export { HubError, type HubErrorCode, type HubErrorDetails } from "./hub-error.js";
export { type FetchHubFileOptions, fetchHubFile } from "./hub-fetch.js";
export {
  DEFAULT_HUB_ENDPOINT,
  DEFAULT_REVISION,
  type HubEnv,
  hubEndpoint,
  hubFileUrl,
  hubFolderUrl,
  isCommitHash,
  isHubOffline,
  repoFolderName,
  repoIdProblem,
  validateRepoId,
} from "./hub-paths.js";
export {
  MODEL_CONFIG_FILE,
  type ModelRef,
  parseModelRef,
  type ResolvedModel,
  type ResolveModelOptions,
  resolveModel,
  resolveModelFiles,
  TOKENIZER_FILES,
} from "./hub-resolve.js";
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
