// The DebertaV2Tokenizer class (DeBERTa-v2 / v3 / mDeBERTa, SentencePiece Unigram): loading from `spm.model` +
// `tokenizer_config.json`, special tokens, vocabulary and the same callable API as DebertaTokenizer (pairs,
// truncation strategies, padding, stride/overflow, UTF-16 offsets, special-tokens mask, word ids, decode).
import type { Tensor } from "onnxruntime-common";
import type { AddedToken } from "./added-vocabulary.js";
import { padRows, toBatchEncoding } from "./batch-encoding.js";
import {
  type BatchEncoding,
  resolvePaddingTruncation,
  type TokenizerCallOptions,
  toBatch,
} from "./call-options.js";
import type { DecodeOptions } from "./deberta-tokenizer.js";
import type { Encoding } from "./encoding.js";
import { argumentError, TokenizerError } from "./errors.js";
import { joinLocation, parseJsonFile, readBinaryFile, readTextFile } from "./load.js";
import { parseSentencePieceModel } from "./sentencepiece-model.js";
import { SentencePieceProcessor } from "./sentencepiece-processor.js";
import { SpmCore } from "./spm-core.js";
import { cleanUpTokenization, type IdsLike, toIdList } from "./token-ids.js";
import {
  parseSpecialToken,
  parseTokenizerConfig,
  SPECIAL_TOKEN_KEYS,
  type SpecialTokenKey,
  type TokenizerConfig,
} from "./tokenizer-config.js";
import type { SequenceInput, TruncationParams } from "./tokenizer-core.js";
import { parseUnigramTokenizerJson, UnigramJsonCore } from "./unigram-json.js";

export interface DebertaV2TokenizerOptions {
  model_max_length?: number;
  padding_side?: "right" | "left";
  truncation_side?: "right" | "left";
  /** Overrides `do_lower_case` of tokenizer_config.json. */
  do_lower_case?: boolean;
  /** Overrides `split_by_punct` of tokenizer_config.json. */
  split_by_punct?: boolean;
}

/** transformers' DebertaV2Tokenizer defaults (plain special tokens: no whitespace stripping). */
const V2_SPECIAL_TOKENS: Record<SpecialTokenKey, string> = {
  bos_token: "[CLS]",
  eos_token: "[SEP]",
  unk_token: "[UNK]",
  sep_token: "[SEP]",
  pad_token: "[PAD]",
  cls_token: "[CLS]",
  mask_token: "[MASK]",
};

function configFlag(config: TokenizerConfig, key: string, file: string): boolean {
  const value = config.raw[key];
  if (value === undefined || value === null) return false;
  if (typeof value !== "boolean") {
    throw new TokenizerError("TOKENIZER_FILE_INVALID", `${file}: \`${key}\` must be a boolean`, {
      file,
      key,
    });
  }
  return value;
}

/**
 * The special tokens: `added_tokens_decoder` of tokenizer_config.json when it has one (ids as written), then
 * every special token string, with the model's id for a piece it has and a new id past the vocabulary
 * otherwise (as transformers adds `[MASK]`).
 */
function buildAddedTokens(
  sp: SentencePieceProcessor,
  config: TokenizerConfig,
  specialStrings: Record<SpecialTokenKey, string>,
  file: string,
): AddedToken[] {
  const tokens: AddedToken[] = [];
  const byContent = new Map<string, AddedToken>();
  const decoder = config.raw.added_tokens_decoder;
  if (decoder !== undefined && decoder !== null) {
    if (typeof decoder !== "object" || Array.isArray(decoder)) {
      throw new TokenizerError(
        "TOKENIZER_FILE_INVALID",
        `${file}: \`added_tokens_decoder\` must be an object`,
        {
          file,
          key: "added_tokens_decoder",
        },
      );
    }
    for (const [idText, value] of Object.entries(decoder as Record<string, unknown>)) {
      const key = `added_tokens_decoder.${idText}`;
      const id = Number(idText);
      const spec = parseSpecialToken(value, file, key);
      if (!Number.isInteger(id) || id < 0 || spec === undefined) {
        throw new TokenizerError("TOKENIZER_FILE_INVALID", `${file}: \`${key}\` is not an id with a token`, {
          file,
          key,
        });
      }
      const special = (value as { special?: unknown }).special !== false;
      const token: AddedToken = {
        id,
        content: spec.content,
        single_word: spec.single_word ?? false,
        lstrip: spec.lstrip ?? false,
        rstrip: spec.rstrip ?? false,
        normalized: false,
        special,
      };
      tokens.push(token);
      byContent.set(token.content, token);
    }
  }
  let nextId = sp.model.pieces.length;
  for (const t of tokens) nextId = Math.max(nextId, t.id + 1);
  for (const key of SPECIAL_TOKEN_KEYS) {
    const content = specialStrings[key];
    if (byContent.has(content)) continue;
    const spec = config.specialTokens[key];
    const token: AddedToken = {
      id: sp.pieceToId.get(content) ?? nextId++,
      content,
      single_word: spec?.single_word ?? false,
      lstrip: spec?.lstrip ?? false,
      rstrip: spec?.rstrip ?? false,
      normalized: false,
      special: true,
    };
    tokens.push(token);
    byContent.set(content, token);
  }
  return tokens;
}

/** What encodes and decodes: the SentencePiece pipeline of spm.model, or a Unigram tokenizer.json. */
export type DebertaV2Core = SpmCore | UnigramJsonCore;

function asConfig(config: TokenizerConfig | Record<string, unknown>, file: string): TokenizerConfig {
  return "raw" in config && "specialTokens" in config
    ? (config as TokenizerConfig)
    : parseTokenizerConfig(config, file);
}

function specialStrings(config: TokenizerConfig): Record<SpecialTokenKey, string> {
  const strings = { ...V2_SPECIAL_TOKENS };
  for (const key of SPECIAL_TOKEN_KEYS) {
    const spec = config.specialTokens[key];
    if (spec !== undefined) strings[key] = spec.content;
  }
  return strings;
}

/** Set on every DebertaV2Tokenizer, so that one made by another copy of this package is still recognised. */
export const DEBERTA_V2_TOKENIZER_BRAND: unique symbol = Symbol.for("@deberta/tokenizer:DebertaV2Tokenizer");

export interface DebertaV2Tokenizer {
  /** Tokenizes one text (or pair), or a batch; see {@link TokenizerCallOptions}. */
  // biome-ignore lint/style/useShorthandFunctionType: merged with the class below to make instances callable.
  (
    text: string | readonly string[] | readonly (readonly string[])[],
    options?: TokenizerCallOptions,
  ): BatchEncoding;
}

/**
 * The DeBERTa-v2 / v3 tokenizer (SentencePiece Unigram) with transformers' API, following the original
 * `DebertaV2Tokenizer` of transformers exactly (the model's own NFKC normalization, `[CLS] A [SEP] B [SEP]`).
 *
 * @example
 * ```ts
 * import { DebertaV2Tokenizer } from "@deberta/tokenizer";
 * const tokenizer = await DebertaV2Tokenizer.from_pretrained("./deberta-v3-base"); // spm.model + tokenizer_config.json
 * const { input_ids, offset_mapping } = tokenizer("Hello world", { text_pair: "Hi", return_offsets_mapping: true });
 * tokenizer.decode(input_ids as number[], { skip_special_tokens: true }); // "Hello world Hi"
 * ```
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the interface adds the call signature of the callable instance.
export class DebertaV2Tokenizer {
  declare readonly core: DebertaV2Core;
  declare readonly config: TokenizerConfig;
  declare model_max_length: number;
  declare padding_side: "right" | "left";
  declare truncation_side: "right" | "left";
  declare private readonly specialTokenStrings: Record<SpecialTokenKey, string>;

  /** Puts the transformers API on an encoding core; see {@link from_pretrained} and the `from_*` builders. */
  constructor(
    core: DebertaV2Core,
    config: TokenizerConfig | Record<string, unknown> = {},
    options: DebertaV2TokenizerOptions = {},
    configFile = "tokenizer_config.json",
  ) {
    const self = ((text: Parameters<DebertaV2Tokenizer>[0], callOptions?: TokenizerCallOptions) =>
      self.call_(text, callOptions)) as unknown as DebertaV2Tokenizer;
    Object.setPrototypeOf(self, new.target.prototype);
    const parsed = asConfig(config, configFile);
    Object.assign(self, { core, config: parsed, specialTokenStrings: specialStrings(parsed) });
    const maxLength = options.model_max_length;
    if (maxLength !== undefined && (!Number.isInteger(maxLength) || maxLength <= 0)) {
      throw argumentError("model_max_length", `must be a positive integer, got ${maxLength}`);
    }
    self.model_max_length = maxLength ?? parsed.model_max_length;
    self.padding_side = options.padding_side ?? parsed.padding_side;
    self.truncation_side = options.truncation_side ?? parsed.truncation_side;
    // biome-ignore lint/correctness/noConstructorReturn: returning the callable is the point.
    return self;
  }

  /**
   * From the bytes of `spm.model` and tokenizer_config.json (parsed or raw): transformers' original
   * (SentencePiece) DebertaV2Tokenizer. Malformed bytes throw a `TokenizerError` naming `file` and the field.
   */
  static from_spm(
    spmModel: Uint8Array,
    config: TokenizerConfig | Record<string, unknown> = {},
    options: DebertaV2TokenizerOptions = {},
    file = "spm.model",
    configFile = "tokenizer_config.json",
  ): DebertaV2Tokenizer {
    const parsed = asConfig(config, configFile);
    const sp = new SentencePieceProcessor(parseSentencePieceModel(spmModel, file), file);
    const strings = specialStrings(parsed);
    const added = buildAddedTokens(sp, parsed, strings, configFile);
    const idOf = (key: SpecialTokenKey) => added.find((t) => t.content === strings[key])!.id;
    const core = new SpmCore(sp, added, {
      doLowerCase: options.do_lower_case ?? configFlag(parsed, "do_lower_case", configFile),
      splitByPunct: options.split_by_punct ?? configFlag(parsed, "split_by_punct", configFile),
      clsId: idOf("cls_token"),
      sepId: idOf("sep_token"),
    });
    return new DebertaV2Tokenizer(core, parsed, options, configFile);
  }

  /**
   * From a parsed `tokenizer.json` (Unigram layout, as transformers 4.x and 5.x write for DeBERTa-v2/v3), followed
   * exactly; tokenizer_config.json only adds the call defaults and special token names.
   */
  static from_tokenizer_json(
    json: unknown,
    config: TokenizerConfig | Record<string, unknown> = {},
    options: DebertaV2TokenizerOptions = {},
    file = "tokenizer.json",
    configFile = "tokenizer_config.json",
  ): DebertaV2Tokenizer {
    const core = new UnigramJsonCore(parseUnigramTokenizerJson(json, file));
    return new DebertaV2Tokenizer(core, config, options, configFile);
  }

  /**
   * Loads a tokenizer from a folder or URL: `tokenizer.json` when there is one (what fine-tuned checkpoints
   * ship), else `spm.model` (what `microsoft/deberta-v3-*` ship), plus `tokenizer_config.json`.
   */
  static async from_pretrained(
    location: string,
    options: DebertaV2TokenizerOptions = {},
  ): Promise<DebertaV2Tokenizer> {
    const configFile = joinLocation(location, "tokenizer_config.json");
    const configText = await readTextFile(configFile);
    const config = parseTokenizerConfig(
      configText === undefined ? {} : parseJsonFile(configText, configFile),
      configFile,
    );
    const jsonFile = joinLocation(location, "tokenizer.json");
    const jsonText = await readTextFile(jsonFile);
    if (jsonText !== undefined) {
      return DebertaV2Tokenizer.from_tokenizer_json(
        parseJsonFile(jsonText, jsonFile),
        config,
        options,
        jsonFile,
        configFile,
      );
    }
    const spmFile = joinLocation(location, "spm.model");
    const bytes = await readBinaryFile(spmFile);
    if (bytes === undefined) {
      throw new TokenizerError(
        "TOKENIZER_FILE_MISSING",
        `${location} holds neither tokenizer.json nor spm.model`,
        {
          file: spmFile,
        },
      );
    }
    return DebertaV2Tokenizer.from_spm(bytes, config, options, spmFile, configFile);
  }

  /** See {@link DEBERTA_V2_TOKENIZER_BRAND}. */
  get [DEBERTA_V2_TOKENIZER_BRAND](): true {
    return true;
  }

  private specialTokenId(key: SpecialTokenKey): number | null {
    return this.core.tokenToId(this.specialTokenStrings[key]) ?? null;
  }

  get cls_token(): string {
    return this.specialTokenStrings.cls_token;
  }
  get sep_token(): string {
    return this.specialTokenStrings.sep_token;
  }
  get pad_token(): string {
    return this.specialTokenStrings.pad_token;
  }
  get unk_token(): string {
    return this.specialTokenStrings.unk_token;
  }
  get mask_token(): string {
    return this.specialTokenStrings.mask_token;
  }
  get bos_token(): string {
    return this.specialTokenStrings.bos_token;
  }
  get eos_token(): string {
    return this.specialTokenStrings.eos_token;
  }
  get cls_token_id(): number | null {
    return this.specialTokenId("cls_token");
  }
  get sep_token_id(): number | null {
    return this.specialTokenId("sep_token");
  }
  get pad_token_id(): number | null {
    return this.specialTokenId("pad_token");
  }
  get unk_token_id(): number | null {
    return this.specialTokenId("unk_token");
  }
  get mask_token_id(): number | null {
    return this.specialTokenId("mask_token");
  }
  get bos_token_id(): number | null {
    return this.specialTokenId("bos_token");
  }
  get eos_token_id(): number | null {
    return this.specialTokenId("eos_token");
  }

  get all_special_tokens(): string[] {
    const tokens = new Set<string>(Object.values(this.specialTokenStrings));
    for (const t of this.core.addedTokens) if (t.special) tokens.add(t.content);
    return [...tokens];
  }

  get all_special_ids(): number[] {
    return this.all_special_tokens
      .map((t) => this.core.tokenToId(t))
      .filter((id): id is number => id !== undefined);
  }

  /** Size of the vocabulary including added tokens (transformers' `len(tokenizer)`). */
  get vocab_size(): number {
    return this.core.vocabSize;
  }

  get_vocab(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [piece, id] of this.core.pieceToId) out[piece] = id;
    for (const t of this.core.addedTokens) out[t.content] = t.id;
    return out;
  }

  /** The SentencePiece pieces of `text` (unknown runs keep their surface text), without special tokens. */
  tokenize(text: string): string[] {
    return this.core.tokenize(text);
  }

  encode(
    text: string,
    options: Omit<TokenizerCallOptions, "return_tensor" | "return_overflowing_tokens"> = {},
  ): number[] {
    return this.call_(text, options).input_ids as number[];
  }

  convert_tokens_to_ids(tokens: string): number;
  convert_tokens_to_ids(tokens: readonly string[]): number[];
  convert_tokens_to_ids(tokens: string | readonly string[]): number | number[] {
    const unk = this.unk_token_id;
    const one = (token: string): number => {
      const id = this.core.tokenToId(token) ?? unk;
      if (id === null)
        throw argumentError("tokens", `"${token}" is not in the vocabulary and there is no unk_token`);
      return id;
    };
    return typeof tokens === "string" ? one(tokens) : tokens.map(one);
  }

  convert_ids_to_tokens(ids: number, options?: { skip_special_tokens?: boolean }): string;
  convert_ids_to_tokens(ids: IdsLike, options?: { skip_special_tokens?: boolean }): string[];
  convert_ids_to_tokens(
    ids: number | IdsLike,
    options: { skip_special_tokens?: boolean } = {},
  ): string | string[] {
    const one = (id: number): string => {
      const token = this.core.idToToken(id);
      if (token === undefined)
        throw argumentError("ids", `token id ${id} is not in the vocabulary (size ${this.vocab_size})`);
      return token;
    };
    if (typeof ids === "number") return one(ids);
    return toIdList(ids, "ids")
      .filter((id) => !(options.skip_special_tokens && this.core.isSpecialId(id)))
      .map(one);
  }

  decode(ids: IdsLike, options: DecodeOptions = {}): string {
    const text = this.core.decode(toIdList(ids, "ids"), options.skip_special_tokens ?? false);
    const cleanUp = options.clean_up_tokenization_spaces ?? this.config.clean_up_tokenization_spaces;
    return cleanUp ? cleanUpTokenization(text) : text;
  }

  batch_decode(batch: readonly IdsLike[] | Tensor, options: DecodeOptions = {}): string[] {
    if (!Array.isArray(batch)) {
      const tensor = batch as Tensor;
      if (tensor.dims.length !== 2)
        throw argumentError("batch", `expected a 2-D tensor, got dims [${tensor.dims.join(", ")}]`);
      const [rows, cols] = tensor.dims as [number, number];
      const flat = toIdList(tensor, "batch");
      return Array.from({ length: rows }, (_, r) =>
        this.decode(flat.slice(r * cols, (r + 1) * cols), options),
      );
    }
    return (batch as readonly IdsLike[]).map((ids) => this.decode(ids, options));
  }

  private call_(
    text: string | readonly string[] | readonly (readonly string[])[],
    options: TokenizerCallOptions = {},
  ): BatchEncoding {
    const splitWords = options.is_split_into_words ?? false;
    const { batch, isBatched } = toBatch(text, splitWords, "text");
    let pairs: SequenceInput[] | undefined;
    // transformers' fast tokenizers (what a tokenizer.json loads as) encode a single text with an empty
    // text_pair as a single text (`if text_pair`); the original SentencePiece tokenizer keeps the pair.
    const dropEmptyPair = this.core instanceof UnigramJsonCore && options.text_pair === "";
    if (options.text_pair !== undefined && options.text_pair !== null && !dropEmptyPair) {
      const pair = toBatch(options.text_pair, splitWords, "text_pair");
      if (pair.isBatched !== isBatched || pair.batch.length !== batch.length) {
        throw argumentError(
          "text_pair",
          `must match \`text\`: got ${pair.batch.length} pair sequence(s) for ${batch.length} sequence(s)`,
        );
      }
      pairs = pair.batch;
    }
    const addSpecialTokens = options.add_special_tokens ?? true;
    const { padding, truncation, maxLength } = resolvePaddingTruncation(options, this.model_max_length);
    const stride = options.stride ?? 0;
    if (!Number.isInteger(stride) || stride < 0)
      throw argumentError("stride", `must be a non-negative integer, got ${stride}`);
    const truncationParams: TruncationParams | undefined =
      truncation === undefined
        ? undefined
        : { maxLength: maxLength!, stride, strategy: truncation, direction: this.truncation_side };
    const rows: Encoding[] = [];
    const sampleMapping: number[] = [];
    batch.forEach((a, i) => {
      const encoding = this.core.encode(a, pairs?.[i], {
        addSpecialTokens,
        ...(truncationParams === undefined ? {} : { truncation: truncationParams }),
      });
      rows.push(encoding);
      sampleMapping.push(i);
      if (options.return_overflowing_tokens) {
        for (const window of encoding.overflowing) {
          rows.push(window);
          sampleMapping.push(i);
        }
      }
    });
    if (padding !== undefined) {
      padRows(rows, padding, maxLength, options.pad_to_multiple_of, this.pad_token_id, this.padding_side);
    }
    const batched = isBatched || options.return_overflowing_tokens === true;
    return toBatchEncoding(
      rows,
      batched,
      options,
      options.return_overflowing_tokens ? sampleMapping : undefined,
    );
  }
}
