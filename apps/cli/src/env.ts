import os from "node:os";
import {
  backendRegistry,
  registerDefaultBackends,
  relaxedSimdSupported,
  sharedMemorySupported,
  wasmSimdSupported,
} from "deberta";
import { cudaEnv } from "./cuda-env.js";

/** The adapter behind a WebGPU backend's device, and the features that matter here (shader-f16, subgroups). */
function gpuDescription(device: GPUDevice): Record<string, unknown> {
  const info = (device as { adapterInfo?: GPUAdapterInfo }).adapterInfo;
  return {
    adapter:
      info === undefined
        ? undefined
        : { vendor: info.vendor, architecture: info.architecture, description: info.description },
    features: [...device.features].filter((f) => f === "shader-f16" || f === "subgroups"),
  };
}

/**
 * `deberta env`: the runtime and every backend, whether it can be created here and, if not, why; CUDA from
 * its probe (GPUs, driver, cuBLASLt).
 */
export async function envCommand(): Promise<Record<string, unknown>> {
  registerDefaultBackends();
  const backends: Record<string, unknown> = {};
  for (const name of backendRegistry.names()) {
    // CUDA is probed (below), not created once per registered device name.
    if (/^cuda(:\d+)?$/.test(name)) continue;
    try {
      const backend = await backendRegistry.resolve(name);
      backends[name] = {
        available: true,
        // The CPU backend's matrix-multiply engine and, when it is not the native one, why.
        ...("engine" in backend
          ? { engine: (backend as { engine: { name: string; fallbackReason?: string } }).engine }
          : {}),
        ...("device" in backend ? gpuDescription((backend as { device: GPUDevice }).device) : {}),
      };
      backend.close();
    } catch (error) {
      backends[name] = { available: false, reason: (error as Error).message };
    }
  }
  backends.cuda = await cudaEnv();
  backends.webgpu ??= {
    available: false,
    reason: "not installed: no @deberta/backend-webgpu package is registered",
  };
  return {
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpu: os.cpus()[0]?.model,
    cores: os.availableParallelism?.() ?? os.cpus().length,
    wasmSimd: wasmSimdSupported(),
    relaxedSimd: relaxedSimdSupported(),
    sharedArrayBuffer: sharedMemorySupported(),
    backends,
  };
}
