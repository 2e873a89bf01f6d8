// tokenizers' `Unigram` model: the Viterbi best segmentation of a pre-token's UTF-8 bytes under the piece scores
// (float64 sums; ties keep the earlier, shorter candidate), a character no piece covers becoming an unknown node
// scored min(all scores) - 10, consecutive unknowns fused into one token, and byte fallback to <0xNN> pieces.
import { TokenizerError } from "./errors.js";
import { oneCharLen, toUtf8 } from "./precompiled-charsmap.js";

const UNK_PENALTY = 10;
const utf8Decoder = new TextDecoder();
const encoder = new TextEncoder();

/** A flat byte trie: children of a node in a Map keyed `node * 256 + byte`. */
class Trie {
  private readonly edges = new Map<number, number>();
  readonly ids: number[] = [-1];

  insert(key: string, id: number): void {
    let node = 0;
    for (const b of encoder.encode(key)) {
      const edge = node * 256 + b;
      let child = this.edges.get(edge);
      if (child === undefined) {
        child = this.ids.length;
        this.ids.push(-1);
        this.edges.set(edge, child);
      }
      node = child;
    }
    if (this.ids[node] === -1) this.ids[node] = id;
  }

  child(node: number, byte: number): number | undefined {
    return this.edges.get(node * 256 + byte);
  }
}

export interface UnigramToken {
  id: number;
  /** The piece, or the surface text of fused unknown characters. */
  value: string;
  /** UTF-16 span in the pre-token. */
  start: number;
  end: number;
}

export class UnigramModel {
  readonly pieceToId = new Map<string, number>();
  private readonly trie = new Trie();
  private readonly scores: Float64Array;
  private readonly unkScore: number;

  constructor(
    readonly pieces: readonly (readonly [string, number])[],
    readonly unkId: number | undefined,
    readonly byteFallback: boolean,
  ) {
    this.scores = new Float64Array(pieces.length);
    let min = Number.POSITIVE_INFINITY;
    pieces.forEach(([piece, score], id) => {
      if (!this.pieceToId.has(piece)) this.pieceToId.set(piece, id);
      this.scores[id] = score;
      min = Math.min(min, score);
      this.trie.insert(piece, id);
    });
    this.unkScore = min - UNK_PENALTY;
  }

  /** Segmentations of recent short pre-tokens (words repeat); cleared when it grows past its bound. */
  private readonly cache = new Map<string, readonly UnigramToken[]>();

  /** Segments one pre-token. The result is shared with the cache: read it, do not change it. */
  tokenize(word: string): readonly UnigramToken[] {
    if (word.length > 64) return this.segment(word);
    let tokens = this.cache.get(word);
    if (tokens === undefined) {
      tokens = this.segment(word);
      if (this.cache.size >= 100_000) this.cache.clear();
      this.cache.set(word, tokens);
    }
    return tokens;
  }

  private segment(word: string): UnigramToken[] {
    const { bytes, utf16 } = toUtf8(word);
    const size = bytes.length;
    const best = new Float64Array(size + 1);
    const from = new Int32Array(size + 1).fill(-1);
    const ids = new Int32Array(size + 1);
    from[0] = 0;
    const unk = this.unkId ?? -1;
    for (let pos = 0; pos < size; ) {
      const base = best[pos]!;
      const charLength = Math.min(oneCharLen(bytes[pos]!), size - pos);
      let hasSingle = false;
      let node = 0;
      for (let k = pos; k < size; k++) {
        const next = this.trie.child(node, bytes[k]!);
        if (next === undefined) break;
        node = next;
        const id = this.trie.ids[node]!;
        if (id === -1) continue;
        const end = k + 1;
        const candidate = this.scores[id]! + base;
        if (from[end] === -1 || candidate > best[end]!) {
          best[end] = candidate;
          from[end] = pos;
          ids[end] = id;
        }
        if (end - pos === charLength) hasSingle = true;
      }
      if (!hasSingle) {
        if (this.unkId === undefined) {
          throw new TokenizerError(
            "TOKENIZER_UNSUPPORTED",
            "Unigram model has no `unk_id` but the text has a character no piece covers",
            { key: "model.unk_id" },
          );
        }
        const end = pos + charLength;
        const candidate = this.unkScore + base;
        if (from[end] === -1 || candidate > best[end]!) {
          best[end] = candidate;
          from[end] = pos;
          ids[end] = unk;
        }
      }
      pos += charLength;
    }
    const spans: number[] = [];
    for (let end = size; end > 0; ) {
      const start = from[end]!;
      // Fuse a run of unknown nodes.
      if (
        ids[end] === unk &&
        spans.length > 0 &&
        spans[spans.length - 1] === unk &&
        spans[spans.length - 3] === end
      ) {
        spans[spans.length - 3] = start;
      } else spans.push(start, end, ids[end]!);
      end = start;
    }
    const out: UnigramToken[] = [];
    for (let t = spans.length - 3; t >= 0; t -= 3) {
      const start = spans[t]!;
      const end = spans[t + 1]!;
      const id = spans[t + 2]!;
      const s = utf16[start]!;
      const e = utf16[end]!;
      if (id === unk) {
        const value = utf8Decoder.decode(bytes.subarray(start, end));
        if (this.byteFallback) {
          const byteIds: number[] = [];
          for (let b = start; b < end; b++) {
            const byteId = this.pieceToId.get(`<0x${bytes[b]!.toString(16).toUpperCase().padStart(2, "0")}>`);
            if (byteId === undefined) break;
            byteIds.push(byteId);
          }
          if (byteIds.length === end - start) {
            for (const byteId of byteIds)
              out.push({ id: byteId, value: this.pieces[byteId]![0], start: s, end: e });
            continue;
          }
        }
        out.push({ id: unk, value, start: s, end: e });
      } else out.push({ id, value: this.pieces[id]![0], start: s, end: e });
    }
    return out;
  }
}
