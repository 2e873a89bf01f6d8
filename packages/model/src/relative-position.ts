// Projected relative-position embeddings of one attention layer, for an attention span S:
//   R        = rel_embeddings[maxRel − S : maxRel + S]                  [2S, hidden]
//   posKey   = (R · W_pos_projᵀ)            as [heads, 2S, headSize]
//   posQuery = (R · W_pos_q_projᵀ + b) / √(headSize · scale_factor)  as [heads, 2S, headSize]
// They depend only on the weights and S, so they are computed once per (layer, span) and cached: about a
// quarter of the FLOPs of a 128-token forward otherwise.
import type { TensorHandle } from "@deberta/tensor";
import type { Ops } from "./ops.js";

export interface RelativeProjections {
  posKey?: TensorHandle;
  posQuery?: TensorHandle;
}

export interface RelativeWeights {
  posProj?: TensorHandle;
  posQProj?: { weight: TensorHandle; bias: TensorHandle };
}

export class RelativePositionCache {
  private readonly bySpan = new Map<number, RelativeProjections>();

  constructor(
    private readonly weights: RelativeWeights,
    private readonly heads: number,
    private readonly headSize: number,
    private readonly queryScale: number,
  ) {}

  get(ops: Ops, relEmbeddings: TensorHandle, maxRelative: number, span: number): RelativeProjections {
    const cached = this.bySpan.get(span);
    if (cached !== undefined) return cached;
    const rows = ops.slice(relEmbeddings, [maxRelative - span], [maxRelative + span], [0]);
    const toHeads = (x: TensorHandle) => {
      const split = ops.reshape(x, [2 * span, this.heads, this.headSize]);
      const out = ops.transpose(split, [1, 0, 2]);
      ops.free(split);
      return out;
    };
    const result: RelativeProjections = {};
    if (this.weights.posProj !== undefined) {
      const projected = ops.linear(rows, this.weights.posProj);
      result.posKey = toHeads(projected);
      ops.free(projected);
    }
    if (this.weights.posQProj !== undefined) {
      const projected = ops.linear(rows, this.weights.posQProj.weight, this.weights.posQProj.bias);
      const scaled = ops.scale(projected, 1 / this.queryScale);
      result.posQuery = toHeads(scaled);
      ops.free(projected, scaled);
    }
    ops.free(rows);
    this.bySpan.set(span, result);
    return result;
  }

  clear(ops: Ops): void {
    for (const p of this.bySpan.values()) ops.free(p.posKey, p.posQuery);
    this.bySpan.clear();
  }
}
