import { BackendError } from "./errors.js";
import type { OpAttrs, OpInputs, OpOutput, PrimitiveOpName, PrimitiveOps } from "./ops.js";

/** A backend's kernel for every primitive op, each typed by the op table and taking the backend's context. */
export type PrimitiveKernelTable<Context> = {
  [K in PrimitiveOpName]: (
    ctx: Context,
    inputs: OpInputs<PrimitiveOps, K>,
    attrs: OpAttrs<PrimitiveOps, K>,
  ) => OpOutput<PrimitiveOps, K>;
};

/**
 * int64 ids as int32, which every index the model uses fits (backends keep integers as int32 and restore
 * int64 on download); a value beyond ±2³¹ is a BACKEND_DTYPE error naming `backend`, the value and its index.
 */
export function int64ToInt32(data: BigInt64Array, backend: string): Int32Array {
  const out = new Int32Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v > 2147483647n || v < -2147483648n) {
      throw new BackendError(
        "BACKEND_DTYPE",
        `${backend}: int64 value ${v} at index ${i} does not fit the backend's int32 indices`,
      );
    }
    out[i] = Number(v);
  }
  return out;
}
