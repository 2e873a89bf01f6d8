// Kernel parameters packed as the kernel's parameter list lays them out (natural alignment, in order),
// passed to cuLaunchKernel as one buffer (CU_LAUNCH_PARAM_BUFFER_POINTER).
import { BackendError } from "@deberta/tensor";

/** Rank of the Dims struct of kernels/common.cuh. */
export const MAX_RANK = 8;

export class Params {
  private readonly view: DataView;
  private offset = 0;
  readonly bytes: Uint8Array;

  constructor(capacity = 512) {
    this.bytes = new Uint8Array(capacity);
    this.view = new DataView(this.bytes.buffer);
  }

  private align(n: number): number {
    this.offset = Math.ceil(this.offset / n) * n;
    const at = this.offset;
    this.offset += n;
    if (this.offset > this.bytes.length) throw new Error("kernel parameters exceed the buffer");
    return at;
  }

  /** A device pointer (0 for null). */
  ptr(p: number): this {
    const at = this.align(8);
    this.view.setUint32(at, p % 2 ** 32, true);
    this.view.setUint32(at + 4, Math.floor(p / 2 ** 32), true);
    return this;
  }

  i32(v: number): this {
    this.view.setInt32(this.align(4), v, true);
    return this;
  }

  i64(v: number): this {
    this.view.setBigInt64(this.align(8), BigInt(v), true);
    return this;
  }

  f32(v: number): this {
    this.view.setFloat32(this.align(4), v, true);
    return this;
  }

  /** A Dims struct (MAX_RANK int32, unused entries 0). */
  dims(values: readonly number[]): this {
    if (values.length > MAX_RANK)
      throw new BackendError("BACKEND_SHAPE", `rank ${values.length} is above the CUDA kernels' ${MAX_RANK}`);
    for (let k = 0; k < MAX_RANK; k++) this.i32(values[k] ?? 0);
    return this;
  }

  /**
   * The packed bytes, exactly up to the end of the last parameter: the driver refuses a buffer padded past
   * the kernel's parameter list (on an H200 with driver 580, kernels whose parameters end at 28 bytes failed
   * with CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES when given 32).
   */
  finish(): Uint8Array {
    return this.bytes.subarray(0, this.offset);
  }
}

/** Row-major strides of `shape`. */
export function stridesOf(shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length);
  let s = 1;
  for (let k = shape.length - 1; k >= 0; k--) {
    out[k] = s;
    s *= shape[k]!;
  }
  return out;
}

/** x's strides read over `outShape` (right-aligned; 0 where x has size 1 or lacks the axis). */
export function broadcastStrides(x: readonly number[], outShape: readonly number[]): number[] {
  const strides = stridesOf(x);
  const rank = outShape.length;
  return outShape.map((_, k) => {
    const j = k - (rank - x.length);
    return j < 0 || x[j] === 1 ? 0 : strides[j]!;
  });
}
