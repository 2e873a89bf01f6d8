// softmax over the last axis of where(mask ≠ 0, x, lowest), one command (native/masked_softmax.cc): the
// mask, float or int, is read through broadcast strides, never expanded.
import { broadcastShapes, type TensorHandle } from "@deberta/tensor";
import { asCpu, type CpuTensor } from "../../cpu-tensor.js";
import { output } from "../../kernels/context.js";
import { sameShape } from "../../strides.js";
import { MAX_NATIVE_RANK, NativeProgram, OPCODES } from "../program.js";
import { broadcastStrides, input, type NativeOpContext } from "./context.js";

export function maskedSoftmaxNative(
  ctx: NativeOpContext,
  inputs: { x: TensorHandle; mask?: TensorHandle },
): CpuTensor | undefined {
  const op = "maskedSoftmax";
  const x = asCpu(inputs.x, op);
  const mask = inputs.mask === undefined ? undefined : asCpu(inputs.mask, op);
  const rank = x.shape.length;
  const n = x.shape[rank - 1];
  const data = input(ctx, x);
  // Scalars, empty rows and ranks past the native limit: the JavaScript kernel.
  if (!(data instanceof Float32Array) || n === undefined || n === 0 || rank > MAX_NATIVE_RANK)
    return undefined;
  if (mask !== undefined && !sameShape(broadcastShapes(op, x.shape, mask.shape), x.shape)) return undefined;
  const out = output(ctx.cpu, "float32", x.shape);
  const p = ctx.executor.program();
  const maskIndex = p.buffer(mask === undefined ? null : input(ctx, mask));
  const strides = mask === undefined ? [] : broadcastStrides(mask.shape, x.shape);
  const args = [
    p.buffer(data),
    p.buffer(out.f32),
    data.length / n,
    n,
    maskIndex,
    ...NativeProgram.strided(x.shape, [{ offset: 0, strides }]),
  ];
  p.emit(op, OPCODES.maskedSoftmax, args, [out.f32]);
  ctx.executor.wrote(out.f32);
  return out;
}
