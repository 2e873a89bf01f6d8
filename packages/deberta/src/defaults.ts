import { registerCpuBackend } from "@deberta/backend-cpu";
import { registerWebGpuBackend } from "@deberta/backend-webgpu";
import { backendRegistry } from "@deberta/tensor";
import { registerCudaDefault } from "./cuda.js";

/**
 * Registers the default backends — the CPU backend as "cpu", the WebGPU backend as "webgpu" (f32; in Node it
 * needs the optional `webgpu` package) and the CUDA backend as "cuda" / "cuda:N" (Node on Linux with an
 * NVIDIA GPU; @deberta/backend-cuda is loaded only when asked for) — each unless something of that name is
 * registered already. "cpu" stays the default device; the others are used when asked for (`device:
 * "webgpu"`, `device: 0`, `"cuda:1"`). Idempotent; called by every entry point of this package, never as an
 * import side effect.
 */
export function registerDefaultBackends(): void {
  const names = backendRegistry.names();
  if (!names.includes("cpu")) registerCpuBackend();
  if (!names.includes("webgpu")) registerWebGpuBackend();
  registerCudaDefault();
}
