import { BackendError, type DType, type TensorHandle } from "@deberta/tensor";

/**
 * A GPU buffer shared by the handles that view it (a reshape is a new handle on the same storage); it
 * returns to the backend's pool when the last of them is disposed.
 */
export class GpuStorage {
  refs = 1;
  constructor(
    readonly buffer: GPUBuffer,
    /** Bytes of data (the buffer may be larger: sizes are rounded for the pool). */
    readonly bytes: number,
  ) {}
}

/**
 * A tensor of the WebGPU backend. Floats are stored as the backend's compute type (f32, or f16 in the
 * fp16 mode, where `dtype` is "float16"); integers as i32 (int64 is range-checked at upload and restored
 * on download). Integer tensors uploaded from the host keep that host copy, so index ops can reject
 * out-of-range indices synchronously instead of reading garbage on the GPU.
 */
export class GpuTensor implements TensorHandle {
  private storage_: GpuStorage | undefined;

  constructor(
    readonly backend: string,
    readonly dtype: DType,
    readonly shape: readonly number[],
    storage: GpuStorage,
    readonly host?: Int32Array,
  ) {
    this.storage_ = storage;
  }

  get alive(): boolean {
    return this.storage_ !== undefined;
  }

  get storage(): GpuStorage {
    if (this.storage_ === undefined) {
      throw new BackendError(
        "BACKEND_DISPOSED",
        `${this.backend}: tensor [${this.shape.join(", ")}] was disposed and cannot be used`,
      );
    }
    return this.storage_;
  }

  get buffer(): GPUBuffer {
    return this.storage.buffer;
  }

  get size(): number {
    let n = 1;
    for (const d of this.shape) n *= d;
    return n;
  }

  get isFloat(): boolean {
    return this.dtype === "float32" || this.dtype === "float16";
  }

  /** Detaches the storage; returns it when this was its last handle. */
  release(): GpuStorage | undefined {
    const s = this.storage_;
    this.storage_ = undefined;
    if (s === undefined) return undefined;
    s.refs -= 1;
    return s.refs === 0 ? s : undefined;
  }
}

export function asGpu(handle: TensorHandle, backend: string, op: string): GpuTensor {
  if (!(handle instanceof GpuTensor) || handle.backend !== backend) {
    throw new BackendError(
      "BACKEND_DTYPE",
      `${op}: tensor [${handle.shape.join(", ")}] belongs to backend "${handle.backend}", not "${backend}"`,
      { op, shapes: [handle.shape] },
    );
  }
  if (!handle.alive) {
    throw new BackendError(
      "BACKEND_DISPOSED",
      `${op}: tensor [${handle.shape.join(", ")}] was disposed and cannot be used`,
      { op, shapes: [handle.shape] },
    );
  }
  return handle;
}
