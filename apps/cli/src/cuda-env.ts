// `deberta env`'s CUDA entry: what @deberta/backend-cuda's probe found (GPUs, driver, cuBLASLt) or why not,
// without creating a backend. The package is loaded only here, so a CLI without it says "not installed".
import { readFile } from "node:fs/promises";
import type { CudaProbe } from "@deberta/backend-cuda";

/** The NVIDIA driver's release ("580.95.05") from /proc/driver/nvidia/version, when readable. */
export function driverRelease(procVersion: string): string | undefined {
  return /Kernel Module(?: for [\w-]+)?\s+(\d+(?:\.\d+)+)/.exec(procVersion)?.[1];
}

const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(1)} GiB`;

/** The env entry of a probe: available or why not, the GPUs, the driver and cuBLASLt (or why not). */
export function describeCudaProbe(
  probe: CudaProbe,
  formatDriverVersion: (v: number) => string,
  release?: string,
): Record<string, unknown> {
  return {
    available: probe.available,
    ...(probe.reason === undefined ? {} : { reason: probe.reason }),
    ...(probe.driverVersion === undefined
      ? {}
      : {
          driver: {
            ...(release === undefined ? {} : { version: release }),
            cuda: formatDriverVersion(probe.driverVersion),
            path: probe.driverPath,
          },
        }),
    gpus: probe.devices.map((d) => ({
      device: d.ordinal === 0 ? "cuda (0)" : `cuda:${d.ordinal}`,
      name: d.name,
      computeCapability: d.computeCapability,
      memory: gib(d.totalMemory),
      multiprocessors: d.multiprocessors,
    })),
    cublasLt:
      "path" in probe.blasLt
        ? { found: true, path: probe.blasLt.path, version: probe.blasLt.version }
        : { found: false, reason: probe.blasLt.reason },
    ...(probe.addonPath === undefined ? {} : { addon: probe.addonPath }),
  };
}

/** Probes CUDA through @deberta/backend-cuda (loaded by `load`); never throws. */
export async function cudaEnv(
  load: () => Promise<typeof import("@deberta/backend-cuda")> = () => import("@deberta/backend-cuda"),
): Promise<Record<string, unknown>> {
  let cuda: typeof import("@deberta/backend-cuda");
  try {
    cuda = await load();
  } catch (error) {
    return {
      available: false,
      reason: `not installed: @deberta/backend-cuda could not be loaded (${(error as Error).message}); npm install @deberta/backend-cuda`,
    };
  }
  const probe = await cuda.probeCuda();
  const release = await readFile("/proc/driver/nvidia/version", "utf8").then(driverRelease, () => undefined);
  return describeCudaProbe(probe, cuda.formatDriverVersion, release);
}
