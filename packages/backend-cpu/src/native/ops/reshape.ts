// reshape: the same elements under a new shape, one contiguous copy (outputs never share arrays).
import type { TensorHandle } from "@deberta/tensor";
import { asCpu, type CpuTensor } from "../../cpu-tensor.js";
import { reshapeTarget } from "../../kernels/reshape.js";
import { sizeOf } from "../../strides.js";
import type { NativeOpContext } from "./context.js";
import { stridedCopy } from "./copy.js";

export function reshapeNative(
  ctx: NativeOpContext,
  inputs: { x: TensorHandle },
  attrs: { shape: readonly number[] },
): CpuTensor | undefined {
  const x = asCpu(inputs.x, "reshape");
  const shape = reshapeTarget(x, attrs.shape);
  return stridedCopy(ctx, "reshape", x, [sizeOf(shape)], 0, [1], shape);
}
