// out = act(x · Wᵀ + b) with W [out, in] (PyTorch Linear); uses the packed weight when one was prepared.
import { type Activation, shapeError, type TensorHandle } from "@deberta/tensor";
import { asCpu, type CpuTensor } from "../cpu-tensor.js";
import { sizeOf } from "../strides.js";
import { addBiasAndActivate } from "./activations.js";
import { type CpuContext, output } from "./context.js";

export interface LinearOperands {
  x: CpuTensor;
  w: CpuTensor;
  bias: CpuTensor | undefined;
  rows: number;
  inFeatures: number;
  outFeatures: number;
}

/** The operands of linear, checked (shared with the native engine's op). */
export function linearOperands(inputs: {
  x: TensorHandle;
  weight: TensorHandle;
  bias?: TensorHandle;
}): LinearOperands {
  const x = asCpu(inputs.x, "linear");
  const w = asCpu(inputs.weight, "linear");
  const bias = inputs.bias === undefined ? undefined : asCpu(inputs.bias, "linear");
  const shapes = [x.shape, w.shape, ...(bias ? [bias.shape] : [])];
  if (w.shape.length !== 2) throw shapeError("linear", "weight must be [out, in]", shapes);
  const [outFeatures, inFeatures] = w.shape as [number, number];
  if (x.shape.length === 0 || x.shape[x.shape.length - 1] !== inFeatures)
    throw shapeError("linear", `x's last dimension must be ${inFeatures}`, shapes);
  if (bias !== undefined && (bias.shape.length !== 1 || bias.shape[0] !== outFeatures)) {
    throw shapeError("linear", `bias must be [${outFeatures}]`, shapes);
  }
  return { x, w, bias, rows: sizeOf(x.shape.slice(0, -1)), inFeatures, outFeatures };
}

export function linear(
  ctx: CpuContext,
  inputs: { x: TensorHandle; weight: TensorHandle; bias?: TensorHandle },
  attrs: { activation?: Activation },
) {
  const { x, w, bias, rows, inFeatures, outFeatures } = linearOperands(inputs);
  const out = output(ctx, "float32", [...x.shape.slice(0, -1), outFeatures]);
  const O = out.f32;
  const epilogue = {
    ...(bias === undefined ? {} : { bias: bias.f32 }),
    ...(attrs.activation === undefined ? {} : { activation: attrs.activation }),
  };
  const done = ctx.packedLinear?.(x.f32, rows, w, O, epilogue) ?? "none";
  // Only without a packed copy is the host array needed (and there).
  if (done === "none") ctx.gemm.matmul(x.f32, 0, w.f32, 0, O, 0, rows, outFeatures, inFeatures, true);
  if (done !== "fused") addBiasAndActivate(O, bias?.f32, outFeatures, attrs.activation);
  return out;
}
