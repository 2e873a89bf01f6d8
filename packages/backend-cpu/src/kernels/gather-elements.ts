// out[..i..] = x[..indices[..i..] on `axis`..] (numpy take_along_axis); indices has the output's shape.
import { BackendError, shapeError, type TensorHandle } from "@deberta/tensor";
import { asCpu } from "../cpu-tensor.js";
import { sizeOf } from "../strides.js";
import { type CpuContext, output } from "./context.js";

export function gatherElements(
  ctx: CpuContext,
  inputs: { x: TensorHandle; indices: TensorHandle },
  attrs: { axis: number },
) {
  const x = asCpu(inputs.x, "gatherElements");
  const indices = asCpu(inputs.indices, "gatherElements");
  const rank = x.shape.length;
  const axis = attrs.axis < 0 ? attrs.axis + rank : attrs.axis;
  if (indices.shape.length !== rank || indices.shape.some((d, i) => i !== axis && d !== x.shape[i])) {
    throw shapeError("gatherElements", `indices must match x on every axis but ${axis}`, [
      x.shape,
      indices.shape,
    ]);
  }
  const out = output(ctx, x.dtype, indices.shape);
  const outer = sizeOf(indices.shape.slice(0, axis));
  const m = indices.shape[axis]!;
  const n = x.shape[axis]!;
  const inner = sizeOf(indices.shape.slice(axis + 1));
  const X = x.data;
  const I = indices.data;
  const O = out.data;
  for (let o = 0; o < outer; o++) {
    for (let t = 0; t < m; t++) {
      for (let i = 0; i < inner; i++) {
        const p = (o * m + t) * inner + i;
        const at = I[p]!;
        if (at < 0 || at >= n) {
          throw new BackendError("BACKEND_SHAPE", `gatherElements: index ${at} is outside [0, ${n})`, {
            op: "gatherElements",
            shapes: [x.shape, indices.shape],
          });
        }
        O[p] = X[(o * n + at) * inner + i]!;
      }
    }
  }
  return out;
}
