// overflowCount: the tally of values out of range (see @deberta/tensor's op table). Two dispatches: one
// workgroup copies the previous tally and zeroes the new slot, then the counting kernel walks x as 32-bit
// words (one f32 or two f16 each) in a grid-stride loop, each workgroup adding its total to the slot
// atomically. Values are compared as magnitude bits, never as floats: WGSL lets implementations assume floats
// are finite, so a float comparison could be compiled into one that never sees inf or NaN.
import {
  BackendError,
  type FusedOps,
  MAGNITUDE_MASK,
  magnitudeLimitBits,
  type OpAttrs,
  type OpInputs,
  shapeError,
} from "@deberta/tensor";
import type { GpuTensor } from "../gpu-tensor.js";
import { grid, LINEAR_INDEX_WGSL, PARAMS_WGSL, Params } from "../program.js";
import type { GpuContext } from "./context.js";

const WG = 256;
/** Enough workgroups to keep a GPU busy; beyond that each invocation loops over more words. */
const MAX_WORKGROUPS = 1024;

export function overflowCount(
  ctx: GpuContext,
  inputs: OpInputs<FusedOps, "overflowCount">,
  attrs: OpAttrs<FusedOps, "overflowCount">,
): GpuTensor {
  const x = ctx.tensor(inputs.x, "overflowCount");
  const counts = inputs.counts === undefined ? undefined : ctx.tensor(inputs.counts, "overflowCount");
  const shapes = counts === undefined ? [x.shape] : [x.shape, counts.shape];
  if (!x.isFloat)
    throw new BackendError("BACKEND_DTYPE", `overflowCount: x must be a float tensor, got ${x.dtype}`, {
      op: "overflowCount",
      shapes,
    });
  if (counts !== undefined && (counts.isFloat || counts.shape.length !== 1))
    throw shapeError("overflowCount", "counts must be a 1-D integer tensor", shapes);
  const half = x.dtype === "float16";
  const storage = half ? "float16" : "float32";
  const limitBits = magnitudeLimitBits(attrs.limit, storage);
  const n = counts?.size ?? 0;
  const out = ctx.alloc("int32", [n + 1], "overflowCount");

  const prepare = {
    name: "overflowCount",
    key: `overflowCount:prepare:${counts !== undefined}`,
    source: () => `${PARAMS_WGSL}
${counts === undefined ? "" : "@group(0) @binding(1) var<storage, read> prev: array<i32>;"}
@group(0) @binding(${counts === undefined ? 1 : 2}) var<storage, read_write> out: array<i32>;
@compute @workgroup_size(64)
fn main(@builtin(local_invocation_index) lid: u32) {
  let n = pu(0u);
  ${counts === undefined ? "" : "for (var i = lid; i < n; i += 64u) { out[i] = prev[i]; }"}
  if (lid == 0u) { out[n] = 0; }
}`,
  };
  ctx.dispatch(prepare, counts === undefined ? [out] : [counts, out], new Params().u32(n), [1, 1, 1]);

  const words = half ? Math.ceil(x.size / 2) : x.size;
  const mask = `0x${MAGNITUDE_MASK[storage].toString(16)}u`;
  // In f16 the last word's upper half is padding (buffers hold whole words) when x has an odd length.
  const body = half
    ? `c += flagged(word & 0xffffu);
    if (2u * w + 1u < n) { c += flagged(word >> 16u); }`
    : "c += flagged(word);";
  const count = {
    name: "overflowCount",
    key: `overflowCount:count:${storage}`,
    source: () => `${PARAMS_WGSL}${LINEAR_INDEX_WGSL}
@group(0) @binding(1) var<storage, read> x: array<u32>;
@group(0) @binding(2) var<storage, read_write> out: array<atomic<u32>>;
var<workgroup> total: atomic<u32>;
fn flagged(bits: u32) -> u32 { return select(0u, 1u, (bits & ${mask}) >= pu(2u)); }
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let n = pu(0u);
  let words = ${half ? "(n + 1u) / 2u" : "n"};
  let stride = nwg.x * nwg.y * ${WG}u;
  var c = 0u;
  for (var w = linearIndex(gid, nwg); w < words; w += stride) {
    let word = x[w];
    ${body}
  }
  if (c > 0u) { atomicAdd(&total, c); }
  workgroupBarrier();
  if (lid == 0u) {
    let t = atomicLoad(&total);
    if (t > 0u) { atomicAdd(&out[pu(1u)], t); }
  }
}`,
  };
  ctx.dispatch(
    count,
    [x, out],
    new Params().u32(x.size, n, limitBits),
    grid(Math.min(Math.max(words, 1), WG * MAX_WORKGROUPS)),
  );
  return out;
}
