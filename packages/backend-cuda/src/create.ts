import { BackendError, registerBackend } from "@deberta/tensor";
import {
  CUDA_DTYPES,
  type CudaAttention,
  CudaBackend,
  type CudaDtype,
  type CudaGemm,
  resolveAttention,
} from "./cuda-backend.js";
import { cudaDeviceName } from "./device-name.js";
import { loadCudaAddon } from "./native/addon.js";
import { driverFailureReason, formatDriverVersion, loadBlasLt, MIN_DRIVER_VERSION } from "./probe.js";
import { driverCandidates } from "./search-paths.js";

export interface CreateCudaBackendOptions {
  /** The GPU: 0 (default), "cuda", "cuda:N" or N. */
  device?: string | number;
  /**
   * "cublaslt" (default): `linear` through cuBLASLt (full float32, TF32 off), which must be found;
   * "kernel": the package's own GEMM kernel (no cuBLAS needed).
   */
  gemm?: CudaGemm;
  /**
   * Storage of float tensors (weights and activations): "float32" (default), "float16" or "bfloat16" (half
   * storage, float32 accumulation in every kernel and GEMM: cuBLASLt with CUBLAS_COMPUTE_32F). Uploads
   * convert float32 on the GPU; downloads return float32.
   */
  dtype?: CudaDtype;
  /** float32 only: let cuBLASLt use TF32 tensor cores (CUBLAS_COMPUTE_32F_FAST_TF32). Default false. */
  allowTf32?: boolean;
  /**
   * The attention kernel of float16 / bfloat16 storage: "tiled" (default: CUDA cores, float32 maths) or
   * "mma" (tensor cores: mma.sync with float32 accumulators; probabilities and head sizes other than 32 / 64
   * / 128 still run "tiled"). Default: the environment's DEBERTA_CUDA_ATTENTION, else "tiled".
   */
  attention?: CudaAttention;
  /** Load (JIT-compile) every kernel at creation instead of at first use (default true). */
  warmUp?: boolean;
}

const unavailable = (why: string) => new BackendError("BACKEND_UNAVAILABLE", `cuda: ${why}`);

/**
 * Creates the CUDA backend on one GPU. Rejects with BackendError "BACKEND_UNAVAILABLE" saying why when it
 * cannot: the addon was not built, no NVIDIA driver (libcuda.so.1 not found), no GPU, a driver too old for
 * the kernels' PTX, no such device, or cuBLASLt missing (with what to install).
 *
 * @example
 * ```ts
 * const backend = await createCudaBackend({ device: 0 });
 * const model = await DebertaForSequenceClassification.from_pretrained(dir, { backend });
 * ```
 */
export async function createCudaBackend(options: CreateCudaBackendOptions = {}): Promise<CudaBackend> {
  const name = cudaDeviceName(options.device ?? 0);
  const ordinal = name === "cuda" ? 0 : Number(name.slice(5));
  const gemm = options.gemm ?? "cublaslt";
  if (gemm !== "cublaslt" && gemm !== "kernel")
    throw new BackendError(
      "BACKEND_UNAVAILABLE",
      `cuda: gemm must be "cublaslt" or "kernel", got ${JSON.stringify(gemm)}`,
    );
  const dtype = options.dtype ?? "float32";
  if (!Object.hasOwn(CUDA_DTYPES, dtype))
    throw new BackendError(
      "BACKEND_DTYPE",
      `cuda: dtype must be "float32", "float16" or "bfloat16", got ${JSON.stringify(dtype)}`,
    );
  if (options.allowTf32 === true && dtype !== "float32")
    throw new BackendError("BACKEND_DTYPE", `cuda: allowTf32 applies to dtype "float32" only, not ${dtype}`);
  const attention = resolveAttention(options.attention);
  const loaded = await loadCudaAddon();
  if (loaded.addon === undefined) throw unavailable(loaded.reason);
  const addon = loaded.addon;
  const probe = addon.probe(driverCandidates());
  if (!probe.ok) throw unavailable(driverFailureReason(probe.stage, probe.code, probe.reason));
  if (probe.devices.length === 0) throw unavailable("no GPU: the NVIDIA driver reports no CUDA device");
  if (probe.driverVersion < MIN_DRIVER_VERSION)
    throw unavailable(
      `the NVIDIA driver supports CUDA ${formatDriverVersion(probe.driverVersion)}; the kernels (CUDA 13 PTX) need CUDA >= 13.0 (driver R580 or newer)`,
    );
  const device = probe.devices[ordinal];
  if (device === undefined)
    throw unavailable(
      `no device ${ordinal} (${probe.devices.length} CUDA device${probe.devices.length === 1 ? "" : "s"} found)`,
    );
  if (device.major < 8)
    throw unavailable(
      `${device.name} has compute capability ${device.major}.${device.minor}; the kernels need >= 8.0`,
    );
  if (gemm === "cublaslt") {
    const lt = await loadBlasLt(addon);
    if ("reason" in lt) throw unavailable(lt.reason);
  }
  const context = addon.createContext(ordinal);
  if (typeof context === "number")
    throw unavailable(`creating a context on ${device.name} failed: ${addon.describe(context)}`);
  const backend = new CudaBackend({
    addon,
    context,
    ordinal,
    name,
    gemm,
    deviceName: device.name,
    dtype,
    allowTf32: options.allowTf32 ?? false,
    attention,
  });
  if (options.warmUp ?? true) {
    try {
      backend.warmUp();
    } catch (error) {
      backend.close();
      throw error;
    }
  }
  return backend;
}

/**
 * Registers the CUDA backend under "cuda" (device 0) and "cuda:N" for every N in `devices` (explicitly:
 * importing this package registers nothing). Creating it fails with the reason where there is no GPU.
 */
export function registerCudaBackend(
  options: Omit<CreateCudaBackendOptions, "device"> & { devices?: readonly number[] } = {},
  priority = 30,
): void {
  const { devices = [0, 1, 2, 3, 4, 5, 6, 7], ...rest } = options;
  registerBackend("cuda", () => createCudaBackend({ ...rest, device: 0 }), priority);
  for (const n of devices)
    registerBackend(`cuda:${n}`, () => createCudaBackend({ ...rest, device: n }), priority - 1);
}
