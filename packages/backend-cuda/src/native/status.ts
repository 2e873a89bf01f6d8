// Status numbers from the addon (CUresult values and the addon's own STATUS_*) as typed errors.
import { BackendError, type BackendErrorCode } from "@deberta/tensor";
import {
  STATUS_BAD_COMMANDS,
  STATUS_BAD_TYPE,
  STATUS_BLASLT_BASE,
  STATUS_BLASLT_MISSING,
  STATUS_CLOSED,
  STATUS_NO_ALGORITHM,
  STATUS_NO_GRAPH,
  STATUS_NO_GRAPHS,
} from "./addon.js";

/** CUresults after which the context is unusable (sticky errors, a lost or reset device). */
export const STICKY_RESULTS: ReadonlySet<number> = new Set([
  46, // CUDA_ERROR_DEVICE_UNAVAILABLE
  214, // CUDA_ERROR_ECC_UNCORRECTABLE
  700, // CUDA_ERROR_ILLEGAL_ADDRESS
  714, // CUDA_ERROR_HARDWARE_STACK_ERROR
  715, // CUDA_ERROR_ILLEGAL_INSTRUCTION
  716, // CUDA_ERROR_MISALIGNED_ADDRESS
  717, // CUDA_ERROR_INVALID_ADDRESS_SPACE
  718, // CUDA_ERROR_INVALID_PC
  719, // CUDA_ERROR_LAUNCH_FAILED
  999, // CUDA_ERROR_UNKNOWN
]);

/** The error code a status number maps to. */
export function statusCode(status: number): BackendErrorCode {
  if (status === 2) return "BACKEND_OUT_OF_MEMORY";
  if (status === STATUS_CLOSED) return "BACKEND_DISPOSED";
  if (status === STATUS_BAD_TYPE) return "BACKEND_DTYPE";
  if (STICKY_RESULTS.has(status)) return "BACKEND_DEVICE_LOST";
  if (status === STATUS_BLASLT_BASE + 3) return "BACKEND_OUT_OF_MEMORY"; // CUBLAS_STATUS_ALLOC_FAILED
  return "BACKEND_UNAVAILABLE";
}

/** A readable description of a status number (`describe` is the addon's, for CUresults). */
export function statusText(status: number, describe: (code: number) => string): string {
  if (status === STATUS_BLASLT_MISSING) return "cuBLASLt is not loaded";
  if (status === STATUS_NO_ALGORITHM) return "cuBLASLt found no algorithm for this problem";
  if (status === STATUS_CLOSED) return "the backend was closed";
  if (status === STATUS_BAD_TYPE) return "cuBLASLt was given a data or compute type the addon does not use";
  if (status === STATUS_BAD_COMMANDS) return "the addon refused a malformed command list";
  if (status === STATUS_NO_GRAPHS) return "the driver lacks the CUDA graph entry points";
  if (status === STATUS_NO_GRAPH) return "no CUDA graph is stored under that id";
  if (status >= STATUS_BLASLT_BASE) return `cuBLASLt status ${status - STATUS_BLASLT_BASE}`;
  return describe(status);
}

/** The typed error for status `status` of `what` (an op or addon call), naming the op. */
export function statusError(
  name: string,
  op: string,
  what: string,
  status: number,
  describe: (code: number) => string,
  shapes?: readonly (readonly number[])[],
): BackendError {
  return new BackendError(
    statusCode(status),
    `${name} ${op}: ${what} failed: ${statusText(status, describe)}`,
    {
      op,
      ...(shapes === undefined ? {} : { shapes }),
    },
  );
}
