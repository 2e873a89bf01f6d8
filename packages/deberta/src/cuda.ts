// The CUDA backend as the umbrella registers it: "cuda" (device 0) and "cuda:0" .. "cuda:7", each loading
// @deberta/backend-cuda only when asked for (a dynamic import: browser bundles and machines without it never
// load it). Where it cannot be created, the typed error says why: the package is not installed, or the
// backend's own reason (no NVIDIA driver, no GPU, driver too old, cuBLASLt missing, ...).
import { type Backend, BackendError, type BackendFactory, backendRegistry } from "@deberta/tensor";

/** The part of @deberta/backend-cuda the umbrella uses. */
export interface CudaModule {
  createCudaBackend(options: { device: number }): Promise<Backend>;
}

/** How @deberta/backend-cuda is loaded (replaceable for tests). */
export type CudaModuleLoader = () => Promise<CudaModule>;

const loadCudaModule: CudaModuleLoader = () => import("@deberta/backend-cuda");

/** Device ordinals registered as "cuda:N" (and 0 as "cuda"), as `registerCudaBackend` does. */
export const CUDA_DEVICES = [0, 1, 2, 3, 4, 5, 6, 7] as const;

/**
 * The factory of CUDA device `device`: imports @deberta/backend-cuda, then creates the backend. A missing
 * package is BackendError BACKEND_UNAVAILABLE "package not installed ..." naming what to install; the
 * backend's own errors keep their code and reason (without its "cuda: " prefix, which the registry's
 * `Could not create backend "cuda": ...` already says).
 */
export function cudaBackendFactory(device: number, load: CudaModuleLoader = loadCudaModule): BackendFactory {
  return async () => {
    let cuda: CudaModule;
    try {
      cuda = await load();
    } catch (error) {
      throw new BackendError(
        "BACKEND_UNAVAILABLE",
        `package not installed: @deberta/backend-cuda could not be loaded (${error instanceof Error ? error.message : String(error)}); npm install @deberta/backend-cuda`,
        { cause: error },
      );
    }
    try {
      return await cuda.createCudaBackend({ device });
    } catch (error) {
      // The registry prefixes the backend's name; drop the backend's own "cuda: " so it is not said twice.
      if (error instanceof BackendError && error.message.startsWith("cuda: "))
        throw new BackendError(error.code, error.message.slice("cuda: ".length), { cause: error });
      throw error;
    }
  };
}

/**
 * Registers "cuda" (device 0, priority 30) and "cuda:N" for N in `CUDA_DEVICES` (priority 29), each unless
 * something of that name is registered already. The default device stays "cpu": CUDA is used when asked for
 * (`device: 0`, `"cuda"`, `"cuda:1"`, `--device 0`).
 */
export function registerCudaDefault(load: CudaModuleLoader = loadCudaModule): void {
  const names = backendRegistry.names();
  if (!names.includes("cuda")) backendRegistry.register("cuda", cudaBackendFactory(0, load), 30);
  for (const n of CUDA_DEVICES) {
    const name = `cuda:${n}`;
    if (!names.includes(name)) backendRegistry.register(name, cudaBackendFactory(n, load), 29);
  }
}
