// out = x[starts:ends] on the listed axes (all axes when none are listed), half-open ranges.
import { shapeError, type TensorHandle } from "@deberta/tensor";
import { asCpu, type CpuTensor } from "../cpu-tensor.js";
import { sizeOf, stridesOf } from "../strides.js";
import { type CpuContext, output } from "./context.js";

export type SliceAttrs = { starts: readonly number[]; ends: readonly number[]; axes?: readonly number[] };

/** The first index kept on every axis and the output shape (shared with the native engine's op). */
export function sliceRange(x: CpuTensor, attrs: SliceAttrs): { lo: number[]; shape: number[] } {
  const axes = attrs.axes ?? attrs.starts.map((_, i) => i);
  const lo = x.shape.map(() => 0);
  const hi = [...x.shape];
  axes.forEach((axis, i) => {
    const start = attrs.starts[i]!;
    const end = attrs.ends[i]!;
    if (axis < 0 || axis >= x.shape.length || start < 0 || end > x.shape[axis]! || start > end) {
      throw shapeError("slice", `range [${start}, ${end}) on axis ${axis} is out of bounds`, [x.shape]);
    }
    lo[axis] = start;
    hi[axis] = end;
  });
  return { lo, shape: hi.map((h, i) => h - lo[i]!) };
}

export function slice(ctx: CpuContext, inputs: { x: TensorHandle }, attrs: SliceAttrs) {
  const x = asCpu(inputs.x, "slice");
  const { lo, shape } = sliceRange(x, attrs);
  const out = output(ctx, x.dtype, shape);
  const strides = stridesOf(x.shape);
  const rank = shape.length;
  // Copy contiguous runs of the last axis.
  const run = shape[rank - 1] ?? 1;
  const rows = sizeOf(shape.slice(0, -1));
  const X = x.data;
  const O = out.data;
  const idx = new Array<number>(Math.max(rank - 1, 0)).fill(0);
  for (let r = 0; r < rows; r++) {
    let off = rank > 0 ? lo[rank - 1]! : 0;
    for (let a = 0; a < rank - 1; a++) off += (idx[a]! + lo[a]!) * strides[a]!;
    O.set(X.subarray(off, off + run), r * run);
    for (let a = rank - 2; a >= 0; a--) {
      idx[a]!++;
      if (idx[a]! < shape[a]!) break;
      idx[a] = 0;
    }
  }
  return out;
}
