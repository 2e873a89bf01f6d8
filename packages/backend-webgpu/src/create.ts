import { registerBackend } from "@deberta/tensor";
import { type DeviceRequest, findGpu, requestDevice } from "./device.js";
import { WebGpuBackend, type WebGpuDtype } from "./webgpu-backend.js";

export interface CreateWebGpuBackendOptions extends DeviceRequest {
  /** A device to run on (the caller keeps owning it); otherwise one is requested and destroyed on close(). */
  device?: GPUDevice;
  /** "fp32" (default) or "fp16" (needs an adapter with shader-f16). */
  dtype?: WebGpuDtype;
}

/**
 * Creates the WebGPU backend on `options.device`, or on a new device from `navigator.gpu` (browsers) or
 * the `webgpu` package (Dawn, Node).
 *
 * @example
 * ```ts
 * const backend = await createWebGpuBackend({ dtype: "fp16" });
 * const model = await DebertaForSequenceClassification.from_pretrained(dir, { backend });
 * ```
 */
export async function createWebGpuBackend(options: CreateWebGpuBackendOptions = {}): Promise<WebGpuBackend> {
  const dtype = options.dtype ?? "fp32";
  if (options.device !== undefined) return new WebGpuBackend(options.device, { dtype });
  const device = await requestDevice(await findGpu(), { ...options, f16: dtype === "fp16" });
  const backend = new WebGpuBackend(device, { dtype });
  backend.onClose = () => device.destroy();
  return backend;
}

/** Registers "webgpu" in the backend registry (explicitly: importing this package registers nothing). */
export function registerWebGpuBackend(options: CreateWebGpuBackendOptions = {}, priority = 20): void {
  registerBackend("webgpu", () => createWebGpuBackend(options), priority);
}
