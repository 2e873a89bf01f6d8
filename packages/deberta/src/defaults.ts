import { registerCpuBackend } from "@deberta/backend-cpu";
import { registerWebGpuBackend } from "@deberta/backend-webgpu";
import { backendRegistry } from "@deberta/tensor";

/**
 * Registers the default backends — the CPU backend as "cpu" and the WebGPU backend as "webgpu" (f32; in
 * Node it needs the optional `webgpu` package) — each unless something of that name is registered already.
 * "cpu" stays the default device; "webgpu" is used when asked for (`device: "webgpu"`). Idempotent; called
 * by every entry point of this package, never as an import side effect.
 */
export function registerDefaultBackends(): void {
  const names = backendRegistry.names();
  if (!names.includes("cpu")) registerCpuBackend();
  if (!names.includes("webgpu")) registerWebGpuBackend();
}
