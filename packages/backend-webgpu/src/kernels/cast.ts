// Float ↔ integer conversion (float → int truncates toward zero, as a C cast). Floats are always the
// backend's float type: casting to float32 or float16 gives f32 tensors, or f16 ones in the fp16 mode.
import { BackendError, type OpAttrs, type OpInputs, type PrimitiveOps } from "@deberta/tensor";
import type { GpuTensor } from "../gpu-tensor.js";
import { binding, grid, LINEAR_INDEX_WGSL, PARAMS_WGSL, Params } from "../program.js";
import { elementType, type GpuContext } from "./context.js";

export function cast(
  ctx: GpuContext,
  inputs: OpInputs<PrimitiveOps, "cast">,
  attrs: OpAttrs<PrimitiveOps, "cast">,
): GpuTensor {
  const x = ctx.tensor(inputs.x, "cast");
  const toFloat = attrs.to === "float32" || attrs.to === "float16";
  if (!toFloat && attrs.to !== "int32" && attrs.to !== "int64") {
    throw new BackendError("BACKEND_DTYPE", `cast: cannot cast to ${attrs.to}`, {
      op: "cast",
      shapes: [x.shape],
    });
  }
  const out = ctx.alloc(toFloat ? ctx.floatDtype : attrs.to, x.shape, "cast");
  const from = elementType(x);
  const to = toFloat ? "F" : "i32";
  const program = {
    name: "cast",
    key: `cast:${from}:${to}:${ctx.floatDtype}`,
    source: () => `${ctx.header}${PARAMS_WGSL}${LINEAR_INDEX_WGSL}
${binding(1, "src", from)}
${binding(2, "out", to, true)}
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linearIndex(gid, nwg);
  if (i >= pu(0u)) { return; }
  out[i] = ${to === "i32" ? "i32(trunc(f32(src[i])))" : "toF(f32(src[i]))"};
}`,
  };
  ctx.dispatch(program, [x, out], new Params().u32(out.size), grid(out.size));
  return out;
}
