/**
 * `@deberta/backend-cuda`: the DeBERTa backend for NVIDIA GPUs in Node. A Node-API addon loads the NVIDIA
 * driver (libcuda.so.1) and cuBLASLt with dlopen at run time — no CUDA toolkit needed — and runs PTX
 * kernels compiled from the package's .cu sources (one op per file). float32 for now (TF32 off).
 * @packageDocumentation
 */

export { type CreateCudaBackendOptions, createCudaBackend, registerCudaBackend } from "./create.js";
export {
  CUDA_DTYPES,
  type CudaAttention,
  CudaBackend,
  type CudaGemm,
  resolveAttention,
} from "./cuda-backend.js";
export { CudaTensor } from "./cuda-tensor.js";
export { cudaDeviceName, cudaOrdinal } from "./device-name.js";
export { type AddonLoad, loadCudaAddon } from "./native/addon.js";
export {
  type CudaDeviceInfo,
  type CudaProbe,
  formatDriverVersion,
  MIN_DRIVER_VERSION,
  probeCuda,
} from "./probe.js";
export {
  BLASLT_INSTALL_HINT,
  BLASLT_NAMES,
  blasLtCandidates,
  blasLtFolders,
  driverCandidates,
  sitePackages,
} from "./search-paths.js";
