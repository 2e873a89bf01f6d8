// What this machine offers the CUDA backend, for `deberta env` and for createCudaBackend's errors: the
// addon, the driver (libcuda.so.1) and its version, the GPUs, and cuBLASLt — or why not, at each step.
import { type CudaAddon, type DeviceProbe, loadCudaAddon } from "./native/addon.js";
import { BLASLT_INSTALL_HINT, blasLtCandidates, driverCandidates, sitePackages } from "./search-paths.js";

/** CUDA 13's PTX (ISA 9.0), which the kernels are shipped as, needs a driver for CUDA >= 13.0. */
export const MIN_DRIVER_VERSION = 13000;

export interface CudaDeviceInfo {
  ordinal: number;
  name: string;
  computeCapability: string;
  totalMemory: number;
  multiprocessors: number;
}

export interface CudaProbe {
  /** Whether a backend can be created (driver, a GPU, a recent enough driver). */
  available: boolean;
  /** Why not, in one sentence, when `available` is false. */
  reason?: string;
  addonPath?: string;
  driverPath?: string;
  /** cuDriverGetVersion: 1000 × major + 10 × minor (13000 is CUDA 13.0). */
  driverVersion?: number;
  devices: CudaDeviceInfo[];
  blasLt: { path: string; version: number } | { reason: string };
}

/** "13.0" from 13000. */
export function formatDriverVersion(v: number): string {
  return `${Math.floor(v / 1000)}.${Math.floor((v % 1000) / 10)}`;
}

/** The reason a probe's failure gives, in words a user can act on. */
export function driverFailureReason(stage: string, code: number, reason: string): string {
  if (stage === "dlopen")
    return `no NVIDIA driver: libcuda.so.1 not found or not loadable (${reason}); install the NVIDIA driver`;
  if (code === 100) return "no GPU: the NVIDIA driver reports no CUDA device (CUDA_ERROR_NO_DEVICE)";
  if (code === 35) return `the NVIDIA driver is older than the CUDA runtime expects (${reason})`;
  if (code === 34) return `libcuda.so.1 is the CUDA toolkit's stub library, not a driver (${reason})`;
  return `the NVIDIA driver failed at ${stage}: ${reason}`;
}

let cachedBlasLt: Promise<{ path: string; version: number } | { reason: string }> | undefined;

/** Loads cuBLASLt into the addon once per process (searching the folders of search-paths.ts). */
export function loadBlasLt(
  addon: CudaAddon,
): Promise<{ path: string; version: number } | { reason: string }> {
  cachedBlasLt ??= (async () => {
    const { existsSync } = await import("node:fs");
    const candidates = blasLtCandidates({ sitePackages: await sitePackages(), exists: existsSync });
    const r = addon.loadBlasLt(candidates);
    if (r.ok) return { path: r.path, version: r.version };
    return {
      reason: `cuBLASLt not found (tried ${candidates.join(", ")}: ${r.reason}); ${BLASLT_INSTALL_HINT}`,
    };
  })();
  return cachedBlasLt;
}

/** Probes the addon, driver, GPUs and cuBLASLt; never throws. */
export async function probeCuda(): Promise<CudaProbe> {
  const loaded = await loadCudaAddon();
  if (loaded.addon === undefined)
    return {
      available: false,
      reason: loaded.reason,
      devices: [],
      blasLt: { reason: "the addon is not loaded" },
    };
  const addon = loaded.addon;
  const r = addon.probe(driverCandidates());
  if (!r.ok) {
    return {
      available: false,
      reason: driverFailureReason(r.stage, r.code, r.reason),
      addonPath: loaded.path,
      devices: [],
      blasLt: { reason: "not searched: no usable driver" },
    };
  }
  const devices = r.devices.map((d: DeviceProbe, ordinal) => ({
    ordinal,
    name: d.name,
    computeCapability: `${d.major}.${d.minor}`,
    totalMemory: d.totalMemory,
    multiprocessors: d.multiprocessors,
  }));
  const blasLt = await loadBlasLt(addon);
  let reason: string | undefined;
  if (devices.length === 0) reason = "no GPU: the NVIDIA driver reports no CUDA device";
  else if (r.driverVersion < MIN_DRIVER_VERSION)
    reason = `the NVIDIA driver supports CUDA ${formatDriverVersion(r.driverVersion)}; the kernels (CUDA 13 PTX) need a driver for CUDA >= 13.0 (R580 or newer)`;
  else if (devices.every((d) => Number(d.computeCapability.split(".")[0]) < 8))
    reason = `no GPU of compute capability >= 8.0 (found ${devices.map((d) => `${d.name} ${d.computeCapability}`).join(", ")})`;
  return {
    available: reason === undefined,
    ...(reason === undefined ? {} : { reason }),
    addonPath: loaded.path,
    driverPath: r.driverPath,
    driverVersion: r.driverVersion,
    devices,
    blasLt,
  };
}
