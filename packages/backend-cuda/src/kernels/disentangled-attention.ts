// disentangledAttention (fused op), tiled flash-attention style (kernels/disentangled_attention.cu): one block
// of 256 threads per (64 query rows, head, batch) walks the keys in tiles of 64 with an online softmax; the
// c2p / p2c terms come from the band of posKey / posQuery rows each tile pair spans, staged in shared
// memory; masking with float32's lowest value; probabilities written (in a second pass) only when asked.
// Any length; head sizes up to 128. Inputs the kernel does not take (a larger head size, unexpected shapes
// or dtypes) run as the reference. With half storage and the backend's `attention: "mma"`, the tensor-core
// kernel (kernels/disentangled_attention_mma.cu: 128 threads per 64 query rows) runs instead when no
// probabilities are asked for, the head size is 32, 64 or 128 and every pointer it reads 16 bytes at a time
// is 16-byte aligned; otherwise the tiled kernel. Both take DeBERTa-v2's key bias (added to k as it is
// staged) and relative index table (δ(i, j) = relativeIndex[i - j + L - 1], read per band row, clamped to
// [0, 2·span) on the GPU; a table uploaded from the host is checked here first).
import {
  type Backend,
  type FusedOps,
  type OpAttrs,
  type OpInputs,
  type OpOutput,
  referenceKernels,
  shapeError,
} from "@deberta/tensor";
import { Params } from "../params.js";
import { type CudaContext, floatKernel } from "./context.js";
import { checkIndices } from "./indices.js";

/** The kernel's block: 256 threads, 64 query rows (kernels/disentangled_attention.cu: THREADS, TQ). */
const THREADS = 256;
const QUERY_TILE = 64;
/** The largest head size the kernel's context accumulators hold (16 x NC). */
const MAX_ATTENTION_HEAD_SIZE = 128;
/** The tensor-core kernel's block: 4 warps (kernels/disentangled_attention_mma.cu: MTHREADS, MQ = 64 rows). */
const MMA_THREADS = 128;
/** Head sizes the tensor-core kernel is instantiated for. */
const MMA_HEAD_SIZES: readonly number[] = [32, 64, 128];

export function disentangledAttention(
  ctx: CudaContext,
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
  const [batch, length, width] = qkv.shape as [number, number, number];
  const hs = width / (3 * heads);
  const same = (a: readonly number[], b: readonly number[]) =>
    a.length === b.length && a.every((d, i) => d === b[i]);
  const rel = (t: typeof posKey) => t === undefined || (t.isFloat && same(t.shape, [heads, 2 * span, hs]));
  const native =
    qkv.shape.length === 3 &&
    qkv.isFloat &&
    qBias.isFloat &&
    vBias.isFloat &&
    Number.isInteger(hs) &&
    hs > 0 &&
    span > 0 &&
    same(qBias.shape, [heads * hs]) &&
    same(vBias.shape, [heads * hs]) &&
    (kBias === undefined || (kBias.isFloat && same(kBias.shape, [heads * hs]))) &&
    (same(mask.shape, [batch, length]) || same(mask.shape, [batch, length, length])) &&
    rel(posKey) &&
    rel(posQuery) &&
    hs <= MAX_ATTENTION_HEAD_SIZE &&
    heads <= 65535 &&
    batch <= 65535;
  if (!native) return referenceKernels.disentangledAttention(backend, inputs, attrs);
  if (relIndex !== undefined) {
    const shapes = [qkv.shape, relIndex.shape];
    if (relIndex.shape.length !== 1 || relIndex.shape[0] !== 2 * length - 1)
      throw shapeError(op, `relativeIndex must be [2 * length - 1] = [${2 * length - 1}]`, shapes);
    checkIndices(`${op} relativeIndex`, relIndex, 2 * span, shapes);
  }
  const context = ctx.alloc("float32", [batch, length, heads * hs], op);
  const probs = attrs.returnProbs ? ctx.alloc("float32", [batch, heads, length, length], op) : undefined;
  if (batch * length === 0) return probs === undefined ? { context } : { context, probs };
  // The table is read only where a relative term is.
  const table = posKey !== undefined || posQuery !== undefined ? (relIndex?.ptr ?? 0) : 0;
  const aligned = (ptr: number | undefined) => ptr === undefined || ptr % 16 === 0;
  if (
    ctx.attention === "mma" &&
    ctx.float !== "f32" &&
    probs === undefined &&
    MMA_HEAD_SIZES.includes(hs) &&
    aligned(qkv.ptr) &&
    aligned(posKey?.ptr) &&
    aligned(posQuery?.ptr)
  ) {
    const pm = new Params()
      .ptr(context.ptr)
      .ptr(qkv.ptr)
      .ptr(qBias.ptr)
      .ptr(vBias.ptr)
      .ptr(mask.ptr)
      .ptr(posKey?.ptr ?? 0)
      .ptr(posQuery?.ptr ?? 0)
      .ptr(kBias?.ptr ?? 0)
      .ptr(table)
      .i32(length)
      .i32(heads)
      .i32(hs)
      .i32(span)
      .f32(attrs.scale)
      .i32(mask.shape.length === 3 ? 1 : 0)
      .i32(mask.isFloat ? 0 : 1);
    ctx.launch(
      op,
      `disentangled_attention_mma_${ctx.float}`,
      [Math.ceil(length / QUERY_TILE), heads, batch],
      [MMA_THREADS, 1, 1],
      pm,
    );
    return { context };
  }
  const p = new Params()
    .ptr(context.ptr)
    .ptr(probs?.ptr ?? 0)
    .ptr(qkv.ptr)
    .ptr(qBias.ptr)
    .ptr(vBias.ptr)
    .ptr(mask.ptr)
    .ptr(posKey?.ptr ?? 0)
    .ptr(posQuery?.ptr ?? 0)
    .ptr(kBias?.ptr ?? 0)
    .ptr(table)
    .i32(length)
    .i32(heads)
    .i32(hs)
    .i32(span)
    .f32(attrs.scale)
    .i32(mask.shape.length === 3 ? 1 : 0)
    .i32(mask.isFloat ? 0 : 1);
  ctx.launch(
    op,
    floatKernel(ctx, "disentangled_attention"),
    [Math.ceil(length / QUERY_TILE), heads, batch],
    [THREADS, 1, 1],
    p,
  );
  return probs === undefined ? { context } : { context, probs };
}
