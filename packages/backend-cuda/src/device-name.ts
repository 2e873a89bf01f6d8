// Device names of the CUDA backend: "cuda" (device 0), "cuda:N", and a plain number N as transformers'
// `device=0` (a number, or a string of digits as `--device 0` gives).
import { BackendError } from "@deberta/tensor";

/** The device ordinal `device` names, or undefined when it is not a CUDA device name. */
export function cudaOrdinal(device: string | number): number | undefined {
  if (typeof device === "number") return Number.isInteger(device) && device >= 0 ? device : undefined;
  const d = device.trim();
  if (d === "cuda") return 0;
  const m = /^(?:cuda:)?(\d+)$/.exec(d);
  if (m === null) return undefined;
  const n = Number(m[1]);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** The registry name of device `device` ("cuda" for 0, else "cuda:N"); throws a typed error when it is not one. */
export function cudaDeviceName(device: string | number): string {
  const ordinal = cudaOrdinal(device);
  if (ordinal === undefined) {
    throw new BackendError(
      "BACKEND_NOT_FOUND",
      `device: ${JSON.stringify(device)} is not a CUDA device (expected "cuda", "cuda:N" or a device number N >= 0)`,
    );
  }
  return ordinal === 0 ? "cuda" : `cuda:${ordinal}`;
}
