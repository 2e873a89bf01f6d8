import { Tensor } from "onnxruntime-common";
import { type Encoding, padEncoding } from "./encoding.js";
import { argumentError, TokenizerError } from "./errors.js";
import { buildHubLayoutSpec, DEBERTA_SPECIAL_TOKENS, parseMergesText } from "./hub-layout.js";
import { joinLocation, parseJsonFile, readTextFile } from "./load.js";
import {
  parseTokenizerConfig,
  SPECIAL_TOKEN_KEYS,
  type SpecialTokenKey,
  type TokenizerConfig,
  UNLIMITED_LENGTH,
} from "./tokenizer-config.js";
import {
  type SequenceInput,
  TokenizerCore,
  type TruncationParams,
  type TruncationStrategy,
} from "./tokenizer-core.js";
import { parseTokenizerJson, parseVocab, type TokenizerSpec } from "./tokenizer-json.js";

export type PaddingOption = boolean | "longest" | "max_length" | "do_not_pad";
export type TruncationOption = boolean | TruncationStrategy | "do_not_truncate";

/** Options of `tokenizer(text, options)`, with transformers' names and defaults. */
export interface TokenizerCallOptions {
  text_pair?: string | readonly string[] | readonly (readonly string[])[] | null;
  add_special_tokens?: boolean;
  padding?: PaddingOption;
  truncation?: TruncationOption;
  max_length?: number | null;
  stride?: number;
  pad_to_multiple_of?: number | null;
  is_split_into_words?: boolean;
  return_overflowing_tokens?: boolean;
  return_offsets_mapping?: boolean;
  return_special_tokens_mask?: boolean;
  return_token_type_ids?: boolean;
  return_attention_mask?: boolean;
  /** Return onnxruntime-common int64 `Tensor`s of shape [batch, length] instead of number arrays. */
  return_tensor?: boolean;
}

type Row<T> = T[];
/** Unbatched (one sequence) or batched (one row per sequence or overflowing window). */
export type Field<T> = Row<T> | Row<T>[];

export interface BatchEncoding {
  input_ids: Field<number> | Tensor;
  attention_mask?: Field<number> | Tensor;
  token_type_ids?: Field<number> | Tensor;
  offset_mapping?: Field<[number, number]>;
  special_tokens_mask?: Field<number> | Tensor;
  overflow_to_sample_mapping?: number[];
  /** Word index of each token of row `batchIndex` (null for special tokens and padding). */
  word_ids(batchIndex?: number): (number | null)[];
  /** 0 / 1 for tokens of the first / second sequence of row `batchIndex`, null otherwise. */
  sequence_ids(batchIndex?: number): (number | null)[];
}

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

/**
 * Rows are padded in memory, eight parallel arrays each; past this length that is gigabytes (and past 2^32
 * an invalid array length), so a max_length like transformers' "unlimited" 1e30 is refused instead.
 */
const MAX_PADDED_LENGTH = 2 ** 24;

type IdsLike = readonly number[] | readonly bigint[] | Tensor | BigInt64Array | Int32Array;

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
    const { padding, truncation, maxLength } = this.resolvePaddingTruncation(options);
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
      // A loop, not Math.max(...rows): overflow can produce more rows than a call may have arguments.
      let length = 0;
      if (padding === "max_length") length = maxLength!;
      else for (const row of rows) if (row.ids.length > length) length = row.ids.length;
      const multiple = options.pad_to_multiple_of;
      if (multiple !== undefined && multiple !== null) {
        if (!Number.isInteger(multiple) || multiple <= 0) {
          throw argumentError("pad_to_multiple_of", `must be a positive integer, got ${multiple}`);
        }
        length = Math.ceil(length / multiple) * multiple;
      }
      if (length > MAX_PADDED_LENGTH) {
        throw new TokenizerError(
          "TOKENIZER_PADDING",
          `Cannot pad to ${length} tokens: more than ${MAX_PADDED_LENGTH} per row (check max_length / pad_to_multiple_of)`,
          { argument: padding === "max_length" ? "max_length" : "pad_to_multiple_of" },
        );
      }
      const padId = this.pad_token_id;
      if (padId === null) throw argumentError("padding", "this tokenizer has no pad_token, so it cannot pad");
      for (const row of rows) padEncoding(row, { length, padId, padTypeId: 0, side: this.padding_side });
    }

    // A single input stays unbatched unless overflow turned it into several windows (as in transformers).
    const batched = isBatched || options.return_overflowing_tokens === true;
    return this.toBatchEncoding(
      rows,
      batched,
      options,
      options.return_overflowing_tokens ? sampleMapping : undefined,
    );
  }

  private resolvePaddingTruncation(options: TokenizerCallOptions): {
    padding: "longest" | "max_length" | undefined;
    truncation: TruncationStrategy | undefined;
    maxLength: number | undefined;
  } {
    const { padding: paddingOption = false } = options;
    let maxLength = options.max_length ?? undefined;
    if (maxLength !== undefined && (!Number.isInteger(maxLength) || maxLength < 0)) {
      throw argumentError("max_length", `must be a non-negative integer, got ${maxLength}`);
    }
    let padding: "longest" | "max_length" | undefined;
    if (paddingOption === true || paddingOption === "longest") padding = "longest";
    else if (paddingOption === "max_length") padding = "max_length";
    else if (paddingOption !== false && paddingOption !== "do_not_pad") {
      throw argumentError(
        "padding",
        `must be true, false, 'longest', 'max_length' or 'do_not_pad', got ${JSON.stringify(paddingOption)}`,
      );
    }
    // transformers: a max_length without a truncation flag means 'longest_first'.
    const truncationOption = options.truncation ?? maxLength !== undefined;
    let truncation: TruncationStrategy | undefined;
    if (truncationOption === true || truncationOption === "longest_first") truncation = "longest_first";
    else if (truncationOption === "only_first" || truncationOption === "only_second")
      truncation = truncationOption;
    else if (truncationOption !== false && truncationOption !== "do_not_truncate") {
      throw argumentError(
        "truncation",
        `must be true, false, 'longest_first', 'only_first', 'only_second' or 'do_not_truncate', got ${JSON.stringify(truncationOption)}`,
      );
    }
    if (maxLength === undefined && (truncation !== undefined || padding === "max_length")) {
      if (this.model_max_length >= UNLIMITED_LENGTH) {
        if (padding === "max_length") {
          throw argumentError(
            "max_length",
            "padding 'max_length' needs a max_length: this tokenizer has no model_max_length",
          );
        }
        truncation = undefined;
      } else {
        maxLength = this.model_max_length;
      }
    }
    return { padding, truncation, maxLength };
  }

  private toBatchEncoding(
    rows: Encoding[],
    batched: boolean,
    options: TokenizerCallOptions,
    sampleMapping: number[] | undefined,
  ): BatchEncoding {
    const pick = <T>(get: (e: Encoding) => T[]): Field<T> => (batched ? rows.map(get) : get(rows[0]!));
    const asTensor = (get: (e: Encoding) => number[], name: string): Tensor => {
      const length = rows[0]?.ids.length ?? 0;
      if (rows.some((r) => r.ids.length !== length)) {
        throw new TokenizerError(
          "TOKENIZER_PADDING",
          `Cannot return \`${name}\` as a tensor: rows have different lengths; pass padding: true (or 'max_length')`,
          { argument: "return_tensor" },
        );
      }
      const data = new BigInt64Array(rows.length * length);
      rows.forEach((r, i) => {
        const values = get(r);
        for (let j = 0; j < length; j++) data[i * length + j] = BigInt(values[j]!);
      });
      return new Tensor("int64", data, [rows.length, length]);
    };
    const field = (get: (e: Encoding) => number[], name: string) =>
      options.return_tensor ? asTensor(get, name) : pick(get);

    const out: Omit<BatchEncoding, "word_ids" | "sequence_ids"> = {
      input_ids: field((e) => e.ids, "input_ids"),
    };
    if (options.return_token_type_ids ?? true) out.token_type_ids = field((e) => e.typeIds, "token_type_ids");
    if (options.return_attention_mask ?? true)
      out.attention_mask = field((e) => e.attentionMask, "attention_mask");
    if (options.return_special_tokens_mask) {
      out.special_tokens_mask = field((e) => e.specialTokensMask, "special_tokens_mask");
    }
    if (options.return_offsets_mapping)
      out.offset_mapping = pick((e) => e.starts.map((s, i): [number, number] => [s, e.ends[i]!]));
    if (sampleMapping !== undefined) out.overflow_to_sample_mapping = sampleMapping;
    const rowAt = (batchIndex: number | undefined): Encoding => {
      const index = batchIndex ?? 0;
      const row = rows[index];
      if (row === undefined)
        throw argumentError("batchIndex", `must be in [0, ${rows.length}), got ${index}`);
      return row;
    };
    // Methods are non-enumerable so that the result serialises and compares like plain data.
    Object.defineProperty(out, "word_ids", {
      value: (i?: number) => [...rowAt(i).wordIds],
      enumerable: false,
    });
    Object.defineProperty(out, "sequence_ids", {
      value: (i?: number) => [...rowAt(i).sequenceIds],
      enumerable: false,
    });
    return out as BatchEncoding;
  }
}

function toBatch(
  value: unknown,
  splitWords: boolean,
  argument: string,
): { batch: SequenceInput[]; isBatched: boolean } {
  const isStringList = (v: unknown): v is string[] =>
    Array.isArray(v) && v.every((x) => typeof x === "string");
  if (!splitWords) {
    if (typeof value === "string") return { batch: [value], isBatched: false };
    if (isStringList(value)) return { batch: value, isBatched: true };
    throw argumentError(argument, `must be a string or an array of strings, got ${describeValue(value)}`);
  }
  if (isStringList(value)) return { batch: [value], isBatched: false };
  if (Array.isArray(value) && value.every(isStringList)) return { batch: value, isBatched: true };
  throw argumentError(
    argument,
    `with is_split_into_words it must be an array of words or an array of such arrays, got ${describeValue(value)}`,
  );
}

function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array with non-string items";
  return typeof value;
}

function toIdList(ids: IdsLike, argument: string): number[] {
  let values: ArrayLike<number | bigint>;
  if (Array.isArray(ids) || ArrayBuffer.isView(ids)) {
    values = ids as ArrayLike<number | bigint>;
  } else {
    const tensor = ids as Tensor;
    if (tensor.type !== "int64" && tensor.type !== "int32") {
      throw argumentError(argument, `expected an int64 or int32 tensor, got ${tensor.type}`);
    }
    values = tensor.data as BigInt64Array | Int32Array;
  }
  const out = new Array<number>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = Number(values[i]);
    if (!Number.isInteger(v) || v < 0)
      throw argumentError(
        argument,
        `ids must be non-negative integers, got ${String(values[i])} at index ${i}`,
      );
    out[i] = v;
  }
  return out;
}

/** transformers' `clean_up_tokenization`: removes spaces before punctuation and contractions. */
export function cleanUpTokenization(text: string): string {
  return text
    .replaceAll(" .", ".")
    .replaceAll(" ?", "?")
    .replaceAll(" !", "!")
    .replaceAll(" ,", ",")
    .replaceAll(" ' ", "'")
    .replaceAll(" n't", "n't")
    .replaceAll(" 'm", "'m")
    .replaceAll(" 's", "'s")
    .replaceAll(" 've", "'ve")
    .replaceAll(" 're", "'re");
}
