import type { Activation, DType } from "@deberta/tensor";
import { CpuTensor } from "../cpu-tensor.js";
import type { Gemm } from "../gemm.js";
import { sizeOf } from "../strides.js";
import type { GemmEngine } from "../wasm/gemm.js";

/** What every kernel gets: the GEMM in use and a way to create outputs that the backend accounts for. */
export interface CpuContext {
  gemm: Gemm;
  /** Optional GEMM on a weight prepared by `prepareLinearWeight` (packed once); undefined when absent. */
  packedLinear?: (
    x: Float32Array,
    rows: number,
    weight: CpuTensor,
    out: Float32Array,
    epilogue?: { bias?: Float32Array; activation?: Activation },
  ) => "none" | "product" | "fused";
  /** The WebAssembly engine behind `gemm`, when that is what it is (kernels may then work in its heap). */
  engine?: GemmEngine;
  track(t: CpuTensor): CpuTensor;
  /** A float32 array of `n` elements for an output, recycled from disposed outputs when one is free. */
  takeFloats(n: number): Float32Array;
}

/**
 * A new output tensor. Its contents are unspecified (recycled arrays are not cleared): every kernel writes
 * all of its output.
 */
export function output(ctx: CpuContext, dtype: DType, shape: readonly number[]): CpuTensor {
  const n = sizeOf(shape);
  const float = dtype === "float32" || dtype === "float16";
  const t = new CpuTensor(
    float ? "float32" : dtype,
    [...shape],
    float ? ctx.takeFloats(n) : new Int32Array(n),
  );
  t.recyclable = float;
  return ctx.track(t);
}

export function fromData(
  ctx: CpuContext,
  dtype: DType,
  shape: readonly number[],
  data: Float32Array | Int32Array,
): CpuTensor {
  return ctx.track(new CpuTensor(dtype, [...shape], data));
}
