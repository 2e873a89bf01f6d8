// out = x · scale + shift, one command (native/affine.cc, in double as the JavaScript kernel).
import type { TensorHandle } from "@deberta/tensor";
import { asCpu, type CpuTensor } from "../../cpu-tensor.js";
import { output } from "../../kernels/context.js";
import { OPCODES } from "../program.js";
import { input, type NativeOpContext } from "./context.js";

export function affineNative(
  ctx: NativeOpContext,
  inputs: { x: TensorHandle },
  attrs: { scale: number; shift: number },
): CpuTensor | undefined {
  const x = asCpu(inputs.x, "affine");
  const data = input(ctx, x);
  if (!(data instanceof Float32Array) || !Number.isFinite(attrs.scale) || !Number.isFinite(attrs.shift))
    return undefined;
  const out = output(ctx.cpu, "float32", x.shape);
  const p = ctx.executor.program();
  const args = [p.buffer(data), p.buffer(out.f32), data.length, attrs.scale, attrs.shift];
  p.emit("affine", OPCODES.affine, args, [out.f32]);
  ctx.executor.wrote(out.f32);
  return out;
}
