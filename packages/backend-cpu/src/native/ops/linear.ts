// out = act(x · Wᵀ + b): one GEMM command, bias and activation in its epilogue (native/gemm_driver.cc); on
// the packed copy of W when prepareLinearWeight made one, else on W as it is (packed per call).
import type { Activation, TensorHandle } from "@deberta/tensor";
import type { CpuTensor } from "../../cpu-tensor.js";
import { output } from "../../kernels/context.js";
import { linearOperands } from "../../kernels/linear.js";
import { NATIVE_ACTIVATIONS, NativePackedLinear } from "../native-gemm.js";
import { OPCODES } from "../program.js";
import { input, type NativeOpContext } from "./context.js";

export function linearNative(
  ctx: NativeOpContext,
  inputs: { x: TensorHandle; weight: TensorHandle; bias?: TensorHandle },
  attrs: { activation?: Activation },
): CpuTensor {
  const { x, w, bias, rows, inFeatures, outFeatures } = linearOperands(inputs);
  const out = output(ctx.cpu, "float32", [...x.shape.slice(0, -1), outFeatures]);
  const act = NATIVE_ACTIVATIONS[attrs.activation ?? "linear"];
  const p = ctx.executor.program();
  const xi = p.buffer(input(ctx, x));
  const bi = p.buffer(bias === undefined ? null : input(ctx, bias));
  const oi = p.buffer(out.f32);
  if (w.packed instanceof NativePackedLinear) {
    const packed = p.packedWeight(w.packed.handleFor("linear"));
    p.emit("linear", OPCODES.linearPacked, [packed, xi, 0, oi, 0, rows, bi, act], [out.f32]);
  } else {
    const wi = p.buffer(input(ctx, w));
    p.emit("linear", OPCODES.linear, [xi, wi, oi, rows, outFeatures, inFeatures, bi, act], [out.f32]);
  }
  ctx.executor.wrote(out.f32);
  return out;
}
