import type { DType } from "@deberta/tensor";
import { CpuTensor } from "../cpu-tensor.js";
import type { Gemm } from "../gemm.js";
import { sizeOf } from "../strides.js";
import type { GemmEngine } from "../wasm/gemm.js";

/** What every kernel gets: the GEMM in use and a way to create outputs that the backend accounts for. */
export interface CpuContext {
  gemm: Gemm;
  /** Optional GEMM on a weight prepared by `prepareLinearWeight` (packed once); undefined when absent. */
  packedLinear?: (x: Float32Array, rows: number, weight: CpuTensor, out: Float32Array) => boolean;
  /** The WebAssembly engine behind `gemm`, when that is what it is (kernels may then work in its heap). */
  engine?: GemmEngine;
  track(t: CpuTensor): CpuTensor;
}

export function output(ctx: CpuContext, dtype: DType, shape: readonly number[]): CpuTensor {
  const n = sizeOf(shape);
  const data = dtype === "float32" || dtype === "float16" ? new Float32Array(n) : new Int32Array(n);
  return ctx.track(new CpuTensor(dtype === "float16" ? "float32" : dtype, [...shape], data));
}

export function fromData(
  ctx: CpuContext,
  dtype: DType,
  shape: readonly number[],
  data: Float32Array | Int32Array,
): CpuTensor {
  return ctx.track(new CpuTensor(dtype, [...shape], data));
}
