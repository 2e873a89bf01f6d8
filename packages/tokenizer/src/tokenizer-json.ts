import type { AddedToken } from "./added-vocabulary.js";
import { BpeModel, MAX_TOKEN_ID } from "./bpe.js";
import { TokenizerError } from "./errors.js";
import type { PostProcessorSpec, SpecialTokenIds, TemplatePiece } from "./post-processor.js";

/** Everything the encoder needs, parsed out of a `tokenizer.json` (or built for the Hub vocab layout). */
export interface TokenizerSpec {
  model: BpeModel;
  addedTokens: AddedToken[];
  preTokenizer: { addPrefixSpace: boolean; useRegex: boolean };
  postProcessor: PostProcessorSpec;
  /** Whether ids are decoded through the byte-level alphabet (false: tokens are joined as they are). */
  byteLevelDecoder: boolean;
}

type Json = Record<string, unknown>;

export function invalid(file: string, key: string, message: string): TokenizerError {
  return new TokenizerError("TOKENIZER_FILE_INVALID", `${file}: \`${key}\` ${message}`, { file, key });
}

export function unsupported(file: string, key: string, what: string): TokenizerError {
  return new TokenizerError(
    "TOKENIZER_UNSUPPORTED",
    `${file}: \`${key}\` is ${what}, which @deberta/tokenizer does not implement (it implements byte-level BPE: ` +
      "BPE model, ByteLevel pre-tokenizer and decoder, Template/Roberta/Bert/ByteLevel post-processors)",
    { file, key },
  );
}

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function expectObject(value: unknown, file: string, key: string): Json {
  if (!isObject(value)) throw invalid(file, key, `must be an object, got ${describe(value)}`);
  return value;
}

export function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "string" ? `the string "${value}"` : typeof value;
}

function isTokenId(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= MAX_TOKEN_ID;
}

/** A template's type id: tokenizers stores a u32; it ends up in int64 tensors, so it must be an integer. */
function typeId(value: unknown, file: string, key: string): number {
  if (value === undefined || value === null) return 0;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw invalid(file, key, `must be a non-negative integer type id, got ${describe(value)}`);
  }
  return value;
}

export function optionalBoolean(
  obj: Json,
  name: string,
  fallback: boolean,
  file: string,
  key: string,
): boolean {
  const value = obj[name];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== "boolean")
    throw invalid(file, `${key}.${name}`, `must be a boolean, got ${describe(value)}`);
  return value;
}

export function parseVocab(value: unknown, file: string, key: string): Map<string, number> {
  const obj = expectObject(value, file, key);
  const vocab = new Map<string, number>();
  for (const [token, id] of Object.entries(obj)) {
    if (typeof id !== "number" || !Number.isInteger(id) || id < 0 || id > MAX_TOKEN_ID) {
      throw invalid(
        file,
        `${key}["${token}"]`,
        `must be an integer id in [0, ${MAX_TOKEN_ID}], got ${describe(id)}${typeof id === "number" ? ` ${id}` : ""}`,
      );
    }
    vocab.set(token, id);
  }
  return vocab;
}

/** Merges come as "a b" strings (tokenizers < 0.20 and merges.txt) or as [a, b] pairs. */
export function parseMerges(value: unknown, file: string, key: string): [string, string][] {
  if (!Array.isArray(value)) throw invalid(file, key, `must be an array, got ${describe(value)}`);
  return value.map((entry, i) => {
    if (typeof entry === "string") {
      const space = entry.indexOf(" ", 1);
      if (space < 0) throw invalid(file, `${key}[${i}]`, `must be "left right", got "${entry}"`);
      return [entry.slice(0, space), entry.slice(space + 1)];
    }
    if (
      Array.isArray(entry) &&
      entry.length === 2 &&
      typeof entry[0] === "string" &&
      typeof entry[1] === "string"
    ) {
      return [entry[0], entry[1]];
    }
    throw invalid(file, `${key}[${i}]`, `must be a "left right" string or a [left, right] pair`);
  });
}

function parseModel(value: unknown, file: string): BpeModel {
  const model = expectObject(value, file, "model");
  if (model.type !== undefined && model.type !== "BPE") {
    throw unsupported(file, "model.type", `"${String(model.type)}"`);
  }
  if (model.dropout !== undefined && model.dropout !== null && model.dropout !== 0) {
    throw unsupported(file, "model.dropout", `${String(model.dropout)} (BPE dropout)`);
  }
  for (const name of ["continuing_subword_prefix", "end_of_word_suffix"] as const) {
    const v = model[name];
    if (v !== undefined && v !== null && v !== "") throw unsupported(file, `model.${name}`, `"${String(v)}"`);
  }
  if (optionalBoolean(model, "byte_fallback", false, file, "model")) {
    throw unsupported(file, "model.byte_fallback", "true");
  }
  const unk = model.unk_token;
  if (unk !== undefined && unk !== null && typeof unk !== "string") {
    throw invalid(file, "model.unk_token", `must be a string or null, got ${describe(unk)}`);
  }
  return new BpeModel(
    parseVocab(model.vocab, file, "model.vocab"),
    parseMerges(model.merges, file, "model.merges"),
    {
      unkToken: unk ?? null,
      fuseUnk: optionalBoolean(model, "fuse_unk", false, file, "model"),
      ignoreMerges: optionalBoolean(model, "ignore_merges", false, file, "model"),
      file,
    },
  );
}

export function parseAddedTokens(value: unknown, file: string): AddedToken[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalid(file, "added_tokens", `must be an array, got ${describe(value)}`);
  return value.map((raw, i) => {
    const key = `added_tokens[${i}]`;
    const t = expectObject(raw, file, key);
    if (!isTokenId(t.id)) {
      throw invalid(
        file,
        `${key}.id`,
        `must be an integer id in [0, ${MAX_TOKEN_ID}], got ${describe(t.id)}`,
      );
    }
    if (typeof t.content !== "string")
      throw invalid(file, `${key}.content`, `must be a string, got ${describe(t.content)}`);
    const special = optionalBoolean(t, "special", false, file, key);
    return {
      id: t.id,
      content: t.content,
      single_word: optionalBoolean(t, "single_word", false, file, key),
      lstrip: optionalBoolean(t, "lstrip", false, file, key),
      rstrip: optionalBoolean(t, "rstrip", false, file, key),
      normalized: optionalBoolean(t, "normalized", !special, file, key),
      special,
    };
  });
}

function parsePreTokenizer(value: unknown, file: string): TokenizerSpec["preTokenizer"] {
  if (value === undefined || value === null) {
    throw unsupported(file, "pre_tokenizer", "null (a byte-level BPE needs the ByteLevel pre-tokenizer)");
  }
  const pre = expectObject(value, file, "pre_tokenizer");
  if (pre.type === "Sequence" && Array.isArray(pre.pretokenizers) && pre.pretokenizers.length === 1) {
    return parsePreTokenizer(pre.pretokenizers[0], file);
  }
  if (pre.type !== "ByteLevel") throw unsupported(file, "pre_tokenizer.type", `"${String(pre.type)}"`);
  return {
    addPrefixSpace: optionalBoolean(pre, "add_prefix_space", true, file, "pre_tokenizer"),
    useRegex: optionalBoolean(pre, "use_regex", true, file, "pre_tokenizer"),
  };
}

function parseTemplate(value: unknown, file: string, key: string): TemplatePiece[] {
  // tokenizer.json always stores the list form; the "[CLS]:0 $A:0 [SEP]:0" string form is accepted too.
  if (typeof value === "string") {
    return value
      .split(/\s+/)
      .filter((s) => s.length > 0)
      .map((item) => {
        const colon = item.lastIndexOf(":");
        const hasType = colon > 0 && /^\d+$/.test(item.slice(colon + 1));
        const name = hasType ? item.slice(0, colon) : item;
        const typeId = hasType ? Number(item.slice(colon + 1)) : 0;
        if (name === "$" || name === "$A" || name === "$a" || name === "$0")
          return { kind: "sequence", sequence: 0, typeId };
        if (name === "$B" || name === "$b" || name === "$1") return { kind: "sequence", sequence: 1, typeId };
        return { kind: "special", name, typeId };
      });
  }
  if (!Array.isArray(value)) throw invalid(file, key, `must be an array, got ${describe(value)}`);
  return value.map((raw, i): TemplatePiece => {
    const piece = expectObject(raw, file, `${key}[${i}]`);
    if (isObject(piece.Sequence)) {
      const seq = piece.Sequence;
      const typeKey = `${key}[${i}].Sequence.type_id`;
      return {
        kind: "sequence",
        sequence: seq.id === "B" ? 1 : 0,
        typeId: typeId(seq.type_id, file, typeKey),
      };
    }
    if (isObject(piece.SpecialToken)) {
      const tok = piece.SpecialToken;
      if (typeof tok.id !== "string") throw invalid(file, `${key}[${i}].SpecialToken.id`, "must be a string");
      const typeKey = `${key}[${i}].SpecialToken.type_id`;
      return { kind: "special", name: tok.id, typeId: typeId(tok.type_id, file, typeKey) };
    }
    throw invalid(file, `${key}[${i}]`, "must be a {Sequence} or {SpecialToken} piece");
  });
}

function tokenPair(value: unknown, file: string, key: string): [string, number] {
  if (Array.isArray(value) && typeof value[0] === "string" && isTokenId(value[1]))
    return [value[0], value[1]];
  throw invalid(file, key, `must be a [token, id] pair, got ${describe(value)}`);
}

const plainSequences: TemplatePiece[] = [{ kind: "sequence", sequence: 0, typeId: 0 }];
const plainPair: TemplatePiece[] = [...plainSequences, { kind: "sequence", sequence: 1, typeId: 1 }];

export function parsePostProcessor(value: unknown, file: string, addPrefixSpace: boolean): PostProcessorSpec {
  const base: PostProcessorSpec = {
    single: plainSequences,
    pair: plainPair,
    specialTokens: new Map(),
    trimOffsets: false,
    addPrefixSpace,
    zeroTypeIds: false,
  };
  if (value === undefined || value === null) return base;
  const pp = expectObject(value, file, "post_processor");
  const seqA = (typeId: number): TemplatePiece => ({ kind: "sequence", sequence: 0, typeId });
  const seqB = (typeId: number): TemplatePiece => ({ kind: "sequence", sequence: 1, typeId });
  const special = (name: string, typeId: number): TemplatePiece => ({ kind: "special", name, typeId });
  switch (pp.type) {
    case "TemplateProcessing": {
      const specialTokens = new Map<string, SpecialTokenIds>();
      const raw = expectObject(pp.special_tokens ?? {}, file, "post_processor.special_tokens");
      for (const [name, entry] of Object.entries(raw)) {
        const t = expectObject(entry, file, `post_processor.special_tokens["${name}"]`);
        if (!Array.isArray(t.ids) || !t.ids.every(isTokenId)) {
          throw invalid(file, `post_processor.special_tokens["${name}"].ids`, "must be an array of ids");
        }
        specialTokens.set(name, { ids: t.ids as number[] });
      }
      const single = parseTemplate(pp.single, file, "post_processor.single");
      const pair = parseTemplate(pp.pair, file, "post_processor.pair");
      for (const [key, template] of [
        ["post_processor.single", single],
        ["post_processor.pair", pair],
      ] as const) {
        for (const piece of template) {
          if (piece.kind === "special" && !specialTokens.has(piece.name)) {
            throw invalid(
              file,
              key,
              `names special token "${piece.name}", which post_processor.special_tokens lacks`,
            );
          }
        }
      }
      return { ...base, single, pair, specialTokens };
    }
    case "RobertaProcessing":
    case "BertProcessing": {
      const [sepToken, sepId] = tokenPair(pp.sep, file, "post_processor.sep");
      const [clsToken, clsId] = tokenPair(pp.cls, file, "post_processor.cls");
      const specialTokens = new Map<string, SpecialTokenIds>([
        [clsToken, { ids: [clsId] }],
        [sepToken, { ids: [sepId] }],
      ]);
      const single = [special(clsToken, 0), seqA(0), special(sepToken, 0)];
      if (pp.type === "BertProcessing") {
        return { ...base, single, pair: [...single, seqB(1), special(sepToken, 1)], specialTokens };
      }
      return {
        ...base,
        single,
        pair: [...single, special(sepToken, 0), seqB(0), special(sepToken, 0)],
        specialTokens,
        trimOffsets: optionalBoolean(pp, "trim_offsets", true, file, "post_processor"),
        addPrefixSpace: optionalBoolean(pp, "add_prefix_space", true, file, "post_processor"),
        zeroTypeIds: true,
      };
    }
    case "ByteLevel":
      return { ...base, trimOffsets: optionalBoolean(pp, "trim_offsets", true, file, "post_processor") };
    default:
      throw unsupported(file, "post_processor.type", `"${String(pp.type)}"`);
  }
}

/** Parses a `tokenizer.json` document into a {@link TokenizerSpec}, naming `file` in every error. */
export function parseTokenizerJson(json: unknown, file: string): TokenizerSpec {
  const root = expectObject(json, file, "(root)");
  if (root.normalizer !== undefined && root.normalizer !== null) {
    const type = isObject(root.normalizer) ? String(root.normalizer.type) : describe(root.normalizer);
    throw unsupported(file, "normalizer", `"${type}"`);
  }
  const preTokenizer = parsePreTokenizer(root.pre_tokenizer, file);
  let byteLevelDecoder = true;
  if (root.decoder === null || root.decoder === undefined) byteLevelDecoder = false;
  else {
    const decoder = expectObject(root.decoder, file, "decoder");
    if (decoder.type !== "ByteLevel") throw unsupported(file, "decoder.type", `"${String(decoder.type)}"`);
  }
  return {
    model: parseModel(root.model, file),
    addedTokens: parseAddedTokens(root.added_tokens, file),
    preTokenizer,
    postProcessor: parsePostProcessor(root.post_processor, file, preTokenizer.addPrefixSpace),
    byteLevelDecoder,
  };
}
