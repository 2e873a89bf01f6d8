// DeBERTa's disentangled self-attention in one kernel: a workgroup per (batch, head, query row) computes
// the row's scores s(i, j) = q'_i·k'_j + q'_i·posKey[δ] + k'_j·posQuery[δ], with k' = k + k_bias (v2; k
// without) and δ = clamp(i - j + span, 0, 2·span - 1), or v2's table δ = relativeIndex[i - j + L - 1]
// (clamped to [0, 2·span) in the shader, as indices computed on the GPU cannot be checked), reading the
// c2p / p2c terms by relative index (no [B, H, L, 2L] tensor exists), masks them, takes the softmax in
// workgroup memory, writes the probabilities when asked, and sums the context Σ_j P(i, j)(v_j + v_bias) —
// heads concatenated, [B, L, H·headSize].
import {
  type Backend,
  type FusedOps,
  type OpAttrs,
  type OpInputs,
  type OpOutput,
  referenceKernels,
  shapeError,
} from "@deberta/tensor";
import type { GpuTensor } from "../gpu-tensor.js";
import { binding, PARAMS_WGSL, Params } from "../program.js";
import { elementType, type GpuContext } from "./context.js";
import { checkIndices } from "./indices.js";
import { workgroupReduce } from "./workgroup-reduce.js";

const WG = 64;

export function disentangledAttention(
  ctx: GpuContext,
  inputs: OpInputs<FusedOps, "disentangledAttention">,
  attrs: OpAttrs<FusedOps, "disentangledAttention">,
  backend: Backend,
): OpOutput<FusedOps, "disentangledAttention"> {
  const op = "disentangledAttention";
  const qkv = ctx.tensor(inputs.qkv, op);
  const qBias = ctx.tensor(inputs.qBias, op);
  const vBias = ctx.tensor(inputs.vBias, op);
  const mask = ctx.tensor(inputs.mask, op);
  const posKey = inputs.posKey === undefined ? undefined : ctx.tensor(inputs.posKey, op);
  const posQuery = inputs.posQuery === undefined ? undefined : ctx.tensor(inputs.posQuery, op);
  const kBias = inputs.kBias === undefined ? undefined : ctx.tensor(inputs.kBias, op);
  const relIndex = inputs.relativeIndex === undefined ? undefined : ctx.tensor(inputs.relativeIndex, op);
  const heads = attrs.numHeads;
  const span = attrs.span;
  const shapes = [qkv.shape, mask.shape];
  if (qkv.shape.length !== 3 || qkv.shape[2]! % (3 * heads) !== 0)
    throw shapeError(op, `qkv must be [batch, length, heads * 3 * headSize] with ${heads} heads`, shapes);
  const [batch, length, width] = qkv.shape as [number, number, number];
  const headSize = width / (3 * heads);
  const mask3d = mask.shape.length === 3;
  if (
    !(mask.shape.length === 2 && mask.shape[0] === batch && mask.shape[1] === length) &&
    !(mask3d && mask.shape[0] === batch && mask.shape[1] === length && mask.shape[2] === length)
  )
    throw shapeError(op, "mask must be [batch, length] or [batch, length, length]", shapes);
  if (qBias.size !== heads * headSize || vBias.size !== heads * headSize)
    throw shapeError(op, `q_bias and v_bias must have ${heads * headSize} values`, [
      qkv.shape,
      qBias.shape,
      vBias.shape,
    ]);
  if (kBias !== undefined && (!kBias.isFloat || kBias.size !== heads * headSize))
    throw shapeError(op, `k_bias must have ${heads * headSize} float values`, [qkv.shape, kBias.shape]);
  if (relIndex !== undefined) {
    const indexShapes = [qkv.shape, relIndex.shape];
    if (relIndex.shape.length !== 1 || relIndex.shape[0] !== 2 * length - 1)
      throw shapeError(op, `relativeIndex must be [2 * length - 1] = [${2 * length - 1}]`, indexShapes);
    checkIndices(`${op} relativeIndex`, relIndex, 2 * span, indexShapes);
  }
  for (const p of [posKey, posQuery]) {
    if (
      p !== undefined &&
      (p.shape.length !== 3 || p.shape[0] !== heads || p.shape[1] !== 2 * span || p.shape[2] !== headSize)
    )
      throw shapeError(op, `relative embeddings must be [${heads}, ${2 * span}, ${headSize}]`, [
        qkv.shape,
        p.shape,
      ]);
  }
  const c2p = posKey !== undefined;
  const p2c = posQuery !== undefined;
  const kb = kBias !== undefined;
  // The table is only read where a relative term is.
  const table = relIndex !== undefined && (c2p || p2c);
  // The row of scores lives in workgroup memory; rows longer than it fits take the reference path. So does
  // a call needing more storage bindings than the device has (v2 with both relative terms, its key bias and
  // the probabilities takes 10; WebGPU guarantees 8).
  const rowCapacity = 2 ** Math.max(6, Math.ceil(Math.log2(Math.max(length, 1))));
  const bindings = 5 + [c2p, p2c, kb, table, attrs.returnProbs].filter(Boolean).length;
  if ((rowCapacity + headSize + WG) * 4 > ctx.maxWorkgroupStorage || bindings > ctx.maxStorageBuffers)
    return referenceKernels.disentangledAttention(backend, inputs, attrs);

  const context = ctx.alloc(ctx.floatDtype, [batch, length, heads * headSize], op);
  const probs = attrs.returnProbs ? ctx.alloc(ctx.floatDtype, [batch, heads, length, length], op) : undefined;
  const red = workgroupReduce(ctx, WG);
  const tm = elementType(mask);
  const tensors: GpuTensor[] = [qkv, qBias, vBias, mask];
  const declarations = [
    binding(1, "qkv", "F"),
    binding(2, "qBias", "F"),
    binding(3, "vBias", "F"),
    binding(4, "mask", tm),
  ];
  const bind = (t: GpuTensor, name: string, type: "F" | "i32", write = false) => {
    tensors.push(t);
    declarations.push(binding(tensors.length, name, type, write));
  };
  if (posKey) bind(posKey, "posKey", "F");
  if (posQuery) bind(posQuery, "posQuery", "F");
  if (kBias) bind(kBias, "kBias", "F");
  if (relIndex && table) bind(relIndex, "relIndex", "i32");
  bind(context, "ctx", "F", true);
  if (probs) bind(probs, "probs", "F", true);
  const delta = table
    ? "u32(clamp(relIndex[i + L - 1u - j], 0i, 2i * span - 1i))"
    : "u32(clamp(i32(i) - i32(j) + span, 0i, 2i * span - 1i))";
  const program = {
    name: op,
    key: `${op}:${headSize}:${rowCapacity}:${c2p}:${p2c}:${kb}:${table}:${mask3d}:${tm}:${probs !== undefined}:${red.key}:${ctx.floatDtype}`,
    source: () => `${red.enable}${ctx.header}${PARAMS_WGSL}
const HS = ${headSize}u;
${declarations.join("\n")}
var<workgroup> q: array<f32, ${headSize}>;
var<workgroup> s: array<f32, ${rowCapacity}>;
${red.functions}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32${red.entryParams}) {
  let B = pu(0u); let L = pu(1u); let H = pu(2u); let span = i32(pu(3u)); let scale = pf(4u);
  let flat = wid.x + wid.y * nwg.x;
  let valid = flat < B * H * L;
  let f = select(0u, flat, valid);
  let i = f % L; let h = (f / L) % H; let b = f / (L * H);
  let W = H * 3u * HS;
  let headBase = h * 3u * HS;
  let rowQ = (b * L + i) * W + headBase;
  for (var d = lid; d < HS; d += ${WG}u) { q[d] = (f32(qkv[rowQ + d]) + f32(qBias[h * HS + d])) * scale; }
  workgroupBarrier();
  ${mask3d ? "" : "let mi = f32(mask[b * L + i]);"}
  for (var j = lid; j < L; j += ${WG}u) {
    let rowK = (b * L + j) * W + headBase + HS;
    let delta = ${delta};
    let rel = (h * 2u * u32(span) + delta) * HS;
    var sc = 0.0;
    for (var d = 0u; d < HS; d++) {
      let kd = f32(qkv[rowK + d])${kb ? " + f32(kBias[h * HS + d])" : ""};
      sc += q[d] * kd;
      ${c2p ? "sc += q[d] * f32(posKey[rel + d]);" : ""}
      ${p2c ? "sc += kd * f32(posQuery[rel + d]);" : ""}
    }
    let m = ${mask3d ? "f32(mask[(b * L + i) * L + j])" : "mi * f32(mask[b * L + j])"};
    s[j] = select(sc, -3.4028234663852886e38, m == 0.0);
  }
  workgroupBarrier();
  var mx = -3.4028234663852886e38;
  for (var j = lid; j < L; j += ${WG}u) { mx = max(mx, s[j]); }
  mx = wgMax(mx, lid, ${red.args});
  var sum = 0.0;
  for (var j = lid; j < L; j += ${WG}u) { let e = exp(s[j] - mx); s[j] = e; sum += e; }
  let inv = 1.0 / wgSum(sum, lid, ${red.args});
  for (var j = lid; j < L; j += ${WG}u) {
    let p = s[j] * inv;
    s[j] = p;
    ${probs ? "if (valid) { probs[((b * H + h) * L + i) * L + j] = toF(p); }" : ""}
  }
  workgroupBarrier();
  for (var d = lid; d < HS; d += ${WG}u) {
    var acc = 0.0;
    var total = 0.0;
    for (var j = 0u; j < L; j++) { acc += s[j] * f32(qkv[(b * L + j) * W + headBase + 2u * HS + d]); total += s[j]; }
    if (valid) { ctx[(b * L + i) * H * HS + h * HS + d] = toF(acc + total * f32(vBias[h * HS + d])); }
  }
}`,
  };
  const rows = batch * heads * length;
  const groupsX = Math.min(rows, 65535);
  ctx.dispatch(program, tensors, new Params().u32(batch, length, heads, span).f32(attrs.scale), [
    groupsX,
    Math.ceil(rows / groupsX),
    1,
  ]);
  return probs === undefined ? { context } : { context, probs };
}
