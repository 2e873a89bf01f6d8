import { BackendError } from "@deberta/tensor";

export interface DeviceRequest {
  /** "high-performance" (default) or "low-power". */
  powerPreference?: GPUPowerPreference;
  /** Ask for shader-f16 (needed by the fp16 mode). */
  f16?: boolean;
  /** Use subgroup operations where the adapter has them (default true). */
  subgroups?: boolean;
}

/** Loads the `webgpu` package (Dawn) through a variable specifier, so browser bundles never resolve it. */
function importOptional(specifier: string): Promise<unknown> {
  return import(/* webpackIgnore: true */ /* @vite-ignore */ specifier);
}

/**
 * Dawn's instance, created once per process and never dropped: devices do not keep it alive, and a
 * garbage-collected instance takes its devices down with it (crashes, not errors).
 */
let dawnGpu: GPU | undefined;

/**
 * The GPU entry point: `navigator.gpu` in browsers (and runtimes that have it), else the optional peer
 * `webgpu` package (Dawn) in Node.
 */
export async function findGpu(): Promise<GPU> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu !== undefined) return nav.gpu;
  if (dawnGpu !== undefined) return dawnGpu;
  let dawn: { create: (flags: string[]) => GPU; globals: Record<string, unknown> };
  try {
    dawn = (await importOptional("webgpu")) as typeof dawn;
  } catch (e) {
    throw new BackendError(
      "BACKEND_UNAVAILABLE",
      "webgpu: no navigator.gpu here, and the optional package `webgpu` (Dawn for Node) is not installed",
      { cause: e },
    );
  }
  // Dawn's classes (GPUBufferUsage, GPUMapMode, ...) as globals, as browsers have them.
  for (const [name, value] of Object.entries(dawn.globals)) {
    if (!(name in globalThis)) (globalThis as Record<string, unknown>)[name] = value;
  }
  dawnGpu = dawn.create([]);
  return dawnGpu;
}

/**
 * A device with the limits a transformer needs raised to what the adapter allows (storage buffers as large
 * as the word embeddings, 10 storage buffers per stage) and the optional features asked for.
 */
export async function requestDevice(gpu: GPU, request: DeviceRequest = {}): Promise<GPUDevice> {
  const adapter = await gpu.requestAdapter({
    powerPreference: request.powerPreference ?? "high-performance",
  });
  if (adapter === null) {
    throw new BackendError(
      "BACKEND_UNAVAILABLE",
      "webgpu: no GPU adapter (in Node, Dawn needs a Vulkan driver: a GPU's, or SwiftShader through VK_ICD_FILENAMES)",
    );
  }
  const features: GPUFeatureName[] = [];
  if (request.f16) {
    if (!adapter.features.has("shader-f16"))
      throw new BackendError(
        "BACKEND_UNAVAILABLE",
        'webgpu: this adapter has no shader-f16, which dtype "fp16" needs',
      );
    features.push("shader-f16");
  }
  if ((request.subgroups ?? true) && adapter.features.has("subgroups")) features.push("subgroups");
  const limits = adapter.limits;
  const requiredLimits: Record<string, number> = {
    maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
    maxBufferSize: limits.maxBufferSize,
    maxStorageBuffersPerShaderStage: Math.min(limits.maxStorageBuffersPerShaderStage, 10),
    maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
  };
  try {
    return await adapter.requestDevice({ requiredFeatures: features, requiredLimits });
  } catch (e) {
    throw new BackendError("BACKEND_UNAVAILABLE", `webgpu: requestDevice failed: ${(e as Error).message}`, {
      cause: e,
    });
  }
}
