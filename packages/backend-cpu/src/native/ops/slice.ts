// slice: a strided copy from the first kept element, through the input's own strides.
import type { TensorHandle } from "@deberta/tensor";
import { asCpu, type CpuTensor } from "../../cpu-tensor.js";
import { type SliceAttrs, sliceRange } from "../../kernels/slice.js";
import { stridesOf } from "../../strides.js";
import type { NativeOpContext } from "./context.js";
import { stridedCopy } from "./copy.js";

export function sliceNative(
  ctx: NativeOpContext,
  inputs: { x: TensorHandle },
  attrs: SliceAttrs,
): CpuTensor | undefined {
  const x = asCpu(inputs.x, "slice");
  const { lo, shape } = sliceRange(x, attrs);
  const strides = stridesOf(x.shape);
  const offset = lo.reduce((sum, l, axis) => sum + l * strides[axis]!, 0);
  return stridedCopy(ctx, "slice", x, shape, offset, strides);
}
