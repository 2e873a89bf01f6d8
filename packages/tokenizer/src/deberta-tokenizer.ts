// The DebertaTokenizer class: construction and loading (from_pretrained, from_vocab_and_merges), special tokens,
// vocabulary, encode / decode and the callable `tokenizer(text, options)`. What a call does with its options
// lives in call-options.ts (validation, batching of inputs) and batch-encoding.ts (padding, output); the id
// conversions of decode in token-ids.ts.
import type { Tensor } from "onnxruntime-common";
import { padRows, toBatchEncoding } from "./batch-encoding.js";
import {
  type BatchEncoding,
  resolvePaddingTruncation,
  type TokenizerCallOptions,
  toBatch,
} from "./call-options.js";
import type { Encoding } from "./encoding.js";
import { argumentError, TokenizerError } from "./errors.js";
import { buildHubLayoutSpec, DEBERTA_SPECIAL_TOKENS, parseMergesText } from "./hub-layout.js";
import { joinLocation, parseJsonFile, readTextFile } from "./load.js";
import { cleanUpTokenization, type IdsLike, toIdList } from "./token-ids.js";
import {
  parseTokenizerConfig,
  SPECIAL_TOKEN_KEYS,
  type SpecialTokenKey,
  type TokenizerConfig,
} from "./tokenizer-config.js";
import { type SequenceInput, TokenizerCore, type TruncationParams } from "./tokenizer-core.js";
import { parseTokenizerJson, parseVocab, type TokenizerSpec } from "./tokenizer-json.js";

export type {
  BatchEncoding,
  Field,
  PaddingOption,
  TokenizerCallOptions,
  TruncationOption,
} from "./call-options.js";
export { cleanUpTokenization } from "./token-ids.js";

export interface DecodeOptions {
  skip_special_tokens?: boolean;
  clean_up_tokenization_spaces?: boolean;
}

export interface DebertaTokenizerOptions {
  /** Put a space in front of the text, so that the first word is tokenized like any other word. */
  add_prefix_space?: boolean;
  model_max_length?: number;
  padding_side?: "right" | "left";
  truncation_side?: "right" | "left";
}

export interface DebertaTokenizer {
  /** Tokenizes one text (or pair), or a batch; see {@link TokenizerCallOptions}. */
  // biome-ignore lint/style/useShorthandFunctionType: merged with the class below to make instances callable.
  (
    text: string | readonly string[] | readonly (readonly string[])[],
    options?: TokenizerCallOptions,
  ): BatchEncoding;
}

/**
 * The DeBERTa tokenizer (byte-level BPE) with transformers' and transformers.js' API.
 *
 * @example
 * ```ts
 * import { DebertaTokenizer } from "@deberta/tokenizer";
 * const tokenizer = await DebertaTokenizer.from_pretrained("./my-deberta");
 * const { input_ids } = tokenizer("Hello world", { text_pair: "Bonjour" });
 * tokenizer.decode(input_ids as number[], { skip_special_tokens: true });
 * ```
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the interface adds the call signature of the callable instance.
export class DebertaTokenizer {
  // `declare`: the instance is the function built in the constructor, so fields are set on it by hand.
  declare readonly core: TokenizerCore;
  declare readonly config: TokenizerConfig;
  declare model_max_length: number;
  declare padding_side: "right" | "left";
  declare truncation_side: "right" | "left";
  declare private readonly specialTokenStrings: Partial<Record<SpecialTokenKey, string>>;

  constructor(spec: TokenizerSpec, config: TokenizerConfig, options: DebertaTokenizerOptions = {}) {
    // The instance is a function (like transformers.js tokenizers) so that `tokenizer(text)` works; it is an
    // arrow function with the class prototype rather than a `Function` subclass, which CSP would forbid.
    const self = ((text: Parameters<DebertaTokenizer>[0], callOptions?: TokenizerCallOptions) =>
      self.call_(text, callOptions)) as unknown as DebertaTokenizer;
    Object.setPrototypeOf(self, new.target.prototype);
    Object.assign(self, { core: new TokenizerCore(spec), config, specialTokenStrings: {} });
    const maxLength = options.model_max_length;
    if (maxLength !== undefined && (!Number.isInteger(maxLength) || maxLength <= 0)) {
      throw argumentError("model_max_length", `must be a positive integer, got ${maxLength}`);
    }
    self.model_max_length = maxLength ?? config.model_max_length;
    self.padding_side = options.padding_side ?? config.padding_side;
    self.truncation_side = options.truncation_side ?? config.truncation_side;
    const prefix = options.add_prefix_space ?? config.add_prefix_space;
    if (prefix !== undefined) {
      self.core.addPrefixSpace = prefix;
      spec.postProcessor.addPrefixSpace = prefix;
    }
    // transformers' DebertaTokenizer defaults, overridden by what tokenizer_config.json says.
    for (const key of SPECIAL_TOKEN_KEYS) {
      self.specialTokenStrings[key] = (config.specialTokens[key] ?? DEBERTA_SPECIAL_TOKENS[key]).content;
    }
    // biome-ignore lint/correctness/noConstructorReturn: returning the callable is the point.
    return self;
  }

  /**
   * Loads a tokenizer from a folder or URL holding `tokenizer.json` (+ `tokenizer_config.json`), or the
   * Hub layout `vocab.json` + `merges.txt` (+ `tokenizer_config.json`) of the `microsoft/deberta-*` repos.
   */
  static async from_pretrained(
    location: string,
    options: DebertaTokenizerOptions = {},
  ): Promise<DebertaTokenizer> {
    const configFile = joinLocation(location, "tokenizer_config.json");
    const configText = await readTextFile(configFile);
    const config = parseTokenizerConfig(
      configText === undefined ? {} : parseJsonFile(configText, configFile),
      configFile,
    );
    const jsonFile = joinLocation(location, "tokenizer.json");
    const jsonText = await readTextFile(jsonFile);
    if (jsonText !== undefined) {
      return new DebertaTokenizer(
        parseTokenizerJson(parseJsonFile(jsonText, jsonFile), jsonFile),
        config,
        options,
      );
    }
    const vocabFile = joinLocation(location, "vocab.json");
    const mergesFile = joinLocation(location, "merges.txt");
    const [vocabText, mergesText] = await Promise.all([readTextFile(vocabFile), readTextFile(mergesFile)]);
    if (vocabText === undefined || mergesText === undefined) {
      const missing = [
        vocabText === undefined ? "vocab.json" : "",
        mergesText === undefined ? "merges.txt" : "",
      ]
        .filter(Boolean)
        .join(" and ");
      throw new TokenizerError(
        "TOKENIZER_FILE_MISSING",
        `${location} holds neither tokenizer.json nor vocab.json + merges.txt (missing: tokenizer.json, ${missing})`,
        { file: jsonFile },
      );
    }
    return DebertaTokenizer.from_vocab_and_merges(
      parseVocab(parseJsonFile(vocabText, vocabFile), vocabFile, "(root)"),
      mergesText,
      config,
      options,
      vocabFile,
    );
  }

  /** Builds the tokenizer of the Hub layout from an already-read vocabulary and merges.txt text. */
  static from_vocab_and_merges(
    vocab: Map<string, number> | Record<string, number>,
    mergesText: string,
    config: TokenizerConfig | Record<string, unknown> = {},
    options: DebertaTokenizerOptions = {},
    file = "vocab.json",
  ): DebertaTokenizer {
    const parsedConfig =
      "raw" in config && "specialTokens" in config
        ? (config as TokenizerConfig)
        : parseTokenizerConfig(config, "tokenizer_config.json");
    const vocabMap = vocab instanceof Map ? vocab : parseVocab(vocab, file, "(root)");
    const spec = buildHubLayoutSpec(vocabMap, parseMergesText(mergesText), parsedConfig, file);
    return new DebertaTokenizer(spec, parsedConfig, options);
  }

  private specialToken(key: SpecialTokenKey): string | null {
    return this.specialTokenStrings[key] ?? null;
  }

  private specialTokenId(key: SpecialTokenKey): number | null {
    const token = this.specialToken(key);
    return token === null ? null : (this.core.tokenToId(token) ?? null);
  }

  get cls_token(): string | null {
    return this.specialToken("cls_token");
  }
  get sep_token(): string | null {
    return this.specialToken("sep_token");
  }
  get pad_token(): string | null {
    return this.specialToken("pad_token");
  }
  get unk_token(): string | null {
    return this.specialToken("unk_token");
  }
  get mask_token(): string | null {
    return this.specialToken("mask_token");
  }
  get bos_token(): string | null {
    return this.specialToken("bos_token");
  }
  get eos_token(): string | null {
    return this.specialToken("eos_token");
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

  /** Every special token string, as transformers' `all_special_tokens`. */
  get all_special_tokens(): string[] {
    const tokens = new Set<string>(Object.values(this.specialTokenStrings));
    for (const t of this.core.spec.addedTokens) if (t.special) tokens.add(t.content);
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
    for (const [token, id] of this.core.spec.model.vocab) out[token] = id;
    for (const t of this.core.spec.addedTokens) out[t.content] = t.id;
    return out;
  }

  /** The tokens of `text` (byte-level strings such as "Ġworld"), without special tokens. */
  tokenize(text: string, options: { text_pair?: string; add_special_tokens?: boolean } = {}): string[] {
    const { input_ids } = this.call_(text, {
      ...options,
      add_special_tokens: options.add_special_tokens ?? false,
    });
    return this.convert_ids_to_tokens(input_ids as number[]);
  }

  /** Token ids of `text` (and `text_pair`), with special tokens unless `add_special_tokens: false`. */
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
    if (options.text_pair !== undefined && options.text_pair !== null) {
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

    // A single input stays unbatched unless overflow turned it into several windows (as in transformers).
    const batched = isBatched || options.return_overflowing_tokens === true;
    return toBatchEncoding(
      rows,
      batched,
      options,
      options.return_overflowing_tokens ? sampleMapping : undefined,
    );
  }
}
