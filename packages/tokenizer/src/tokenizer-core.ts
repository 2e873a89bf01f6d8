import { AddedVocabulary } from "./added-vocabulary.js";
import { byteLevelDecode, GPT2_SPLIT_PATTERN } from "./byte-level.js";
import {
  type Encoding,
  sequenceEncoding,
  sliceEncoding,
  type TruncationDirection,
  truncateEncoding,
} from "./encoding.js";
import { argumentError, TokenizerError } from "./errors.js";
import { addedTokenCount, postProcess } from "./post-processor.js";
import type { TokenizerSpec } from "./tokenizer-json.js";

export type TruncationStrategy = "longest_first" | "only_first" | "only_second";

export interface TruncationParams {
  maxLength: number;
  stride: number;
  strategy: TruncationStrategy;
  direction: TruncationDirection;
}

interface TokenSink {
  ids: number[];
  starts: number[];
  ends: number[];
  wordIds: number[];
}

/** One sequence of the input: a string, or a list of words when the input is already split. */
export type SequenceInput = string | readonly string[];

/**
 * The encoding pipeline of a byte-level BPE `tokenizer.json`: added-token split, ByteLevel pre-tokenizer,
 * BPE, truncation and post-processor, plus decoding. Framework-free; {@link DebertaTokenizer} puts the
 * transformers API on top.
 */
export class TokenizerCore {
  readonly spec: TokenizerSpec;
  readonly added: AddedVocabulary;
  private readonly addedById = new Map<number, string>();
  private readonly specialIds = new Set<number>();
  private readonly splitPattern: RegExp;
  addPrefixSpace: boolean;

  constructor(spec: TokenizerSpec) {
    this.spec = spec;
    this.added = new AddedVocabulary(spec.addedTokens);
    for (const t of spec.addedTokens) {
      this.addedById.set(t.id, t.content);
      if (t.special) this.specialIds.add(t.id);
    }
    this.splitPattern = new RegExp(GPT2_SPLIT_PATTERN.source, GPT2_SPLIT_PATTERN.flags);
    this.addPrefixSpace = spec.preTokenizer.addPrefixSpace;
  }

  get vocabSize(): number {
    let size = this.spec.model.vocabSize;
    for (const id of this.addedById.keys()) if (id >= size) size = id + 1;
    return size;
  }

  isSpecialId(id: number): boolean {
    return this.specialIds.has(id);
  }

  tokenToId(token: string): number | undefined {
    return this.added.get(token)?.id ?? this.spec.model.vocab.get(token);
  }

  idToToken(id: number): string | undefined {
    return this.addedById.get(id) ?? this.spec.model.idToToken[id];
  }

  /** Splits, pre-tokenizes and BPE-encodes one sequence; no special tokens, no truncation. */
  encodeSequence(input: SequenceInput, sequence: 0 | 1): Encoding {
    const tokens: TokenSink = { ids: [], starts: [], ends: [], wordIds: [] };
    if (typeof input === "string") {
      this.encodeText(input, tokens, 0, this.addPrefixSpace, false);
    } else {
      // Each word is encoded on its own with a space in front (as transformers does for split words), its
      // offsets relative to the word, and every token carrying the word's index.
      input.forEach((word, index) => {
        this.encodeText(word, tokens, index, true, true);
      });
    }
    return sequenceEncoding(tokens.ids, tokens.starts, tokens.ends, tokens.wordIds, sequence);
  }

  private encodeText(
    text: string,
    out: TokenSink,
    firstWordId: number,
    addPrefixSpace: boolean,
    fixedWordId: boolean,
  ): void {
    let wordId = firstWordId;
    const pattern = this.splitPattern;
    const model = this.spec.model;
    const useRegex = this.spec.preTokenizer.useRegex;
    const { ids, starts, ends, wordIds } = out;
    for (const segment of this.added.split(text)) {
      if (segment.id !== undefined) {
        ids.push(segment.id);
        starts.push(segment.start);
        ends.push(segment.end);
        wordIds.push(wordId);
        if (!fixedWordId) wordId++;
        continue;
      }
      let piece = text.slice(segment.start, segment.end);
      let shift = segment.start;
      if (addPrefixSpace && !piece.startsWith(" ")) {
        piece = " " + piece;
        shift -= 1;
      }
      const floor = segment.start;
      const emit = (word: string, at: number) => {
        const pieces = model.tokenizeWord(word);
        const base = shift + at;
        for (let i = 0; i < pieces.ids.length; i++) {
          ids.push(pieces.ids[i]!);
          // The space that add_prefix_space put in front has no source text: clamp it to the segment start.
          const start = base + pieces.starts[i]!;
          const end = base + pieces.ends[i]!;
          starts.push(Math.max(start, floor));
          ends.push(Math.max(end, floor));
          wordIds.push(wordId);
        }
        if (!fixedWordId) wordId++;
      };
      if (!useRegex) {
        emit(piece, 0);
        continue;
      }
      pattern.lastIndex = 0;
      for (let m = pattern.exec(piece); m !== null; m = pattern.exec(piece)) emit(m[0], m.index);
    }
  }

  /** Encodes one sequence or a pair: truncation (with overflowing windows), then the post-processor. */
  encode(
    a: SequenceInput,
    b: SequenceInput | undefined,
    options: { addSpecialTokens: boolean; truncation?: TruncationParams },
  ): Encoding {
    let first = this.encodeSequence(a, 0);
    let second = b === undefined ? undefined : this.encodeSequence(b, 1);
    const t = options.truncation;
    if (t !== undefined) {
      const added = options.addSpecialTokens
        ? addedTokenCount(this.spec.postProcessor, second !== undefined)
        : 0;
      if (t.maxLength < added) {
        throw new TokenizerError(
          "TOKENIZER_TRUNCATION",
          `Truncation error: max_length (${t.maxLength}) is smaller than the ${added} special tokens this input needs`,
          { argument: "max_length" },
        );
      }
      [first, second] = truncatePair(first, second, { ...t, maxLength: t.maxLength - added }, t.maxLength);
    }
    return postProcess(
      this.spec.postProcessor,
      first,
      second,
      options.addSpecialTokens,
      (id) => this.idToToken(id) ?? "",
    );
  }

  decode(ids: readonly number[], skipSpecialTokens: boolean): string {
    const tokens: string[] = [];
    for (const id of ids) {
      if (skipSpecialTokens && this.specialIds.has(id)) continue;
      const token = this.idToToken(id);
      if (token === undefined) {
        throw argumentError("ids", `token id ${id} is not in the vocabulary (size ${this.vocabSize})`);
      }
      tokens.push(token);
    }
    return this.spec.byteLevelDecoder ? byteLevelDecode(tokens) : tokens.join("");
  }
}

/** tokenizers' `truncate_encodings`: how many tokens each side keeps, and the overflowing windows. */
export function truncatePair(
  a: Encoding,
  b: Encoding | undefined,
  params: TruncationParams,
  requestedMaxLength: number,
): [Encoding, Encoding | undefined] {
  const { maxLength, stride, direction, strategy } = params;
  const total = a.ids.length + (b?.ids.length ?? 0);
  if (total <= maxLength) return [a, b];
  const toRemove = total - maxLength;
  if (b === undefined && strategy !== "only_second") {
    // transformers 5.17 (tokenizers 0.23) encodes only the first `max_length` tokens of a single sequence
    // before the post-processor cuts its windows, so overflowing windows never reach past those tokens
    // (fixture case "overflow": max_length 16, stride 4 gives windows 0..14 and 10..16 of a long text).
    const kept = requestedMaxLength < a.ids.length ? cutTo(a, requestedMaxLength, direction) : a;
    return [truncateEncoding(kept, maxLength, stride, direction), undefined];
  }
  if (strategy === "longest_first" && b !== undefined) {
    let n1 = a.ids.length;
    let n2 = b.ids.length;
    const swap = n1 > n2;
    if (swap) [n1, n2] = [n2, n1];
    n2 = n1 > maxLength ? n1 : Math.max(n1, maxLength - n1);
    if (n1 + n2 > maxLength) {
      n1 = Math.floor(maxLength / 2);
      n2 = n1 + (maxLength % 2);
    }
    if (swap) [n1, n2] = [n2, n1];
    return [truncateEncoding(a, n1, stride, direction), truncateEncoding(b, n2, stride, direction)];
  }
  if (strategy === "only_second" && b === undefined) {
    throw new TokenizerError(
      "TOKENIZER_TRUNCATION",
      "Truncation error: truncation 'only_second' needs a second sequence (text_pair)",
      { argument: "truncation" },
    );
  }
  const targetIsFirst = strategy === "only_first";
  const target = targetIsFirst ? a : b!;
  if (target.ids.length <= toRemove) {
    throw new TokenizerError(
      "TOKENIZER_TRUNCATION",
      `Truncation error: Sequence to truncate too short to respect the provided max_length ` +
        `(truncation '${strategy}' would have to remove ${toRemove} of its ${target.ids.length} tokens)`,
      { argument: "truncation" },
    );
  }
  const truncated = truncateEncoding(target, target.ids.length - toRemove, stride, direction);
  return targetIsFirst ? [truncated, b] : [a, truncated];
}

function cutTo(e: Encoding, length: number, direction: TruncationDirection): Encoding {
  return direction === "right"
    ? sliceEncoding(e, 0, length)
    : sliceEncoding(e, e.ids.length - length, e.ids.length);
}
