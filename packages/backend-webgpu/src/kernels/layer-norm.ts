// LayerNorm over the last axis of x (+ residual): one workgroup per row, mean then variance in f32,
// epsilon inside the square root (as PyTorch).
import { type FusedOps, type OpAttrs, type OpInputs, shapeError } from "@deberta/tensor";
import type { GpuTensor } from "../gpu-tensor.js";
import { binding, PARAMS_WGSL, Params } from "../program.js";
import type { GpuContext } from "./context.js";
import { workgroupReduce } from "./workgroup-reduce.js";

const WG = 64;

export function layerNorm(
  ctx: GpuContext,
  inputs: OpInputs<FusedOps, "layerNorm">,
  attrs: OpAttrs<FusedOps, "layerNorm">,
): GpuTensor {
  const x = ctx.tensor(inputs.x, "layerNorm");
  const residual = inputs.residual === undefined ? undefined : ctx.tensor(inputs.residual, "layerNorm");
  const gamma = ctx.tensor(inputs.gamma, "layerNorm");
  const beta = ctx.tensor(inputs.beta, "layerNorm");
  const width = x.shape[x.shape.length - 1] ?? 1;
  const shapes = [x.shape, ...(residual ? [residual.shape] : []), gamma.shape, beta.shape];
  if (
    residual &&
    (residual.shape.length !== x.shape.length || residual.shape.some((d, i) => d !== x.shape[i]))
  )
    throw shapeError("layerNorm", "residual must have x's shape", shapes);
  if (gamma.size !== width || beta.size !== width)
    throw shapeError("layerNorm", `gamma and beta must have ${width} values`, shapes);
  const out = ctx.alloc(ctx.floatDtype, x.shape, "layerNorm");
  const rows = x.size / width;
  const red = workgroupReduce(ctx, WG);
  const withResidual = residual !== undefined;
  const value = withResidual ? "f32(x[base + c]) + f32(res[base + c])" : "f32(x[base + c])";
  const program = {
    name: "layerNorm",
    key: `layerNorm:${withResidual}:${red.key}:${ctx.floatDtype}`,
    source: () => `${red.enable}${ctx.header}${PARAMS_WGSL}
${binding(1, "x", "F")}
${withResidual ? binding(2, "res", "F") : ""}
${binding(withResidual ? 3 : 2, "gamma", "F")}
${binding(withResidual ? 4 : 3, "beta", "F")}
${binding(withResidual ? 5 : 4, "out", "F", true)}
${red.functions}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32${red.entryParams}) {
  let row = wid.x + wid.y * nwg.x;
  let valid = row < pu(0u);
  let D = pu(1u);
  let base = select(0u, row, valid) * D;
  var s = 0.0;
  if (valid) { for (var c = lid; c < D; c += ${WG}u) { s += ${value}; } }
  let mean = wgSum(s, lid, ${red.args}) / f32(D);
  var q = 0.0;
  if (valid) { for (var c = lid; c < D; c += ${WG}u) { let d = ${value} - mean; q += d * d; } }
  let inv = 1.0 / sqrt(wgSum(q, lid, ${red.args}) / f32(D) + pf(2u));
  if (valid) {
    for (var c = lid; c < D; c += ${WG}u) {
      out[base + c] = toF((${value} - mean) * inv * f32(gamma[c]) + f32(beta[c]));
    }
  }
}`,
  };
  const tensors = withResidual ? [x, residual, gamma, beta, out] : [x, gamma, beta, out];
  const groupsX = Math.min(rows, 65535);
  ctx.dispatch(program, tensors, new Params().u32(rows, width).f32(attrs.epsilon), [
    groupsX,
    Math.ceil(rows / groupsX),
    1,
  ]);
  return out;
}
