export { CpuBackend, type CpuBackendOptions, type PackedLinear, type PackingGemm } from "./cpu-backend.js";
export { asCpu, CpuTensor } from "./cpu-tensor.js";
export { type CreateCpuBackendOptions, createCpuBackend, registerCpuBackend } from "./create.js";
export { type Gemm, jsGemm } from "./gemm.js";
export * from "./wasm/index.js";
export { WasmGemm } from "./wasm-gemm.js";
