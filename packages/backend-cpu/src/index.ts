export {
  CpuBackend,
  type CpuBackendOptions,
  type CpuEngineInfo,
  type PackedLinear,
  type PackingGemm,
} from "./cpu-backend.js";
export { asCpu, CpuTensor } from "./cpu-tensor.js";
export {
  type CpuEngineChoice,
  type CreateCpuBackendOptions,
  createCpuBackend,
  registerCpuBackend,
} from "./create.js";
export { type Gemm, jsGemm } from "./gemm.js";
export { loadNativeAddon, type NativeIsa } from "./native/addon.js";
export type { NativeRunStats } from "./native/executor.js";
export { createNativeGemm, NativeGemm, type NativeGemmOptions } from "./native/native-gemm.js";
export * from "./wasm/index.js";
export { WasmGemm } from "./wasm-gemm.js";
