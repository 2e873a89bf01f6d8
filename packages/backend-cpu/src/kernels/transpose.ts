// out[idx] = x[idx permuted back]: out.shape[d] = x.shape[perm[d]].
import { shapeError, type TensorHandle } from "@deberta/tensor";
import { asCpu, type CpuTensor } from "../cpu-tensor.js";
import { stridesOf } from "../strides.js";
import { type CpuContext, output } from "./context.js";

/** The output shape and, per output axis, the input's element stride (shared with the native engine's op). */
export function transposePlan(x: CpuTensor, perm: readonly number[]): { shape: number[]; step: number[] } {
  const rank = x.shape.length;
  if (perm.length !== rank || [...perm].sort((p, q) => p - q).some((p, i) => p !== i)) {
    throw shapeError("transpose", `perm [${perm.join(", ")}] is not a permutation of ${rank} axes`, [
      x.shape,
    ]);
  }
  const inStrides = stridesOf(x.shape);
  return { shape: perm.map((p) => x.shape[p]!), step: perm.map((p) => inStrides[p]!) };
}

export function transpose(ctx: CpuContext, inputs: { x: TensorHandle }, attrs: { perm: readonly number[] }) {
  const x = asCpu(inputs.x, "transpose");
  const rank = x.shape.length;
  const { shape, step } = transposePlan(x, attrs.perm);
  const out = output(ctx, x.dtype, shape);
  const X = x.data;
  const O = out.data;
  const idx = new Array<number>(rank).fill(0);
  let off = 0;
  for (let p = 0; p < O.length; p++) {
    O[p] = X[off]!;
    for (let a = rank - 1; a >= 0; a--) {
      idx[a]!++;
      off += step[a]!;
      if (idx[a]! < shape[a]!) break;
      off -= step[a]! * shape[a]!;
      idx[a] = 0;
    }
  }
  return out;
}
