// transpose: a strided copy through the permuted strides.
import type { TensorHandle } from "@deberta/tensor";
import { asCpu, type CpuTensor } from "../../cpu-tensor.js";
import { transposePlan } from "../../kernels/transpose.js";
import type { NativeOpContext } from "./context.js";
import { stridedCopy } from "./copy.js";

export function transposeNative(
  ctx: NativeOpContext,
  inputs: { x: TensorHandle },
  attrs: { perm: readonly number[] },
): CpuTensor | undefined {
  const x = asCpu(inputs.x, "transpose");
  const { shape, step } = transposePlan(x, attrs.perm);
  return stridedCopy(ctx, "transpose", x, shape, 0, step);
}
