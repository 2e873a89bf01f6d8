// A DeBERTa-v2/v3 `tokenizer.json` (SentencePiece Unigram layout), followed exactly: normalizers
// (Sequence of Precompiled / NFC / Replace / Strip), the Metaspace pre-tokenizer (bare or in a Sequence),
// the Unigram model, the Metaspace decoder and the template post-processor, with tokenizers' offsets.
import { type AddedToken, AddedVocabulary } from "./added-vocabulary.js";
import { type Encoding, sequenceEncoding } from "./encoding.js";
import { argumentError, TokenizerError } from "./errors.js";
import { NormalizedString } from "./normalized-string.js";
import { addedTokenCount, type PostProcessorSpec, postProcess } from "./post-processor.js";
import { PrecompiledCharsmap } from "./precompiled-charsmap.js";
import { type SequenceInput, type TruncationParams, truncatePair } from "./tokenizer-core.js";
import {
  describe,
  expectObject,
  invalid,
  optionalBoolean,
  parseAddedTokens,
  parsePostProcessor,
  unsupported,
} from "./tokenizer-json.js";
import { UnigramModel } from "./unigram-model.js";

export type NormalizerStep = (s: NormalizedString) => void;

export interface MetaspaceSpec {
  replacement: string;
  prependScheme: "always" | "first" | "never";
  split: boolean;
}

export interface UnigramTokenizerSpec {
  normalizers: NormalizerStep[];
  metaspace: MetaspaceSpec | undefined;
  decoder: MetaspaceSpec | undefined;
  model: UnigramModel;
  addedTokens: AddedToken[];
  postProcessor: PostProcessorSpec;
}

function base64Bytes(text: string, file: string, key: string): Uint8Array {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 === 1)
    throw invalid(file, key, "is not base64");
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

function parsePattern(value: unknown, file: string, key: string): RegExp {
  const p = expectObject(value, file, key);
  if (typeof p.String === "string") return new RegExp(p.String.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), "gu");
  if (typeof p.Regex === "string") {
    try {
      return new RegExp(p.Regex, "gu");
    } catch (cause) {
      throw new TokenizerError(
        "TOKENIZER_UNSUPPORTED",
        `${file}: \`${key}.Regex\` is not a JavaScript regular expression: ${(cause as Error).message}`,
        { file, key, cause },
      );
    }
  }
  throw invalid(file, key, `must hold a String or Regex, got ${describe(value)}`);
}

/** How deep Sequence normalizers / pre-tokenizers may nest (a bound, so hostile JSON cannot overflow the stack). */
const MAX_DEPTH = 16;

function parseNormalizer(value: unknown, file: string, key: string, out: NormalizerStep[], depth = 0): void {
  if (value === undefined || value === null) return;
  const n = expectObject(value, file, key);
  switch (n.type) {
    case "Sequence": {
      if (!Array.isArray(n.normalizers)) throw invalid(file, `${key}.normalizers`, "must be an array");
      if (depth >= MAX_DEPTH) throw invalid(file, key, `nests Sequence normalizers deeper than ${MAX_DEPTH}`);
      for (let i = 0; i < n.normalizers.length; i++) {
        parseNormalizer(n.normalizers[i], file, `${key}.normalizers[${i}]`, out, depth + 1);
      }
      return;
    }
    case "Precompiled": {
      if (typeof n.precompiled_charsmap !== "string") {
        throw invalid(
          file,
          `${key}.precompiled_charsmap`,
          `must be a base64 string, got ${describe(n.precompiled_charsmap)}`,
        );
      }
      const charsmap = new PrecompiledCharsmap(
        base64Bytes(n.precompiled_charsmap, file, `${key}.precompiled_charsmap`),
        file,
        `${key}.precompiled_charsmap`,
      );
      out.push((s) => s.precompiled(charsmap));
      return;
    }
    case "NFC":
      out.push((s) => s.nfc());
      return;
    case "Replace": {
      const pattern = parsePattern(n.pattern, file, `${key}.pattern`);
      if (typeof n.content !== "string") throw invalid(file, `${key}.content`, "must be a string");
      const content = n.content;
      out.push((s) => s.replace(pattern, content));
      return;
    }
    case "Strip": {
      const left = optionalBoolean(n, "strip_left", true, file, key);
      const right = optionalBoolean(n, "strip_right", true, file, key);
      out.push((s) => s.strip(left, right));
      return;
    }
    default:
      throw new TokenizerError(
        "TOKENIZER_UNSUPPORTED",
        `${file}: \`${key}.type\` is ${describe(n.type)}; a Unigram tokenizer.json supports Sequence, Precompiled, NFC, Replace and Strip normalizers`,
        { file, key: `${key}.type` },
      );
  }
}

function parseMetaspace(value: unknown, file: string, key: string, depth = 0): MetaspaceSpec {
  const m = expectObject(value, file, key);
  if (m.type === "Sequence" && Array.isArray(m.pretokenizers) && m.pretokenizers.length === 1) {
    if (depth >= MAX_DEPTH)
      throw invalid(file, key, `nests Sequence pre-tokenizers deeper than ${MAX_DEPTH}`);
    return parseMetaspace(m.pretokenizers[0], file, `${key}.pretokenizers[0]`, depth + 1);
  }
  if (m.type !== "Metaspace") throw unsupported(file, `${key}.type`, describe(m.type));
  const replacement = m.replacement ?? "\u2581";
  if (typeof replacement !== "string" || [...replacement].length !== 1) {
    throw invalid(file, `${key}.replacement`, "must be one character");
  }
  let scheme = m.prepend_scheme;
  if (scheme === undefined)
    scheme = optionalBoolean(m, "add_prefix_space", true, file, key) ? "always" : "never";
  if (scheme !== "always" && scheme !== "first" && scheme !== "never") {
    throw invalid(
      file,
      `${key}.prepend_scheme`,
      `must be "always", "first" or "never", got ${describe(scheme)}`,
    );
  }
  return { replacement, prependScheme: scheme, split: optionalBoolean(m, "split", true, file, key) };
}

function parseUnigram(value: unknown, file: string): UnigramModel {
  const m = expectObject(value, file, "model");
  if (m.type !== "Unigram") throw unsupported(file, "model.type", describe(m.type));
  if (!Array.isArray(m.vocab) || m.vocab.length === 0)
    throw invalid(file, "model.vocab", "must be a non-empty array");
  const pieces = m.vocab.map((entry, i): [string, number] => {
    if (
      !Array.isArray(entry) ||
      typeof entry[0] !== "string" ||
      typeof entry[1] !== "number" ||
      !Number.isFinite(entry[1])
    ) {
      throw invalid(file, `model.vocab[${i}]`, `must be [piece, finite score], got ${describe(entry)}`);
    }
    return [entry[0], entry[1]];
  });
  const unk = m.unk_id;
  if (
    unk !== undefined &&
    unk !== null &&
    (typeof unk !== "number" || !Number.isInteger(unk) || unk < 0 || unk >= pieces.length)
  ) {
    throw invalid(file, "model.unk_id", `must be an index into model.vocab, got ${describe(unk)}`);
  }
  return new UnigramModel(
    pieces,
    typeof unk === "number" ? unk : undefined,
    optionalBoolean(m, "byte_fallback", false, file, "model"),
  );
}

/** Parses a Unigram `tokenizer.json`; unsupported parts are `TOKENIZER_UNSUPPORTED`, malformed ones `TOKENIZER_FILE_INVALID`. */
export function parseUnigramTokenizerJson(json: unknown, file: string): UnigramTokenizerSpec {
  const root = expectObject(json, file, "(root)");
  const normalizers: NormalizerStep[] = [];
  parseNormalizer(root.normalizer, file, "normalizer", normalizers);
  const metaspace =
    root.pre_tokenizer === undefined || root.pre_tokenizer === null
      ? undefined
      : parseMetaspace(root.pre_tokenizer, file, "pre_tokenizer");
  const decoder =
    root.decoder === undefined || root.decoder === null
      ? undefined
      : parseMetaspace(root.decoder, file, "decoder");
  const model = parseUnigram(root.model, file);
  const addedTokens = parseAddedTokens(root.added_tokens, file);
  const postProcessor = parsePostProcessor(root.post_processor, file, false);
  for (const [name, tokens] of postProcessor.specialTokens) {
    for (const id of tokens.ids) {
      if (id >= model.pieces.length && !addedTokens.some((t) => t.id === id)) {
        throw invalid(
          file,
          `post_processor.special_tokens.${name}`,
          `names id ${id}, which is not in the vocabulary`,
        );
      }
    }
  }
  return { normalizers, metaspace, decoder, model, addedTokens, postProcessor };
}

interface Sink {
  ids: number[];
  starts: number[];
  ends: number[];
  wordIds: number[];
  tokens: string[] | undefined;
}

/** The encoding pipeline of a Unigram tokenizer.json. */
export class UnigramJsonCore {
  readonly added: AddedVocabulary;
  private readonly addedById = new Map<number, string>();
  private readonly specialIds = new Set<number>();

  constructor(readonly spec: UnigramTokenizerSpec) {
    this.added = new AddedVocabulary(spec.addedTokens);
    for (const t of spec.addedTokens) {
      this.addedById.set(t.id, t.content);
      if (t.special) this.specialIds.add(t.id);
    }
  }

  get addedTokens(): readonly AddedToken[] {
    return this.spec.addedTokens;
  }

  get pieceToId(): ReadonlyMap<string, number> {
    return this.spec.model.pieceToId;
  }

  get vocabSize(): number {
    let size = this.spec.model.pieces.length;
    for (const id of this.addedById.keys()) if (id >= size) size = id + 1;
    return size;
  }

  isSpecialId(id: number): boolean {
    return this.specialIds.has(id);
  }

  tokenToId(token: string): number | undefined {
    return this.added.get(token)?.id ?? this.spec.model.pieceToId.get(token);
  }

  idToToken(id: number): string | undefined {
    return this.addedById.get(id) ?? this.spec.model.pieces[id]?.[0];
  }

  /** The tokens of one sequence as tokenizers reports them (fused unknowns keep their surface). */
  tokenize(input: SequenceInput): string[] {
    const tokens: string[] = [];
    this.encodeSequence(input, 0, tokens);
    return tokens;
  }

  encodeSequence(input: SequenceInput, sequence: 0 | 1, tokens?: string[]): Encoding {
    const sink: Sink = { ids: [], starts: [], ends: [], wordIds: [], tokens };
    if (typeof input === "string") this.encodeText(input, sink, 0, false);
    else for (let i = 0; i < input.length; i++) this.encodeText(input[i]!, sink, i, true);
    return sequenceEncoding(sink.ids, sink.starts, sink.ends, sink.wordIds, sequence);
  }

  private encodeText(text: string, out: Sink, firstWord: number, fixedWord: boolean): void {
    let word = firstWord;
    const push = (id: number, start: number, end: number, token: string) => {
      out.ids.push(id);
      out.starts.push(start);
      out.ends.push(end);
      out.wordIds.push(word);
      out.tokens?.push(token);
    };
    const meta = this.spec.metaspace;
    for (const segment of this.added.split(text)) {
      if (segment.id !== undefined) {
        push(segment.id, segment.start, segment.end, this.addedById.get(segment.id)!);
        if (!fixedWord) word++;
        continue;
      }
      const s = NormalizedString.from(text.slice(segment.start, segment.end), segment.start);
      for (const step of this.spec.normalizers) step(s);
      if (s.text.length === 0) continue;
      const words: [number, number][] = [];
      if (meta === undefined) words.push([0, s.text.length]);
      else {
        // Each space becomes the replacement with the space's own span: a one-unit replacement keeps the spans.
        if (meta.replacement.length === 1) s.text = s.text.replaceAll(" ", meta.replacement);
        else s.replace(/ /g, meta.replacement);
        const prepend =
          meta.prependScheme === "always" ||
          (meta.prependScheme === "first" && segment.start === 0 && fixedWord === false);
        if (prepend && !s.text.startsWith(meta.replacement)) s.prepend(meta.replacement);
        if (!meta.split) words.push([0, s.text.length]);
        else {
          // MergedWithNext: each replacement starts a word.
          const r = meta.replacement;
          let start = 0;
          for (let i = s.text.indexOf(r, 1); i !== -1; i = s.text.indexOf(r, i + r.length)) {
            if (i > start) words.push([start, i]);
            start = i;
          }
          if (s.text.length > start) words.push([start, s.text.length]);
        }
      }
      for (const [ws, we] of words) {
        for (const t of this.spec.model.tokenize(s.text.slice(ws, we))) {
          const a = ws + t.start;
          const b = ws + t.end;
          push(t.id, s.starts[a]!, b > a ? s.ends[b - 1]! : s.starts[a]!, t.value);
        }
        if (!fixedWord) word++;
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

  /** tokenizers' decode: tokens of the ids (special ones dropped when asked) through the Metaspace decoder. */
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
    const d = this.spec.decoder;
    if (d === undefined) return tokens.join("");
    // As tokenizers' Metaspace decoder: every replacement character of the first token is dropped (not only
    // a leading one) unless prepend_scheme is "never"; elsewhere each becomes a space.
    return tokens
      .map((token, i) => token.replaceAll(d.replacement, i === 0 && d.prependScheme !== "never" ? "" : " "))
      .join("");
  }
}
