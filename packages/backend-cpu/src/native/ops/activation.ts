// out = act(x) elementwise, one command: gelu (erf), gelu_new / gelu_pytorch_tanh and relu vectorised
// (native/vmath.inc), tanh and sigmoid in double (native/activation.cc).
import type { Activation, TensorHandle } from "@deberta/tensor";
import { asCpu, type CpuTensor } from "../../cpu-tensor.js";
import { output } from "../../kernels/context.js";
import { NATIVE_ACTIVATIONS } from "../native-gemm.js";
import { OPCODES } from "../program.js";
import { input, type NativeOpContext } from "./context.js";

export function activationNative(
  ctx: NativeOpContext,
  inputs: { x: TensorHandle },
  attrs: { fn: Activation },
): CpuTensor | undefined {
  const x = asCpu(inputs.x, `activation ${attrs.fn}`);
  const data = input(ctx, x);
  if (!(data instanceof Float32Array)) return undefined; // the JavaScript kernel names the dtype error
  const out = output(ctx.cpu, "float32", x.shape);
  const p = ctx.executor.program();
  const args = [p.buffer(data), p.buffer(out.f32), data.length, NATIVE_ACTIVATIONS[attrs.fn]];
  p.emit(`activation ${attrs.fn}`, OPCODES.activate, args, [out.f32]);
  ctx.executor.wrote(out.f32);
  return out;
}
