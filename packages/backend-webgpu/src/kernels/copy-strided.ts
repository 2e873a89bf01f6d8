import type { GpuTensor } from "../gpu-tensor.js";
import { binding, grid, LINEAR_INDEX_WGSL, PARAMS_WGSL, Params, padShape } from "../program.js";
import { elementType, type GpuContext } from "./context.js";
import { offsetsWgsl } from "./strided.js";

/**
 * out (shape `shape`, contiguous) [i] = x[base + Σ coordinate × stride]: the one gather-by-strides kernel
 * behind transpose (permuted strides) and slice (a base offset).
 */
export function copyStrided(
  ctx: GpuContext,
  op: string,
  x: GpuTensor,
  shape: readonly number[],
  strides: readonly number[],
  base: number,
): GpuTensor {
  const out = ctx.alloc(x.dtype, shape, op);
  const t = elementType(x);
  const program = {
    name: "copyStrided",
    key: `copyStrided:${t}:${ctx.floatDtype}`,
    source: () => `${ctx.header}${PARAMS_WGSL}${LINEAR_INDEX_WGSL}
${binding(1, "src", t)}
${binding(2, "out", t, true)}
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linearIndex(gid, nwg);
  if (i >= pu(0u)) { return; }
  ${offsetsWgsl("i", ["x"])}
  out[i] = src[pu(13u) + o_x];
}`,
  };
  const padded = [...new Array<number>(6 - strides.length).fill(0), ...strides];
  const params = new Params().u32(out.size, ...padShape(shape)).u32(...padded, base);
  ctx.dispatch(program, [x, out], params, grid(out.size));
  return out;
}
