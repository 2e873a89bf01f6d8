// The encoding pipeline of transformers' original (slow, SentencePiece) DebertaV2Tokenizer: special-token
// strings split out of the text first (exact, case-sensitive), every other chunk lower-cased when
// `do_lower_case`, cut at punctuation when `split_by_punct`, and encoded by SentencePiece on its own (so each
// chunk gets its own dummy "▁"); then truncation and `[CLS] A [SEP]` / `[CLS] A [SEP] B [SEP]`.
import { type AddedToken, AddedVocabulary } from "./added-vocabulary.js";
import { type Encoding, sequenceEncoding } from "./encoding.js";
import { argumentError, TokenizerError } from "./errors.js";
import { addedTokenCount, type PostProcessorSpec, postProcess } from "./post-processor.js";
import type { SentencePieceProcessor } from "./sentencepiece-processor.js";
import { type SequenceInput, type TruncationParams, truncatePair } from "./tokenizer-core.js";

export interface SpmCoreOptions {
  doLowerCase: boolean;
  splitByPunct: boolean;
  clsId: number;
  sepId: number;
}

interface Sink {
  ids: number[];
  starts: number[];
  ends: number[];
  wordIds: number[];
}

/** BERT's `_is_punctuation`: ASCII symbols and Unicode punctuation (category P*). */
const PUNCT = /^[\p{P}!-/:-@[-`{-~]$/u;

/** transformers' `_run_split_on_punc`: each punctuation character alone, the text between it in one piece. */
export function splitOnPunctuation(text: string): [number, number][] {
  const out: [number, number][] = [];
  let start = -1;
  for (let i = 0; i < text.length; ) {
    const cp = text.codePointAt(i)!;
    const width = cp > 0xffff ? 2 : 1;
    if (PUNCT.test(String.fromCodePoint(cp))) {
      if (start !== -1) out.push([start, i]);
      out.push([i, i + width]);
      start = -1;
    } else if (start === -1) start = i;
    i += width;
  }
  if (start !== -1) out.push([start, text.length]);
  return out;
}

export class SpmCore {
  readonly added: AddedVocabulary;
  readonly postProcessor: PostProcessorSpec;
  private readonly addedById = new Map<number, string>();
  private readonly specialIds = new Set<number>();

  constructor(
    readonly sp: SentencePieceProcessor,
    readonly addedTokens: readonly AddedToken[],
    readonly options: SpmCoreOptions,
  ) {
    this.added = new AddedVocabulary(addedTokens);
    for (const t of addedTokens) {
      this.addedById.set(t.id, t.content);
      if (t.special) this.specialIds.add(t.id);
    }
    this.postProcessor = {
      single: [
        { kind: "special", name: "cls", typeId: 0 },
        { kind: "sequence", sequence: 0, typeId: 0 },
        { kind: "special", name: "sep", typeId: 0 },
      ],
      pair: [
        { kind: "special", name: "cls", typeId: 0 },
        { kind: "sequence", sequence: 0, typeId: 0 },
        { kind: "special", name: "sep", typeId: 0 },
        { kind: "sequence", sequence: 1, typeId: 1 },
        { kind: "special", name: "sep", typeId: 1 },
      ],
      specialTokens: new Map([
        ["cls", { ids: [options.clsId] }],
        ["sep", { ids: [options.sepId] }],
      ]),
      trimOffsets: false,
      addPrefixSpace: false,
      zeroTypeIds: false,
    };
  }

  get pieceToId(): ReadonlyMap<string, number> {
    return this.sp.pieceToId;
  }

  get vocabSize(): number {
    let size = this.sp.model.pieces.length;
    for (const id of this.addedById.keys()) if (id >= size) size = id + 1;
    return size;
  }

  isSpecialId(id: number): boolean {
    return this.specialIds.has(id);
  }

  tokenToId(token: string): number | undefined {
    return this.added.get(token)?.id ?? this.sp.pieceToId.get(token);
  }

  idToToken(id: number): string | undefined {
    return this.addedById.get(id) ?? this.sp.model.pieces[id]?.piece;
  }

  /** The pieces of one sequence as SentencePiece returns them (unknown runs keep their surface). */
  tokenize(input: SequenceInput): string[] {
    const pieces: string[] = [];
    this.encodeSequence(input, 0, pieces);
    return pieces;
  }

  encodeSequence(input: SequenceInput, sequence: 0 | 1, pieces?: string[]): Encoding {
    const sink: Sink = { ids: [], starts: [], ends: [], wordIds: [] };
    if (typeof input === "string") this.encodeText(input, sink, 0, false, pieces);
    else {
      for (let index = 0; index < input.length; index++) {
        this.encodeText(input[index]!, sink, index, true, pieces);
      }
    }
    return sequenceEncoding(sink.ids, sink.starts, sink.ends, sink.wordIds, sequence);
  }

  private encodeText(
    text: string,
    out: Sink,
    firstWord: number,
    fixedWord: boolean,
    pieces?: string[],
  ): void {
    let word = firstWord - 1;
    let newWord = true;
    const push = (id: number, start: number, end: number, piece: string, startsWord: boolean) => {
      if (!fixedWord && (newWord || startsWord)) word++;
      newWord = false;
      out.ids.push(id);
      out.starts.push(start);
      out.ends.push(end);
      out.wordIds.push(fixedWord ? firstWord : word);
      pieces?.push(piece);
    };
    for (const segment of this.added.split(text)) {
      if (segment.id !== undefined) {
        newWord = true;
        push(segment.id, segment.start, segment.end, this.addedById.get(segment.id)!, true);
        newWord = true;
        continue;
      }
      const chunks: [number, number][] = this.options.splitByPunct
        ? splitOnPunctuation(text.slice(segment.start, segment.end)).map(([s, e]) => [
            s + segment.start,
            e + segment.start,
          ])
        : [[segment.start, segment.end]];
      for (const [start, end] of chunks) {
        const chunk = text.slice(start, end);
        const lowered = this.options.doLowerCase ? lowerCase(chunk) : { text: chunk, map: undefined };
        for (const p of this.sp.encode(lowered.text)) {
          const s = lowered.map === undefined ? p.start : lowered.map[p.start]!;
          const e = lowered.map === undefined ? p.end : lowered.map[p.end]!;
          // Unknown pieces keep their surface as the token; their id is the unknown id.
          const id = p.id === this.sp.unkId ? p.id : (this.sp.pieceToId.get(p.piece) ?? this.sp.unkId);
          push(id, s + start, e + start, p.piece, p.piece.startsWith("\u2581"));
        }
      }
    }
  }

  encode(
    a: SequenceInput,
    b: SequenceInput | undefined,
    options: { addSpecialTokens: boolean; truncation?: TruncationParams },
  ): Encoding {
    let first = this.encodeSequence(a, 0);
    let second = b === undefined ? undefined : this.encodeSequence(b, 1);
    const t = options.truncation;
    if (t !== undefined) {
      const added = options.addSpecialTokens ? addedTokenCount(this.postProcessor, second !== undefined) : 0;
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
      this.postProcessor,
      first,
      second,
      options.addSpecialTokens,
      (id) => this.idToToken(id) ?? "",
    );
  }

  /**
   * transformers' `SPMTokenizer.decode`: runs of ordinary pieces go through SentencePiece; a special token is
   * appended as it is, with a space before the run that precedes it; the result is stripped.
   */
  decode(ids: readonly number[], skipSpecialTokens: boolean): string {
    let out = "";
    let run: string[] = [];
    let prevSpecial = false;
    for (const id of ids) {
      const special = this.specialIds.has(id);
      if (skipSpecialTokens && special) continue;
      const token = this.idToToken(id);
      if (token === undefined) {
        throw argumentError("ids", `token id ${id} is not in the vocabulary (size ${this.vocabSize})`);
      }
      if (special) {
        if (!prevSpecial) out += " ";
        out += this.sp.decodePieces(run) + token;
        run = [];
        prevSpecial = true;
      } else {
        run.push(token);
        prevSpecial = false;
      }
    }
    out += this.sp.decodePieces(run);
    return out.trim();
  }
}

/** Lower-cases text; when that changes its length, also maps each lowered UTF-16 offset back to the input. */
function lowerCase(text: string): { text: string; map: number[] | undefined } {
  const lowered = text.toLowerCase();
  if (lowered.length === text.length) return { text: lowered, map: undefined };
  let out = "";
  const map: number[] = [];
  for (let i = 0; i < text.length; ) {
    const cp = text.codePointAt(i)!;
    const ch = String.fromCodePoint(cp);
    const low = ch.toLowerCase();
    for (let k = 0; k < low.length; k++) map.push(i);
    out += low;
    i += ch.length;
  }
  map.push(text.length);
  return { text: out, map };
}
