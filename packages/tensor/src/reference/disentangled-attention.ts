// DeBERTa disentangled self-attention, from primitives (the reference every fused kernel is tested against):
//   q, k, v   = per-head blocks of qkv;  q' = (q + q_bias) · scale;  k' = k + k_bias (v2; 0 without);
//   v' = v + v_bias
//   δ(i, j)   = clamp(i - j + span, 0, 2·span - 1), or relativeIndex[i - j + L - 1] when given (v2)
//   s(i, j)   = q'_i·k'_j + q'_i·posKey[δ(i, j)] + k'_j·posQuery[δ(i, j)]
//   P         = maskedSoftmax(s, m_i·m_j)   (or the 3-D mask as given)
//   context_i = Σ_j P(i, j) v'_j, heads concatenated.
// The reference materialises c2p / p2c as [B, H, L, 2·span] and gathers them; fused kernels must not.
import { Tensor } from "onnxruntime-common";
import type { Backend } from "../backend.js";
import { shapeError } from "../errors.js";
import type { TensorHandle } from "../handle.js";
import { maskedSoftmaxReference } from "./masked-softmax.js";
import { Scope } from "./scope.js";

/** δ(i, j) (or, with `transposed`, δ(j, i)) for every (b, h, i, j), as int32 gather indices. */
function clampedRelativeIndex(
  batch: number,
  heads: number,
  length: number,
  span: number,
  transposed: boolean,
): Tensor {
  const data = new Int32Array(batch * heads * length * length);
  const plane = new Int32Array(length * length);
  for (let i = 0; i < length; i++) {
    for (let j = 0; j < length; j++) {
      const rel = transposed ? j - i : i - j;
      plane[i * length + j] = Math.min(Math.max(rel + span, 0), 2 * span - 1);
    }
  }
  for (let p = 0; p < batch * heads; p++) data.set(plane, p * length * length);
  return new Tensor("int32", data, [batch, heads, length, length]);
}

/**
 * δ from a caller's table [2L - 1] (v2's log buckets): the gather indices table[i - j + L - 1] (or, with
 * `transposed`, table[j - i + L - 1]) for every (b, h, i, j). Only primitives may touch device data here, so
 * the table is read by `gather` as a float column (exact: δ < 2·span is far below 2¹¹) and cast back.
 */
function tableRelativeIndex(
  backend: Backend,
  s: Scope,
  table: TensorHandle,
  batch: number,
  heads: number,
  length: number,
  transposed: boolean,
): TensorHandle {
  if (table.shape.length !== 1 || table.shape[0] !== 2 * length - 1) {
    throw shapeError(
      "disentangledAttention",
      `relativeIndex must be [2 * length - 1] = [${2 * length - 1}]`,
      [table.shape],
    );
  }
  const rows = new Int32Array(batch * heads * length * length);
  for (let p = 0; p < batch * heads; p++) {
    for (let i = 0; i < length; i++) {
      for (let j = 0; j < length; j++) {
        rows[(p * length + i) * length + j] = (transposed ? j - i : i - j) + length - 1;
      }
    }
  }
  const run = backend.run.bind(backend);
  const column = s.keep(
    run(
      "reshape",
      { x: s.keep(run("cast", { x: table }, { to: "float32" })) },
      { shape: [2 * length - 1, 1] },
    ),
  );
  const picked = s.keep(
    run(
      "gather",
      {
        table: column,
        indices: s.keep(backend.upload(new Tensor("int32", rows, [batch, heads, length, length]))),
      },
      {},
    ),
  );
  const flat = s.keep(run("reshape", { x: picked }, { shape: [batch, heads, length, length] }));
  return s.keep(run("cast", { x: flat }, { to: "int32" }));
}

export function disentangledAttentionReference(
  backend: Backend,
  inputs: {
    qkv: TensorHandle;
    qBias: TensorHandle;
    vBias: TensorHandle;
    mask: TensorHandle;
    posKey?: TensorHandle;
    posQuery?: TensorHandle;
    kBias?: TensorHandle;
    relativeIndex?: TensorHandle;
  },
  attrs: { numHeads: number; scale: number; span: number; returnProbs: boolean },
): { context: TensorHandle; probs?: TensorHandle } {
  const { qkv, qBias, vBias, mask, posKey, posQuery, kBias, relativeIndex } = inputs;
  const [batch, length, width] = qkv.shape as [number, number, number];
  const heads = attrs.numHeads;
  if (qkv.shape.length !== 3 || width % (3 * heads) !== 0) {
    throw shapeError(
      "disentangledAttention",
      `qkv must be [batch, length, heads * 3 * headSize] with ${heads} heads`,
      [qkv.shape],
    );
  }
  const headSize = width / (3 * heads);
  const s = new Scope(backend);
  const run = backend.run.bind(backend);
  const perHead = s.keep(run("reshape", { x: qkv }, { shape: [batch, length, heads, 3 * headSize] }));
  const part = (k: number) =>
    s.keep(
      run(
        "transpose",
        {
          x: s.keep(
            run("slice", { x: perHead }, { starts: [k * headSize], ends: [(k + 1) * headSize], axes: [3] }),
          ),
        },
        { perm: [0, 2, 1, 3] },
      ),
    );
  const biasOf = (b: TensorHandle) => s.keep(run("reshape", { x: b }, { shape: [heads, 1, headSize] }));
  const add = (a: TensorHandle, b: TensorHandle) => s.keep(run("binary", { a, b }, { op: "add" }));

  const query = s.keep(run("affine", { x: add(part(0), biasOf(qBias)) }, { scale: attrs.scale, shift: 0 }));
  const key = kBias === undefined ? part(1) : add(part(1), biasOf(kBias));
  const indexFor = (transposed: boolean) =>
    relativeIndex === undefined
      ? s.keep(backend.upload(clampedRelativeIndex(batch, heads, length, attrs.span, transposed)))
      : tableRelativeIndex(backend, s, relativeIndex, batch, heads, length, transposed);
  const value = add(part(2), biasOf(vBias));
  let scores = s.keep(run("matmul", { a: query, b: key }, { transposeB: true }));
  if (posKey !== undefined) {
    const c2p = s.keep(run("matmul", { a: query, b: posKey }, { transposeB: true }));
    const index = indexFor(false);
    scores = add(scores, s.keep(run("gatherElements", { x: c2p, indices: index }, { axis: 3 })));
  }
  if (posQuery !== undefined) {
    const p2c = s.keep(run("matmul", { a: key, b: posQuery }, { transposeB: true }));
    const index = indexFor(true);
    const gathered = s.keep(run("gatherElements", { x: p2c, indices: index }, { axis: 3 }));
    scores = add(scores, s.keep(run("transpose", { x: gathered }, { perm: [0, 1, 3, 2] })));
  }
  let pairMask: TensorHandle;
  if (mask.shape.length === 2) {
    const rows = s.keep(run("reshape", { x: mask }, { shape: [batch, 1, length, 1] }));
    const cols = s.keep(run("reshape", { x: mask }, { shape: [batch, 1, 1, length] }));
    pairMask = s.keep(run("binary", { a: rows, b: cols }, { op: "mul" }));
  } else if (mask.shape.length === 3) {
    pairMask = s.keep(run("reshape", { x: mask }, { shape: [batch, 1, length, length] }));
  } else {
    throw shapeError("disentangledAttention", "mask must be [batch, length] or [batch, length, length]", [
      qkv.shape,
      mask.shape,
    ]);
  }
  const probs = s.keep(maskedSoftmaxReference(backend, { x: scores, mask: pairMask }));
  const context = s.keep(
    run(
      "reshape",
      {
        x: s.keep(
          run("transpose", { x: s.keep(run("matmul", { a: probs, b: value }, {})) }, { perm: [0, 2, 1, 3] }),
        ),
      },
      {
        shape: [batch, length, heads * headSize],
      },
    ),
  );
  if (attrs.returnProbs) {
    s.disposeExcept(context, probs);
    return { context, probs };
  }
  s.disposeExcept(context);
  return { context };
}
