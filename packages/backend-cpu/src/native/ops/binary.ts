// out = a ∘ b with numpy broadcasting, one command (native/binary.cc); both operands read through broadcast
// strides, never expanded. Integer operands and ranks past the native limit: the JavaScript kernel.
import { type BinaryOp, broadcastShapes, type TensorHandle } from "@deberta/tensor";
import { asCpu, type CpuTensor } from "../../cpu-tensor.js";
import { output } from "../../kernels/context.js";
import { MAX_NATIVE_RANK, NativeProgram, OPCODES } from "../program.js";
import { broadcastStrides, input, type NativeOpContext } from "./context.js";

/** native/engine.h, BinaryOp. */
const BINARY_OPS: Record<BinaryOp, number> = { add: 0, sub: 1, mul: 2, div: 3, max: 4, min: 5 };

export function binaryNative(
  ctx: NativeOpContext,
  inputs: { a: TensorHandle; b: TensorHandle },
  attrs: { op: BinaryOp },
): CpuTensor | undefined {
  const name = `binary ${attrs.op}`;
  const a = asCpu(inputs.a, name);
  const b = asCpu(inputs.b, name);
  const shape = broadcastShapes(name, a.shape, b.shape);
  const A = input(ctx, a);
  const B = input(ctx, b);
  if (!(A instanceof Float32Array) || !(B instanceof Float32Array) || shape.length > MAX_NATIVE_RANK)
    return undefined;
  const dims = shape.length === 0 ? [1] : shape;
  const out = output(ctx.cpu, "float32", shape);
  const p = ctx.executor.program();
  const args = [
    BINARY_OPS[attrs.op],
    p.buffer(A),
    p.buffer(B),
    p.buffer(out.f32),
    ...NativeProgram.strided(dims, [
      { offset: 0, strides: broadcastStrides(a.shape, dims) },
      { offset: 0, strides: broadcastStrides(b.shape, dims) },
    ]),
  ];
  p.emit(name, OPCODES.binary, args, [out.f32]);
  ctx.executor.wrote(out.f32);
  return out;
}
