// Softmax over the last axis after setting scores where mask == 0 to float32's lowest value (as
// transformers' masked_fill); the mask broadcasts against x. One workgroup per row, f32 throughout.
import { broadcastShapes, type FusedOps, type OpInputs, shapeError } from "@deberta/tensor";
import type { GpuTensor } from "../gpu-tensor.js";
import { binding, broadcastStrides, PARAMS_WGSL, Params, padShape } from "../program.js";
import { elementType, type GpuContext } from "./context.js";
import { offsetsWgsl } from "./strided.js";
import { workgroupReduce } from "./workgroup-reduce.js";

const WG = 64;

export function maskedSoftmax(ctx: GpuContext, inputs: OpInputs<FusedOps, "maskedSoftmax">): GpuTensor {
  const x = ctx.tensor(inputs.x, "maskedSoftmax");
  const mask = inputs.mask === undefined ? undefined : ctx.tensor(inputs.mask, "maskedSoftmax");
  if (mask !== undefined) {
    const shape = broadcastShapes("maskedSoftmax", x.shape, mask.shape);
    if (shape.length !== x.shape.length || shape.some((d, i) => d !== x.shape[i]))
      throw shapeError("maskedSoftmax", "mask must broadcast to x's shape", [x.shape, mask.shape]);
  }
  const width = x.shape[x.shape.length - 1] ?? 1;
  const rows = x.size / width;
  const out = ctx.alloc(ctx.floatDtype, x.shape, "maskedSoftmax");
  const red = workgroupReduce(ctx, WG);
  const tm = mask === undefined ? "none" : elementType(mask);
  const score =
    mask === undefined
      ? "f32(x[base + c])"
      : "select(f32(x[base + c]), -3.4028234663852886e38, f32(m[o_m + c * pu(12u)]) == 0.0)";
  const program = {
    name: "maskedSoftmax",
    key: `maskedSoftmax:${tm}:${red.key}:${ctx.floatDtype}`,
    source: () => `${red.enable}${ctx.header}${PARAMS_WGSL}
${binding(1, "x", "F")}
${mask === undefined ? "" : binding(2, "m", elementType(mask))}
${binding(mask === undefined ? 2 : 3, "out", "F", true)}
${red.functions}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32${red.entryParams}) {
  let row = wid.x + wid.y * nwg.x;
  let valid = row < pu(0u) / pu(6u);
  let N = pu(6u);
  let base = select(0u, row, valid) * N;
  ${mask === undefined ? "" : offsetsWgsl("base", ["m"])}
  var mx = -3.4028234663852886e38;
  if (valid) { for (var c = lid; c < N; c += ${WG}u) { mx = max(mx, ${score}); } }
  mx = wgMax(mx, lid, ${red.args});
  var s = 0.0;
  if (valid) { for (var c = lid; c < N; c += ${WG}u) { s += exp(${score} - mx); } }
  let inv = 1.0 / wgSum(s, lid, ${red.args});
  if (valid) { for (var c = lid; c < N; c += ${WG}u) { out[base + c] = toF(exp(${score} - mx) * inv); } }
}`,
  };
  const params = new Params().u32(x.size, ...padShape(x.shape));
  if (mask !== undefined) params.u32(...broadcastStrides(mask.shape, x.shape));
  const groupsX = Math.min(rows, 65535);
  ctx.dispatch(program, mask === undefined ? [x, out] : [x, mask, out], params, [
    groupsX,
    Math.ceil(rows / groupsX),
    1,
  ]);
  return out;
}
