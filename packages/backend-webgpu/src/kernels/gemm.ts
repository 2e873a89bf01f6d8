// The tiled GEMM every matrix product runs on: C[z] = A[z] · B[z] (B as [K, N], or [N, K] with
// transposeB), 64×64 output tiles per 256-invocation workgroup, 16-deep K slices staged in workgroup
// memory, 4×4 accumulators per invocation in f32 (also in the fp16 mode), and an epilogue adding a bias
// row and applying an activation before the single write.
import type { Activation } from "@deberta/tensor";
import type { GpuTensor } from "../gpu-tensor.js";
import { binding, PARAMS_WGSL, Params } from "../program.js";
import type { GpuContext } from "./context.js";
import { ACTIVATION_EXPR, MATH_WGSL } from "./math-wgsl.js";

export interface GemmBatch {
  /** Batch dimensions of the output (at most 4), with the element strides of A and B along each (0: broadcast). */
  shape: number[];
  stridesA: number[];
  stridesB: number[];
}

export interface GemmCall {
  a: GpuTensor;
  b: GpuTensor;
  out: GpuTensor;
  m: number;
  n: number;
  k: number;
  transposeB: boolean;
  batch: GemmBatch;
  bias?: GpuTensor;
  activation?: Activation;
}

// 64×64 output tiles per 16×16 workgroup; each invocation holds 4 rows × 4 columns (strided by 16, so a
// workgroup's loads and stores of a row are contiguous) in four vec4 accumulators.
const TILE = 64;

function source(ctx: GpuContext, transposeB: boolean, bias: boolean, activation: Activation): string {
  // B's 16×64 slice: [K, N] is read along N, [N, K] along K (contiguous either way).
  const loadB = transposeB ? "let n = e / 16u; let kk = e % 16u;" : "let kk = e / 64u; let n = e % 64u;";
  const readB = transposeB ? "b[offB + gn * K + gk]" : "b[offB + gk * N + gn]";
  const stores = [0, 1, 2, 3]
    .map(
      (r) => `
  if (m0 + lid.y + ${16 * r}u < M) {
    let row = m0 + lid.y + ${16 * r}u;
    for (var q = 0u; q < 4u; q++) {
      let col = n0 + lid.x + 16u * q;
      if (col < N) {
        var x = acc${r}[q];
        ${bias ? "x += f32(bias[col]);" : ""}
        c[offC + row * N + col] = toF(${ACTIVATION_EXPR[activation]});
      }
    }
  }`,
    )
    .join("");
  return `${ctx.header}${PARAMS_WGSL}${MATH_WGSL}
${binding(1, "a", "F")}
${binding(2, "b", "F")}
${bias ? binding(3, "bias", "F") : ""}
${binding(bias ? 4 : 3, "c", "F", true)}
var<workgroup> As: array<array<f32, 64>, 16>;
var<workgroup> Bs: array<array<f32, 64>, 16>;
@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(local_invocation_index) t: u32) {
  let M = pu(0u); let N = pu(1u); let K = pu(2u);
  // Batch coordinates of this workgroup's z, and A's / B's offsets along them.
  var rem = wid.z;
  var offA = 0u; var offB = 0u;
  for (var d = 3i; d >= 0; d--) {
    let dim = pu(3u + u32(d));
    let coord = rem % dim;
    rem = rem / dim;
    offA += coord * pu(7u + u32(d));
    offB += coord * pu(11u + u32(d));
  }
  let m0 = wid.y * 64u; let n0 = wid.x * 64u;
  var acc0 = vec4<f32>(); var acc1 = vec4<f32>(); var acc2 = vec4<f32>(); var acc3 = vec4<f32>();
  for (var k0 = 0u; k0 < K; k0 += 16u) {
    // 1,024 values of each slice, 4 per invocation; A is read along K.
    for (var l = 0u; l < 4u; l++) {
      let e = t + 256u * l;
      let m = e / 16u; let ka = e % 16u; let gm = m0 + m; let gka = k0 + ka;
      var v = 0.0; if (gm < M && gka < K) { v = f32(a[offA + gm * K + gka]); } As[ka][m] = v;
      ${loadB}
      let gn = n0 + n; let gk = k0 + kk;
      var w = 0.0; if (gn < N && gk < K) { w = f32(${readB}); } Bs[kk][n] = w;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < 16u; kk++) {
      let bv = vec4<f32>(Bs[kk][lid.x], Bs[kk][lid.x + 16u], Bs[kk][lid.x + 32u], Bs[kk][lid.x + 48u]);
      acc0 += As[kk][lid.y] * bv;
      acc1 += As[kk][lid.y + 16u] * bv;
      acc2 += As[kk][lid.y + 32u] * bv;
      acc3 += As[kk][lid.y + 48u] * bv;
    }
    workgroupBarrier();
  }
  let offC = wid.z * M * N;${stores}
}`;
}

export function gemm(ctx: GpuContext, call: GemmCall): void {
  const activation = call.activation ?? "linear";
  const bias = call.bias !== undefined;
  const program = {
    name: "gemm",
    key: `gemm:${call.transposeB ? "nt" : "nn"}:${bias ? "bias" : "nobias"}:${activation}:${ctx.floatDtype}`,
    source: () => source(ctx, call.transposeB, bias, activation),
  };
  const pad = (xs: number[], fill: number) => [...new Array<number>(4 - xs.length).fill(fill), ...xs];
  const params = new Params()
    .u32(call.m, call.n, call.k)
    .u32(...pad(call.batch.shape, 1), ...pad(call.batch.stridesA, 0), ...pad(call.batch.stridesB, 0));
  const batches = call.batch.shape.reduce((p, d) => p * d, 1);
  const tensors = bias ? [call.a, call.b, call.bias!, call.out] : [call.a, call.b, call.out];
  ctx.dispatch(program, tensors, params, [Math.ceil(call.n / TILE), Math.ceil(call.m / TILE), batches]);
}
