// SentencePiece's encoder for Unigram models, as sentencepiece 0.1.x runs it: the model's own normalizer
// (precompiled charsmap, longest rule first; user-defined pieces pass through untouched; leading, trailing and
// repeated spaces removed when `remove_extra_whitespaces`; a dummy "▁" prefix; spaces escaped as "▁"), then
// the Viterbi best segmentation of the normalized UTF-8 bytes under the piece scores (float32 sums; ties keep
// the earlier, shorter candidate; a character no piece covers becomes one UNKNOWN node scored
// min(normal scores) - 10; user-defined pieces score length * max(normal scores) - 0.1), then unknown runs
// merged into one piece (or, with byte fallback, spelled as <0xNN> byte pieces).
import { TokenizerError } from "./errors.js";
import { oneCharLen, PrecompiledCharsmap, toUtf8 } from "./precompiled-charsmap.js";
import type { SentencePieceModel } from "./sentencepiece-model.js";

const SPACE_SYMBOL = new Uint8Array([0xe2, 0x96, 0x81]); // "▁"
const UNK_PENALTY = 10;

/** A byte trie over piece strings; `ids[node]` is the piece id ending there or -1. */
class ByteTrie {
  private readonly next: Map<number, number>[] = [new Map()];
  readonly ids: number[] = [-1];

  insert(bytes: Uint8Array, id: number): void {
    let node = 0;
    for (const b of bytes) {
      let child = this.next[node]!.get(b);
      if (child === undefined) {
        child = this.next.length;
        this.next.push(new Map());
        this.ids.push(-1);
        this.next[node]!.set(b, child);
      }
      node = child;
    }
    this.ids[node] = id;
  }

  child(node: number, byte: number): number | undefined {
    return this.next[node]!.get(byte);
  }

  /** Length of the longest key that is a prefix of `input[from..to)`, 0 if none. */
  longestPrefix(input: Uint8Array, from: number, to: number): number {
    let node = 0;
    let best = 0;
    for (let i = from; i < to; i++) {
      const n = this.next[node]!.get(input[i]!);
      if (n === undefined) break;
      node = n;
      if (this.ids[node]! >= 0) best = i + 1 - from;
    }
    return best;
  }
}

/** Normalized UTF-8 text and, per normalized byte (plus one past the end), its byte offset in the input. */
export interface NormalizedText {
  bytes: Uint8Array;
  normToOrig: Int32Array;
}

/** One piece of an encoded text: its id, its text (the piece, or the surface of merged unknowns) and span. */
export interface EncodedPiece {
  id: number;
  piece: string;
  /** UTF-16 offsets into the input string. */
  start: number;
  end: number;
}

const utf8Decoder = new TextDecoder();

export class SentencePieceProcessor {
  readonly pieceToId = new Map<string, number>();
  readonly unkId: number;
  private readonly trie = new ByteTrie();
  private readonly userDefined: ByteTrie | undefined;
  private readonly scores: Float32Array;
  private readonly isUserDefined: Uint8Array;
  private readonly maxScore: number;
  private readonly unkScore: number;
  private readonly charsmap: PrecompiledCharsmap;
  private readonly byteIds: Int32Array | undefined;

  constructor(
    readonly model: SentencePieceModel,
    readonly file = "spm.model",
  ) {
    const encoder = new TextEncoder();
    const n = model.pieces.length;
    this.scores = new Float32Array(n);
    this.isUserDefined = new Uint8Array(n);
    let minScore = Number.POSITIVE_INFINITY;
    let maxScore = Number.NEGATIVE_INFINITY;
    let userDefined: ByteTrie | undefined;
    const byteIds = model.trainer.byteFallback ? new Int32Array(256).fill(-1) : undefined;
    model.pieces.forEach((p, id) => {
      this.pieceToId.set(p.piece, id);
      this.scores[id] = p.score;
      if (p.type === "normal") {
        minScore = Math.min(minScore, p.score);
        maxScore = Math.max(maxScore, p.score);
      }
      if (p.type === "normal" || p.type === "user_defined" || p.type === "unused") {
        // Unused pieces sit in the trie but are skipped by the lattice, as in SentencePiece.
        this.trie.insert(encoder.encode(p.piece), p.type === "unused" ? -2 - id : id);
      }
      if (p.type === "user_defined") {
        this.isUserDefined[id] = 1;
        userDefined ??= new ByteTrie();
        userDefined.insert(encoder.encode(p.piece), id);
      }
      if (p.type === "byte") {
        const m = /^<0x([0-9A-F]{2})>$/.exec(p.piece);
        if (m === null) {
          throw new TokenizerError(
            "TOKENIZER_FILE_INVALID",
            `${file}: \`pieces[${id}].piece\` is "${p.piece}", not a byte piece <0xNN>`,
            { file, key: `pieces[${id}].piece` },
          );
        }
        if (byteIds !== undefined) byteIds[Number.parseInt(m[1]!, 16)] = id;
      }
    });
    if (byteIds?.includes(-1)) {
      throw new TokenizerError(
        "TOKENIZER_FILE_INVALID",
        `${file}: \`trainer_spec.byte_fallback\` is set but the model lacks some of the 256 <0xNN> pieces`,
        { file, key: "trainer_spec.byte_fallback" },
      );
    }
    this.byteIds = byteIds;
    this.userDefined = userDefined;
    if (minScore === Number.POSITIVE_INFINITY) minScore = maxScore = 0;
    this.maxScore = maxScore;
    this.unkScore = Math.fround(minScore - UNK_PENALTY);
    this.unkId = model.trainer.unkId;
    this.charsmap = new PrecompiledCharsmap(
      model.normalizer.precompiledCharsmap,
      file,
      "normalizer_spec.precompiled_charsmap",
    );
  }

  /** SentencePiece's `Normalizer::Normalize` on UTF-8 bytes. */
  normalize(input: Uint8Array): NormalizedText {
    const spec = this.model.normalizer;
    const out = new Uint8Array(input.length * 3 + 8);
    const normToOrig = new Int32Array(input.length * 3 + 9);
    let n = 0;
    let buffer = out;
    let map = normToOrig;
    const push = (byte: number, orig: number) => {
      if (n >= buffer.length) {
        const grown = new Uint8Array(buffer.length * 2);
        grown.set(buffer);
        buffer = grown;
        const grownMap = new Int32Array(map.length * 2);
        grownMap.set(map);
        map = grownMap;
      }
      buffer[n] = byte;
      map[n++] = orig;
    };
    // The rule at `pos`: [consumed bytes, replacement bytes].
    const prefix = (pos: number): [number, Uint8Array] => {
      if (this.userDefined !== undefined) {
        const length = this.userDefined.longestPrefix(input, pos, input.length);
        if (length > 0) return [length, input.subarray(pos, pos + length)];
      }
      const [length, value] = this.charsmap.longest(input, pos, input.length);
      if (length > 0) return [length, this.charsmap.replacement(value)];
      const charLength = Math.min(oneCharLen(input[pos]!), input.length - pos);
      return [charLength, input.subarray(pos, pos + charLength)];
    };
    const space = spec.escapeWhitespaces ? SPACE_SYMBOL : new Uint8Array([0x20]);
    const addSpace = (orig: number) => {
      for (const b of space) push(b, orig);
    };
    let consumed = 0;
    if (spec.removeExtraWhitespaces) {
      while (consumed < input.length) {
        const [length, replacement] = prefix(consumed);
        if (!(replacement.length === 1 && replacement[0] === 0x20)) break;
        consumed += length;
      }
    }
    if (consumed === input.length)
      return { bytes: new Uint8Array(0), normToOrig: new Int32Array([consumed]) };
    const suffix = this.model.trainer.treatWhitespaceAsSuffix;
    if (!suffix && spec.addDummyPrefix) addSpace(consumed);
    let isPrevSpace = spec.removeExtraWhitespaces;
    while (consumed < input.length) {
      const [length, replacement] = prefix(consumed);
      let k = 0;
      while (isPrevSpace && k < replacement.length && replacement[k] === 0x20) k++;
      if (k < replacement.length) {
        for (; k < replacement.length; k++) {
          const b = replacement[k]!;
          if (spec.escapeWhitespaces && b === 0x20) addSpace(consumed);
          else push(b, consumed);
        }
        isPrevSpace = replacement[replacement.length - 1] === 0x20;
      }
      consumed += length;
      if (!spec.removeExtraWhitespaces) isPrevSpace = false;
    }
    if (spec.removeExtraWhitespaces) {
      while (n >= space.length && space.every((b, i) => buffer[n - space.length + i] === b)) {
        n -= space.length;
        consumed = map[n]!;
      }
    }
    if (suffix && spec.addDummyPrefix) addSpace(consumed);
    push(0, consumed);
    n--;
    return { bytes: buffer.slice(0, n), normToOrig: map.slice(0, n + 1) };
  }

  /** Viterbi segmentation of normalized bytes: [start, end, id] triples (id = unkId for unknown characters). */
  segment(norm: Uint8Array): number[] {
    const size = norm.length;
    const best = new Float32Array(size + 1);
    const from = new Int32Array(size + 1).fill(-1);
    const ids = new Int32Array(size + 1);
    from[0] = 0;
    for (let pos = 0; pos < size; ) {
      const base = best[pos]!;
      const charLength = Math.min(oneCharLen(norm[pos]!), size - pos);
      let hasSingle = false;
      let node = 0;
      for (let k = pos; k < size; k++) {
        const next = this.trie.child(node, norm[k]!);
        if (next === undefined) break;
        node = next;
        const id = this.trie.ids[node]!;
        if (id === -1) continue;
        const length = k + 1 - pos;
        if (length === charLength) hasSingle = true;
        if (id < -1) continue; // unused piece
        const score = this.isUserDefined[id] ? length * this.maxScore - 0.1 : this.scores[id]!;
        const candidate = Math.fround(score + base);
        const end = k + 1;
        if (from[end] === -1 || candidate > best[end]!) {
          best[end] = candidate;
          from[end] = pos;
          ids[end] = id;
        }
      }
      if (!hasSingle) {
        const end = pos + charLength;
        const candidate = Math.fround(this.unkScore + base);
        if (from[end] === -1 || candidate > best[end]!) {
          best[end] = candidate;
          from[end] = pos;
          ids[end] = this.unkId;
        }
      }
      pos += charLength;
    }
    const out: number[] = [];
    for (let end = size; end > 0; end = from[end]!) out.push(ids[end]!, end, from[end]!);
    return out.reverse();
  }

  /**
   * Encodes a string as SentencePiece does (`EncodeAsPieces`), with each piece's UTF-16 span in `text`
   * shifted by `offset`.
   */
  encode(text: string, offset = 0): EncodedPiece[] {
    const { bytes, utf16 } = toUtf8(text);
    const { bytes: norm, normToOrig } = this.normalize(bytes);
    const triples = this.segment(norm);
    const out: EncodedPiece[] = [];
    let prevUnk = false;
    for (let t = 0; t < triples.length; t += 3) {
      const start = triples[t]!;
      const end = triples[t + 1]!;
      const id = triples[t + 2]!;
      const origStart = utf16[normToOrig[start]!]! + offset;
      const origEnd = utf16[normToOrig[end]!]! + offset;
      const isUnk = id === this.unkId;
      if (isUnk && this.byteIds !== undefined) {
        for (let b = start; b < end; b++) {
          const byteId = this.byteIds[norm[b]!]!;
          out.push({ id: byteId, piece: this.model.pieces[byteId]!.piece, start: origStart, end: origEnd });
        }
      } else if (isUnk && prevUnk) {
        const last = out[out.length - 1]!;
        last.piece += utf8Decoder.decode(norm.subarray(start, end));
        last.end = origEnd;
      } else {
        const piece = isUnk ? utf8Decoder.decode(norm.subarray(start, end)) : this.model.pieces[id]!.piece;
        out.push({ id, piece, start: origStart, end: origEnd });
      }
      prevUnk = isUnk;
    }
    return out;
  }

  /** SentencePiece's `DecodePieces`: "▁" becomes a space, the first one dropped; control pieces vanish. */
  decodePieces(pieces: readonly string[]): string {
    let text = "";
    let bosWs = true;
    const dropFirstSpace =
      this.model.normalizer.addDummyPrefix || this.model.normalizer.removeExtraWhitespaces;
    let pendingBytes: number[] = [];
    const flushBytes = () => {
      if (pendingBytes.length > 0) {
        text += utf8Decoder.decode(new Uint8Array(pendingBytes));
        pendingBytes = [];
      }
    };
    for (const raw of pieces) {
      const id = this.pieceToId.get(raw) ?? this.unkId;
      const type = this.model.pieces[id]!.type;
      if (type === "byte") {
        pendingBytes.push(Number.parseInt(raw.slice(3, 5), 16));
        continue;
      }
      flushBytes();
      let piece = raw;
      if (type === "control") piece = "";
      else if (type === "unknown") piece = raw === this.model.pieces[id]!.piece ? " \u2047 " : raw;
      else {
        if (bosWs && dropFirstSpace && piece.startsWith("\u2581")) piece = piece.slice(1);
        piece = piece.replaceAll("\u2581", " ");
      }
      text += piece;
      if (bosWs && piece.length > 0) bosWs = false;
    }
    flushBytes();
    return text;
  }
}
