import { BackendError } from "@deberta/tensor";
import type { CudaTensor } from "../cuda-tensor.js";

/**
 * Rejects an index outside [lo, limit) when the indices came from the host (their copy is kept); indices
 * computed on the GPU cannot be checked without a read-back, and the kernels clamp them instead.
 */
export function checkIndices(
  op: string,
  indices: CudaTensor,
  limit: number,
  shapes: readonly (readonly number[])[],
  allowNegative = false,
): void {
  if (indices.dtype !== "int32" && indices.dtype !== "int64") {
    throw new BackendError("BACKEND_DTYPE", `${op}: indices must be int32 or int64, got ${indices.dtype}`, {
      op,
    });
  }
  const host = indices.host;
  if (host === undefined) return;
  const lo = allowNegative ? -limit : 0;
  for (let p = 0; p < host.length; p++) {
    const v = host[p]!;
    if (v < lo || v >= limit) {
      throw new BackendError(
        "BACKEND_SHAPE",
        `${op}: index ${v} at position ${p} is outside [${lo}, ${limit})`,
        {
          op,
          shapes,
        },
      );
    }
  }
}

/** Throws unless the tensor is a float (the backend's storage type). */
export function requireFloat(op: string, t: CudaTensor, what: string): void {
  if (!t.isFloat)
    throw new BackendError("BACKEND_DTYPE", `${op}: ${what} must be a float tensor, got ${t.dtype}`, {
      op,
      shapes: [t.shape],
    });
}
