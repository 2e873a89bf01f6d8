// LayerNorm over the last axis (+ residual), one command (native/layer_norm.cc: float partial sums
// accumulated in double, as the JavaScript kernel's float64 statistics).
import type { TensorHandle } from "@deberta/tensor";
import type { CpuTensor } from "../../cpu-tensor.js";
import { output } from "../../kernels/context.js";
import { layerNormOperands } from "../../kernels/layer-norm.js";
import { OPCODES } from "../program.js";
import { input, type NativeOpContext } from "./context.js";

export function layerNormNative(
  ctx: NativeOpContext,
  inputs: { x: TensorHandle; residual?: TensorHandle; gamma: TensorHandle; beta: TensorHandle },
  attrs: { epsilon: number },
): CpuTensor | undefined {
  const { x, residual, gamma, beta, n } = layerNormOperands(inputs);
  if (!Number.isFinite(attrs.epsilon)) return undefined;
  const out = output(ctx.cpu, "float32", x.shape);
  const rows = n === 0 ? 0 : x.f32.length / n;
  const p = ctx.executor.program();
  const args = [
    p.buffer(input(ctx, x)),
    p.buffer(residual === undefined ? null : input(ctx, residual)),
    p.buffer(gamma),
    p.buffer(beta),
    p.buffer(out.f32),
    rows,
    n,
    attrs.epsilon,
  ];
  p.emit("layerNorm", OPCODES.layerNorm, args, [out.f32]);
  ctx.executor.wrote(out.f32);
  return out;
}
