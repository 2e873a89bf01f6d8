// DeBERTa disentangled self-attention with every product on the WebAssembly GEMM engine and the per-head
// operands resident in its heap (no copies in and out around each product). Same maths as
// disentangled-attention.ts: for each (b, h), with q' = (q + q_bias)·scale, k' = k + k_bias (v2; k without),
// v' = v + v_bias and δ(i, j) = clamp(i − j + span, 0, 2·span − 1), or relativeIndex[i − j + L − 1] (v2):
//   S = q'·k'ᵀ;  S_ij += (q'·posKey[h]ᵀ)[i, δ(i, j)] + (k'·posQuery[h]ᵀ)[j, δ(i, j)];  P = softmax(masked S);
//   C = P·v'.
// Without a table δ is walked in closed form (three runs per row); with one, row i reads the table
// backwards from i + L − 1, so no [L, L] index array is built either way.
// The softmax runs in the engine too (SIMD, on the pool when its workers are awake).
// posKey[h] / posQuery[h] are packed once per cached projection tensor and reused by every call.
import { FLOAT32_LOWEST } from "@deberta/tensor";
import type { CpuTensor } from "../cpu-tensor.js";
import type { GemmEngine, PackedMatrix } from "../wasm/gemm.js";
import { type AttentionOpAttrs, type AttentionOpInputs, attentionInputs } from "./attention-inputs.js";
import { type CpuContext, output } from "./context.js";

/** The per-head packed panels of a posKey / posQuery tensor, kept on the tensor and freed with it. */
function packedHeads(
  engine: GemmEngine,
  t: CpuTensor,
  heads: number,
  rows: number,
  hs: number,
): PackedMatrix[] {
  const cached = t.packed as { heads?: PackedMatrix[] } | undefined;
  if (cached?.heads !== undefined) return cached.heads;
  const data = t.f32;
  // B = posX[h]ᵀ: posX[h] is [2·span, hs] row-major, i.e. the transposed layout of the [hs, 2·span] operand.
  const packs = Array.from({ length: heads }, (_, h) =>
    engine.packB(data.subarray(h * rows * hs, (h + 1) * rows * hs), hs, rows, true),
  );
  t.packed = {
    heads: packs,
    dispose: () => {
      for (const p of packs) p.dispose();
    },
  } as never;
  return packs;
}

export function disentangledAttentionWasm(
  ctx: CpuContext,
  engine: GemmEngine,
  inputs: AttentionOpInputs,
  attrs: AttentionOpAttrs,
): { context: CpuTensor; probs?: CpuTensor } {
  const heads = attrs.numHeads;
  const span = attrs.span;
  const checked = attentionInputs(inputs, heads, span);
  const { qkv, qBias, vBias, kBias, mask, mask3d, relativeIndex: table, batch, length, width } = checked;
  const hs = checked.headSize;
  const rel = 2 * span;
  const posKeyT = checked.posKey;
  const posQueryT = checked.posQuery;
  const posKey = posKeyT === undefined ? undefined : packedHeads(engine, posKeyT, heads, rel, hs);
  const posQuery = posQueryT === undefined ? undefined : packedHeads(engine, posQueryT, heads, rel, hs);

  const context = output(ctx, "float32", [batch, length, heads * hs]);
  const probs = attrs.returnProbs ? output(ctx, "float32", [batch, heads, length, length]) : undefined;
  const X = qkv.f32;
  const M = mask.data;
  const C = context.f32;
  const heap = engine.heap;
  const [qPtr, kPtr, vPtr, sPtr, rPtr, cPtr] = [
    length * hs,
    length * hs,
    length * hs,
    length * length,
    length * rel,
    length * hs,
  ].map((n) => heap.alloc(n * 4)) as [number, number, number, number, number, number];
  // δ(i, j) = i − j + span is unclamped for j in [lo(i), hi(i)]; left of it δ = 2·span − 1, right of it 0.
  const lo = (i: number) => Math.max(0, i - span + 1);
  const hi = (i: number) => Math.min(length - 1, i + span);
  // Rows of masked (padding) keys, per batch row: most rows have none, and then the mask loop is skipped.
  const maskedKeys = Array.from({ length: batch }, (_, b) => {
    const keys: number[] = [];
    if (!mask3d) for (let j = 0; j < length; j++) if (M[b * length + j] === 0) keys.push(j);
    return keys;
  });
  try {
    for (let b = 0; b < batch; b++) {
      for (let h = 0; h < heads; h++) {
        // Views are taken after every engine call: a product may grow (and so move) the memory.
        let q = heap.f32(qPtr, length * hs);
        let k = heap.f32(kPtr, length * hs);
        let v = heap.f32(vPtr, length * hs);
        const scale = attrs.scale;
        for (let t = 0; t < length; t++) {
          const src = (b * length + t) * width + h * 3 * hs;
          const dst = t * hs;
          for (let d = 0; d < hs; d++) {
            q[dst + d] = (X[src + d]! + qBias[h * hs + d]!) * scale;
            k[dst + d] = kBias === undefined ? X[src + hs + d]! : X[src + hs + d]! + kBias[h * hs + d]!;
            v[dst + d] = X[src + 2 * hs + d]! + vBias[h * hs + d]!;
          }
        }
        engine.matmulUnpacked(qPtr, length, hs, kPtr, length, true, sPtr);
        if (posKey !== undefined) {
          engine.matmul(qPtr, length, hs, posKey[h]!, rPtr);
          const s = heap.f32(sPtr, length * length);
          const r = heap.f32(rPtr, length * rel);
          if (table !== undefined) {
            // c2p[i, table[i − j + L − 1]]: backwards through the table as j goes forwards.
            for (let i = 0; i < length; i++) {
              const row = i * length;
              const rrow = i * rel;
              for (let j = 0, at = i + length - 1; j < length; j++, at--)
                s[row + j]! += r[rrow + table[at]!]!;
            }
          } else {
            for (let i = 0; i < length; i++) {
              const row = i * length;
              const rrow = i * rel;
              const a = lo(i);
              const z = hi(i);
              for (let j = 0; j < a; j++) s[row + j]! += r[rrow + rel - 1]!;
              // c2p[i, δ(i, j)]: walking j forwards walks δ backwards through row i.
              const at = rrow + i + span;
              for (let j = a; j <= z; j++) s[row + j]! += r[at - j]!;
              for (let j = z + 1; j < length; j++) s[row + j]! += r[rrow]!;
            }
          }
        }
        if (posQuery !== undefined) {
          engine.matmul(kPtr, length, hs, posQuery[h]!, rPtr);
          const s = heap.f32(sPtr, length * length);
          const r = heap.f32(rPtr, length * rel);
          if (table !== undefined) {
            for (let i = 0; i < length; i++) {
              const row = i * length;
              for (let j = 0, at = i + length - 1; j < length; j++, at--)
                s[row + j]! += r[j * rel + table[at]!]!;
            }
          } else {
            for (let i = 0; i < length; i++) {
              const row = i * length;
              const a = lo(i);
              const z = hi(i);
              for (let j = 0; j < a; j++) s[row + j]! += r[j * rel + rel - 1]!;
              // p2c[j, δ(i, j)] = r[j·rel + i − j + span]: a stride of rel − 1 along j.
              const step = rel - 1;
              for (let j = a, at = a * step + i + span; j <= z; j++, at += step) s[row + j]! += r[at]!;
              for (let j = z + 1; j < length; j++) s[row + j]! += r[j * rel]!;
            }
          }
        }
        const s = heap.f32(sPtr, length * length);
        for (let i = 0; i < length; i++) {
          const row = i * length;
          if (mask3d) {
            for (let j = 0; j < length; j++)
              if (M[(b * length + i) * length + j] === 0) s[row + j] = FLOAT32_LOWEST;
          } else if (M[b * length + i] === 0) {
            s.fill(FLOAT32_LOWEST, row, row + length);
          } else {
            for (const j of maskedKeys[b]!) s[row + j] = FLOAT32_LOWEST;
          }
        }
        engine.softmaxRows(sPtr, length, length);
        if (probs !== undefined)
          probs.f32.set(heap.f32(sPtr, length * length), (b * heads + h) * length * length);
        engine.matmulUnpacked(sPtr, length, length, vPtr, hs, false, cPtr);
        const c = heap.f32(cPtr, length * hs);
        for (let t = 0; t < length; t++)
          C.set(c.subarray(t * hs, (t + 1) * hs), (b * length + t) * heads * hs + h * hs);
        q = k = v = c;
      }
    }
  } finally {
    for (const ptr of [qPtr, kPtr, vPtr, sPtr, rPtr, cPtr]) heap.free(ptr);
  }
  return probs === undefined ? { context } : { context, probs };
}
