// out[idx] = x[idx permuted back]: out.shape[d] = x.shape[perm[d]].
import { shapeError, type TensorHandle } from "@deberta/tensor";
import { asCpu } from "../cpu-tensor.js";
import { stridesOf } from "../strides.js";
import { type CpuContext, output } from "./context.js";

export function transpose(ctx: CpuContext, inputs: { x: TensorHandle }, attrs: { perm: readonly number[] }) {
  const x = asCpu(inputs.x, "transpose");
  const rank = x.shape.length;
  const { perm } = attrs;
  if (perm.length !== rank || [...perm].sort((p, q) => p - q).some((p, i) => p !== i)) {
    throw shapeError("transpose", `perm [${perm.join(", ")}] is not a permutation of ${rank} axes`, [
      x.shape,
    ]);
  }
  const shape = perm.map((p) => x.shape[p]!);
  const out = output(ctx, x.dtype, shape);
  const inStrides = stridesOf(x.shape);
  const step = perm.map((p) => inStrides[p]!);
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
