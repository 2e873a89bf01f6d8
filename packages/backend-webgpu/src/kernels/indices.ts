import { BackendError } from "@deberta/tensor";
import type { GpuTensor } from "../gpu-tensor.js";

/**
 * Rejects an index outside [0, limit) when the indices came from the host (their copy is kept); indices
 * computed on the GPU cannot be checked without a read-back, and the kernels clamp them instead.
 */
export function checkIndices(
  op: string,
  indices: GpuTensor,
  limit: number,
  shapes: readonly (readonly number[])[],
) {
  if (indices.dtype !== "int32" && indices.dtype !== "int64") {
    throw new BackendError("BACKEND_DTYPE", `${op}: indices must be int32 or int64, got ${indices.dtype}`, {
      op,
    });
  }
  const host = indices.host;
  if (host === undefined) return;
  for (let p = 0; p < host.length; p++) {
    const v = host[p]!;
    if (v < 0 || v >= limit) {
      throw new BackendError("BACKEND_SHAPE", `${op}: index ${v} at position ${p} is outside [0, ${limit})`, {
        op,
        shapes,
      });
    }
  }
}
