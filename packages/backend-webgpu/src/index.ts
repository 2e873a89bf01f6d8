/**
 * `@deberta/backend-webgpu`: the DeBERTa backend for GPUs through WebGPU — WGSL kernels (tiled GEMM with
 * fused bias/activation, layer norm, masked softmax, fused disentangled attention, the primitives) in
 * browsers (`navigator.gpu`) and in Node (the `webgpu` package, Dawn). f32 by default, f16 with
 * `dtype: "fp16"` where the adapter has shader-f16.
 * @packageDocumentation
 */
export { type CreateWebGpuBackendOptions, createWebGpuBackend, registerWebGpuBackend } from "./create.js";
export { type DeviceRequest, findGpu, requestDevice } from "./device.js";
export { GpuTensor } from "./gpu-tensor.js";
export { WebGpuBackend, type WebGpuBackendOptions, type WebGpuDtype } from "./webgpu-backend.js";
