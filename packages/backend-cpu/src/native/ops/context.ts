// What the native engine's ops (one per file here) get: the backend's kernel context (outputs come from its
// pool: programs run in the order ops were recorded, so an array freed by an earlier op is safe to reuse),
// the executor that records and runs programs, and the engine.
import type { CpuTensor } from "../../cpu-tensor.js";
import type { CpuContext } from "../../kernels/context.js";
import type { NativeExecutor } from "../executor.js";
import type { NativeGemm } from "../native-gemm.js";
import type { NativeArray } from "../program.js";

export interface NativeOpContext {
  cpu: CpuContext;
  executor: NativeExecutor;
  gemm: NativeGemm;
}

/** A tensor's array as a program input (an array whose program failed is refused: it holds no result). */
export function input(ctx: NativeOpContext, t: CpuTensor): NativeArray {
  const data = t.data;
  ctx.executor.checkFailed(data);
  return data;
}

/** A tensor's array to read now, on the JavaScript thread: what is recorded runs first when it is pending. */
export function hostRead(ctx: NativeOpContext, t: CpuTensor): NativeArray {
  const data = input(ctx, t);
  if (ctx.executor.isPending(data)) ctx.executor.settle();
  return data;
}

/** Element strides of `shape` broadcast to `outShape` (0 along repeated axes), numpy's rules. */
export function broadcastStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const strides = new Array<number>(outShape.length).fill(0);
  let step = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const axis = outShape.length - shape.length + i;
    strides[axis] = shape[i] === 1 ? 0 : step;
    step *= shape[i]!;
  }
  return strides;
}
