// The strided copy behind transpose, slice and reshape (native/strided_copy.cc): out, contiguous, of
// `shape`, read from x at `offset` through `strides`; the output tensor gets `outShape` (reshape: the copy
// is flat, the tensor is not). float32 and int32 alike (4-byte elements).
import type { CpuTensor } from "../../cpu-tensor.js";
import { output } from "../../kernels/context.js";
import { MAX_NATIVE_RANK, NativeProgram, OPCODES } from "../program.js";
import { input, type NativeOpContext } from "./context.js";

export function stridedCopy(
  ctx: NativeOpContext,
  op: string,
  x: CpuTensor,
  shape: readonly number[],
  offset: number,
  strides: readonly number[],
  outShape: readonly number[] = shape,
): CpuTensor | undefined {
  if (shape.length > MAX_NATIVE_RANK) return undefined;
  const data = input(ctx, x);
  const out = output(ctx.cpu, x.dtype, outShape);
  const dims = shape.length === 0 ? [1] : shape;
  const p = ctx.executor.program();
  const args = [
    p.buffer(data),
    p.buffer(out.data),
    ...NativeProgram.strided(dims, [{ offset, strides: shape.length === 0 ? [1] : strides }]),
  ];
  p.emit(op, OPCODES.copy, args, [out.data]);
  ctx.executor.wrote(out.data);
  return out;
}
