// out[..., :] = table[indices[...], :] — embedding lookup; an index outside [0, rows) is an error.
import { BackendError, shapeError, type TensorHandle } from "@deberta/tensor";
import { asCpu, type CpuTensor } from "../cpu-tensor.js";
import { type CpuContext, output } from "./context.js";

/**
 * The table and indices of gather, checked, every index included (shared with the native engine's op, which
 * must never be given an index outside the table).
 */
export function gatherOperands(inputs: { table: TensorHandle; indices: TensorHandle }): {
  table: CpuTensor;
  indices: CpuTensor;
  rows: number;
  width: number;
} {
  const table = asCpu(inputs.table, "gather");
  const indices = asCpu(inputs.indices, "gather");
  if (table.shape.length !== 2)
    throw shapeError("gather", "table must be 2-D [rows, width]", [table.shape, indices.shape]);
  if (indices.dtype !== "int32" && indices.dtype !== "int64") {
    throw new BackendError("BACKEND_DTYPE", `gather: indices must be int32 or int64, got ${indices.dtype}`, {
      op: "gather",
    });
  }
  const [rows, width] = table.shape as [number, number];
  const I = indices.data;
  for (let p = 0; p < I.length; p++) {
    const row = I[p]!;
    if (row < 0 || row >= rows) {
      throw new BackendError(
        "BACKEND_SHAPE",
        `gather: index ${row} at position ${p} is outside [0, ${rows})`,
        {
          op: "gather",
          shapes: [table.shape, indices.shape],
        },
      );
    }
  }
  return { table, indices, rows, width };
}

export function gather(ctx: CpuContext, inputs: { table: TensorHandle; indices: TensorHandle }) {
  const { table, indices, width } = gatherOperands(inputs);
  const out = output(ctx, "float32", [...indices.shape, width]);
  const T = table.f32;
  const I = indices.data;
  const O = out.f32;
  for (let p = 0; p < I.length; p++) O.set(T.subarray(I[p]! * width, (I[p]! + 1) * width), p * width);
  return out;
}
