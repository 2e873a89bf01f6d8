import { ALWAYS_SERIALISED_KEYS } from "./defaults.js";
import { DebertaConfigError, describeValue, type ErrorContext, keyError } from "./errors.js";
import { checkJsonValue, cloneJson, parseJsonText } from "./json.js";
import { type ProblemType, parseProblemType, resolveLabels } from "./labels.js";
import { type LoadOptions, readConfigText } from "./load.js";
import type { PosAttType, PosAttTypeInput } from "./pos-att-type.js";
import {
  expectBoolean,
  expectInteger,
  expectNullableInteger,
  expectNullableString,
  expectNullableStringList,
  expectNumber,
  expectString,
  expectTokenId,
  isPlainObject,
} from "./validate.js";

/** The `model_type` of DeBERTa-v2, DeBERTa-v3 and mDeBERTa-v3 checkpoints. */
export const DEBERTA_V2_MODEL_TYPE = "deberta-v2";

/**
 * The keyword defaults of transformers' `DebertaV2Config.__init__` (`model_type` `"deberta-v2"`), plus the
 * generic keys every config carries. `pooler_hidden_size` is absent: its default is `hidden_size`.
 *
 * @example
 * ```ts
 * import { DEBERTA_V2_CONFIG_DEFAULTS } from "@deberta/config";
 *
 * DEBERTA_V2_CONFIG_DEFAULTS.vocab_size; // 128100
 * ```
 */
export const DEBERTA_V2_CONFIG_DEFAULTS = Object.freeze({
  vocab_size: 128100,
  hidden_size: 1536,
  num_hidden_layers: 24,
  num_attention_heads: 24,
  intermediate_size: 6144,
  hidden_act: "gelu",
  hidden_dropout_prob: 0.1,
  attention_probs_dropout_prob: 0.1,
  max_position_embeddings: 512,
  type_vocab_size: 0,
  initializer_range: 0.02,
  layer_norm_eps: 1e-7,
  relative_attention: false,
  max_relative_positions: -1,
  pad_token_id: 0,
  bos_token_id: null,
  eos_token_id: null,
  position_biased_input: true,
  pos_att_type: null,
  pooler_dropout: 0,
  pooler_hidden_act: "gelu",
  legacy: true,
  tie_word_embeddings: true,
} as const);

/**
 * Keys transformers' DeBERTa-v2 modules read with `getattr(config, key, default)`: they are not
 * `DebertaV2Config.__init__` arguments, so a `config.json` has them only when set. Their defaults.
 */
export const DEBERTA_V2_OPTIONAL_DEFAULTS = Object.freeze({
  position_buckets: -1,
  norm_rel_ebd: "none",
  share_att_key: false,
  conv_kernel_size: 0,
  conv_groups: 1,
  conv_act: "tanh",
} as const);

/** The `norm_rel_ebd` entries transformers acts on (`"layer_norm"`) or accepts (`"none"`). */
export type NormRelEbd = "none" | "layer_norm";

/** The keys transformers writes for every DeBERTa-v2 config. */
export interface DebertaV2ConfigFields {
  vocab_size: number;
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  intermediate_size: number;
  hidden_act: string;
  hidden_dropout_prob: number;
  attention_probs_dropout_prob: number;
  max_position_embeddings: number;
  type_vocab_size: number;
  initializer_range: number;
  layer_norm_eps: number;
  relative_attention: boolean;
  max_relative_positions: number;
  pad_token_id: number | null;
  bos_token_id: number | readonly number[] | null;
  eos_token_id: number | readonly number[] | null;
  position_biased_input: boolean;
  pos_att_type: PosAttTypeInput;
  pooler_dropout: number;
  pooler_hidden_act: string;
  pooler_hidden_size: number;
  legacy: boolean;
  tie_word_embeddings: boolean;
  model_type: typeof DEBERTA_V2_MODEL_TYPE;
}

/** Known keys written only when set. */
export interface DebertaV2OptionalFields {
  position_buckets?: number;
  norm_rel_ebd?: string;
  share_att_key?: boolean;
  conv_kernel_size?: number;
  conv_groups?: number;
  conv_act?: string;
  attention_head_size?: number;
  embedding_size?: number;
  num_labels?: number | null;
  id2label?: Readonly<Record<string, string>> | null;
  label2id?: Readonly<Record<string, number>> | null;
  problem_type?: ProblemType | null;
  architectures?: readonly string[] | null;
  dtype?: string | null;
  torch_dtype?: string | null;
  transformers_version?: string | null;
}

/** A DeBERTa-v2 `config.json` as an object: the known keys plus any others the file carries. */
export type DebertaV2ConfigDict = DebertaV2ConfigFields &
  DebertaV2OptionalFields & { [key: string]: unknown };

/** What `new DebertaV2Config(...)` accepts: any subset of the keys (missing ones take transformers' defaults). */
export type DebertaV2ConfigInit = Partial<Omit<DebertaV2ConfigFields, "model_type">> &
  DebertaV2OptionalFields & { model_type?: string; [key: string]: unknown };

const OPTIONAL_KEYS: readonly string[] = [
  ...Object.keys(DEBERTA_V2_OPTIONAL_DEFAULTS),
  "attention_head_size",
  "embedding_size",
  "num_labels",
  "id2label",
  "label2id",
  "problem_type",
  "architectures",
  "dtype",
  "torch_dtype",
  "transformers_version",
];

/** The keys transformers always writes for a DeBERTa-v2 config (the same set as for v1). */
export const V2_ALWAYS_SERIALISED_KEYS: readonly string[] = ALWAYS_SERIALISED_KEYS;

const KNOWN_KEYS: ReadonlySet<string> = new Set([...V2_ALWAYS_SERIALISED_KEYS, ...OPTIONAL_KEYS]);

/**
 * `pos_att_type` of a DeBERTa-v2 config as a lowercase list: the string form is lowercased and split on
 * `|` (as `DebertaV2Config.__init__` does), list entries are trimmed and lowercased.
 *
 * @throws {@link DebertaConfigError} `CONFIG_TYPE` for a value that is neither, `CONFIG_VALUE` for an entry
 * other than `c2p` / `p2c`.
 *
 * @example
 * ```ts
 * import { parseV2PosAttType } from "@deberta/config";
 *
 * parseV2PosAttType("p2c|c2p"); // ["p2c", "c2p"]
 * ```
 */
export function parseV2PosAttType(value: unknown, context: ErrorContext = {}): PosAttType[] {
  const key = "pos_att_type";
  const check = (entry: string): PosAttType => {
    if (entry === "c2p" || entry === "p2c") return entry;
    throw keyError(
      "CONFIG_VALUE",
      key,
      `has the unknown entry ${JSON.stringify(entry)}; DeBERTa-v2 computes only "c2p" and "p2c"`,
      context,
    );
  };
  if (value === null || value === undefined) return [];
  if (typeof value === "string")
    return value
      .toLowerCase()
      .split("|")
      .map((part) => check(part.trim()));
  if (Array.isArray(value)) {
    return value.map((item: unknown, i) => {
      if (typeof item !== "string") {
        throw keyError(
          "CONFIG_TYPE",
          key,
          `must list strings, but item ${i} is ${describeValue(item)}`,
          context,
        );
      }
      return check(item.trim().toLowerCase());
    });
  }
  throw keyError(
    "CONFIG_TYPE",
    key,
    `must be null, a "|"-separated string such as "p2c|c2p", or a list of strings, got ${describeValue(value)}`,
    context,
  );
}

function parseNormRelEbd(value: unknown, context: ErrorContext): NormRelEbd[] {
  const text = expectString(value, "norm_rel_ebd", context);
  return text
    .toLowerCase()
    .split("|")
    .map((part) => {
      const entry = part.trim();
      if (entry === "none" || entry === "layer_norm") return entry;
      throw keyError(
        "CONFIG_VALUE",
        "norm_rel_ebd",
        `has the unknown entry ${JSON.stringify(entry)}; expected "none" or "layer_norm"`,
        context,
      );
    });
}

/**
 * A DeBERTa-v2 / v3 / mDeBERTa-v3 model configuration (`model_type` `"deberta-v2"`): a TypeScript port of
 * transformers' `DebertaV2Config` with its keys and defaults, including the keys the v2 modules read with
 * `getattr` (`position_buckets`, `norm_rel_ebd`, `share_att_key`, `conv_kernel_size`, `conv_groups`,
 * `conv_act`, `attention_head_size`, `embedding_size`), strict validation, the derived values a model
 * needs, and lossless `config.json` round trips (unknown keys are kept).
 *
 * @example
 * ```ts
 * import { DebertaV2Config } from "@deberta/config";
 *
 * const config = DebertaV2Config.from_dict({
 *   model_type: "deberta-v2",
 *   hidden_size: 768,
 *   num_attention_heads: 12,
 *   relative_attention: true,
 *   position_buckets: 256,
 *   pos_att_type: "p2c|c2p",
 * });
 * config.attention_span; // 256
 * config.attention_scale_factor; // 3
 * ```
 */
export class DebertaV2Config {
  /** transformers' `DebertaV2Config.model_type`. */
  static readonly model_type = DEBERTA_V2_MODEL_TYPE;

  readonly model_type = DEBERTA_V2_MODEL_TYPE;
  readonly vocab_size: number;
  readonly hidden_size: number;
  readonly num_hidden_layers: number;
  readonly num_attention_heads: number;
  readonly intermediate_size: number;
  readonly hidden_act: string;
  readonly hidden_dropout_prob: number;
  readonly attention_probs_dropout_prob: number;
  readonly max_position_embeddings: number;
  readonly type_vocab_size: number;
  readonly initializer_range: number;
  readonly layer_norm_eps: number;
  readonly relative_attention: boolean;
  readonly max_relative_positions: number;
  readonly pad_token_id: number | null;
  readonly bos_token_id: number | readonly number[] | null;
  readonly eos_token_id: number | readonly number[] | null;
  readonly position_biased_input: boolean;
  /** As given (`"p2c|c2p"` or a list) so that saving reproduces the file; see {@link pos_att_types}. */
  readonly pos_att_type: PosAttTypeInput;
  readonly pooler_dropout: number;
  readonly pooler_hidden_act: string;
  readonly pooler_hidden_size: number;
  readonly legacy: boolean;
  readonly tie_word_embeddings: boolean;
  /** Buckets of the log-bucketed relative positions; -1 (the default) means no bucketing. */
  readonly position_buckets: number;
  /** As given (e.g. `"layer_norm"`); see {@link norm_rel_ebd_entries}. */
  readonly norm_rel_ebd: string;
  /** Whether the relative embeddings are projected with the content query/key projections. */
  readonly share_att_key: boolean;
  /** Kernel width of the convolution layer beside the first encoder layer; 0 means none. */
  readonly conv_kernel_size: number;
  readonly conv_groups: number;
  readonly conv_act: string;
  /** Size of one attention head; `hidden_size / num_attention_heads` unless given. */
  readonly attention_head_size: number;
  /** Width of the word embeddings; `hidden_size` unless given (then an `embed_proj` maps it). */
  readonly embedding_size: number;
  readonly id2label: Readonly<Record<number, string>>;
  readonly label2id: Readonly<Record<string, number>>;
  readonly problem_type: ProblemType | null;
  readonly architectures: readonly string[] | null;
  readonly dtype: string | null;
  readonly torch_dtype: string | null;
  readonly transformers_version: string | null;
  /** Keys this package does not know, exactly as given; written back by {@link to_dict}. */
  readonly extra: Readonly<Record<string, unknown>>;
  readonly source: string | undefined;

  readonly #given: ReadonlyMap<string, unknown>;
  readonly #posAttTypes: readonly PosAttType[];
  readonly #normRelEbd: readonly NormRelEbd[];
  readonly #labelsAreDefault: boolean;

  /**
   * Validates and builds a config; keys left out take transformers' defaults.
   *
   * @throws {@link DebertaConfigError} naming the key when it has the wrong type or an impossible value,
   * or `model_type` is not `"deberta-v2"`.
   */
  constructor(init: DebertaV2ConfigInit = {}, options: { source?: string } = {}) {
    const context: ErrorContext = { file: options.source };
    if (!isPlainObject(init)) {
      const where = options.source === undefined ? "DeBERTa config" : `DeBERTa config ${options.source}`;
      throw new DebertaConfigError(
        "CONFIG_TYPE",
        `${where}: must be a JSON object at the top level, got ${describeValue(init)}`,
        { file: options.source },
      );
    }
    this.source = options.source;
    const given = new Map<string, unknown>();
    for (const [key, value] of Object.entries(init)) {
      if (value === undefined) continue;
      checkJsonValue(value, key, context);
      given.set(key, cloneJson(value));
    }
    this.#given = given;
    if (given.has("model_type")) {
      const modelType = expectString(given.get("model_type"), "model_type", context);
      if (modelType !== DEBERTA_V2_MODEL_TYPE) {
        const hint = modelType === "deberta" ? " (DeBERTa v1 configs need a DebertaConfig)" : "";
        throw keyError(
          "CONFIG_MODEL_TYPE",
          "model_type",
          `must be "deberta-v2", got ${JSON.stringify(modelType)}${hint}`,
          context,
        );
      }
    }
    type Key = keyof typeof DEBERTA_V2_CONFIG_DEFAULTS | keyof typeof DEBERTA_V2_OPTIONAL_DEFAULTS;
    const value = (key: Key): unknown =>
      given.has(key)
        ? given.get(key)
        : key in DEBERTA_V2_CONFIG_DEFAULTS
          ? DEBERTA_V2_CONFIG_DEFAULTS[key as keyof typeof DEBERTA_V2_CONFIG_DEFAULTS]
          : DEBERTA_V2_OPTIONAL_DEFAULTS[key as keyof typeof DEBERTA_V2_OPTIONAL_DEFAULTS];
    const positive = (key: Key): number => expectInteger(value(key), key, context, { min: 1 });
    const probability = (key: Key): number => expectNumber(value(key), key, context, { min: 0, max: 1 });
    const activation = (key: "hidden_act" | "pooler_hidden_act" | "conv_act"): string => {
      const name = expectString(value(key), key, context);
      if (name.trim() === "")
        throw keyError("CONFIG_VALUE", key, "must name an activation, got an empty string", context);
      return name;
    };

    this.vocab_size = positive("vocab_size");
    this.hidden_size = positive("hidden_size");
    this.num_hidden_layers = positive("num_hidden_layers");
    this.num_attention_heads = positive("num_attention_heads");
    if (given.has("attention_head_size")) {
      this.attention_head_size = expectInteger(
        given.get("attention_head_size"),
        "attention_head_size",
        context,
        {
          min: 1,
        },
      );
    } else {
      if (this.hidden_size % this.num_attention_heads !== 0) {
        throw keyError(
          "CONFIG_VALUE",
          "hidden_size",
          `(${this.hidden_size}) is not a multiple of num_attention_heads (${this.num_attention_heads}) and no attention_head_size is given`,
          context,
        );
      }
      this.attention_head_size = this.hidden_size / this.num_attention_heads;
    }
    this.intermediate_size = positive("intermediate_size");
    this.hidden_act = activation("hidden_act");
    this.hidden_dropout_prob = probability("hidden_dropout_prob");
    this.attention_probs_dropout_prob = probability("attention_probs_dropout_prob");
    this.max_position_embeddings = positive("max_position_embeddings");
    this.type_vocab_size = expectInteger(value("type_vocab_size"), "type_vocab_size", context, { min: 0 });
    this.initializer_range = expectNumber(value("initializer_range"), "initializer_range", context, {
      min: 0,
    });
    this.layer_norm_eps = expectNumber(value("layer_norm_eps"), "layer_norm_eps", context, { min: 0 });
    this.relative_attention = expectBoolean(value("relative_attention"), "relative_attention", context);
    this.max_relative_positions = expectInteger(
      value("max_relative_positions"),
      "max_relative_positions",
      context,
    );
    this.pad_token_id = expectNullableInteger(value("pad_token_id"), "pad_token_id", context);
    this.bos_token_id = expectTokenId(value("bos_token_id"), "bos_token_id", context);
    this.eos_token_id = expectTokenId(value("eos_token_id"), "eos_token_id", context);
    this.position_biased_input = expectBoolean(
      value("position_biased_input"),
      "position_biased_input",
      context,
    );
    const posAttType = value("pos_att_type");
    this.#posAttTypes = Object.freeze(parseV2PosAttType(posAttType, context));
    this.pos_att_type = posAttType as PosAttTypeInput;
    this.pooler_dropout = probability("pooler_dropout");
    this.pooler_hidden_act = activation("pooler_hidden_act");
    this.pooler_hidden_size = given.has("pooler_hidden_size")
      ? expectInteger(given.get("pooler_hidden_size"), "pooler_hidden_size", context, { min: 1 })
      : this.hidden_size;
    this.legacy = expectBoolean(value("legacy"), "legacy", context);
    this.tie_word_embeddings = expectBoolean(value("tie_word_embeddings"), "tie_word_embeddings", context);

    this.position_buckets = expectInteger(value("position_buckets"), "position_buckets", context);
    if (this.position_buckets > 0 && this.position_buckets < 4) {
      // make_log_bucket_position divides by log((max_position - 1) / (buckets / 2)) and uses mid - 1 > 0.
      throw keyError(
        "CONFIG_VALUE",
        "position_buckets",
        `must be -1 (no buckets) or at least 4, got ${this.position_buckets}`,
        context,
      );
    }
    this.norm_rel_ebd = expectString(value("norm_rel_ebd"), "norm_rel_ebd", context);
    this.#normRelEbd = Object.freeze(parseNormRelEbd(this.norm_rel_ebd, context));
    this.share_att_key = expectBoolean(value("share_att_key"), "share_att_key", context);
    this.conv_kernel_size = expectInteger(value("conv_kernel_size"), "conv_kernel_size", context, { min: 0 });
    this.conv_groups = positive("conv_groups");
    if (this.conv_kernel_size > 0 && this.hidden_size % this.conv_groups !== 0) {
      throw keyError(
        "CONFIG_VALUE",
        "conv_groups",
        `(${this.conv_groups}) must divide hidden_size (${this.hidden_size})`,
        context,
      );
    }
    this.conv_act = activation("conv_act");
    this.embedding_size = given.has("embedding_size")
      ? expectInteger(given.get("embedding_size"), "embedding_size", context, { min: 1 })
      : this.hidden_size;
    if (this.relative_attention && this.position_buckets > 0) {
      const maxPosition = this.max_relative_positions_effective;
      if (maxPosition <= this.position_buckets / 2 + 1) {
        throw keyError(
          "CONFIG_VALUE",
          "position_buckets",
          `(${this.position_buckets}) needs max_relative_positions (effective ${maxPosition}) above position_buckets / 2 + 1`,
          context,
        );
      }
    }

    const labels = resolveLabels(
      {
        id2label: given.get("id2label"),
        label2id: given.get("label2id"),
        num_labels: given.get("num_labels"),
      },
      context,
    );
    this.id2label = labels.id2label;
    this.label2id = labels.label2id;
    this.#labelsAreDefault = labels.isDefault;
    this.problem_type = given.has("problem_type")
      ? parseProblemType(given.get("problem_type"), context)
      : null;
    this.architectures = given.has("architectures")
      ? expectNullableStringList(given.get("architectures"), "architectures", context)
      : null;
    this.torch_dtype = given.has("torch_dtype")
      ? expectNullableString(given.get("torch_dtype"), "torch_dtype", context)
      : null;
    const dtype = given.has("dtype") ? expectNullableString(given.get("dtype"), "dtype", context) : null;
    this.dtype = dtype ?? this.torch_dtype;
    this.transformers_version = given.has("transformers_version")
      ? expectNullableString(given.get("transformers_version"), "transformers_version", context)
      : null;
    this.extra = Object.freeze(
      Object.fromEntries(
        [...given].filter(([key]) => !KNOWN_KEYS.has(key)).map(([k, v]) => [k, cloneJson(v)]),
      ),
    );
  }

  /** Builds a config from a parsed `config.json`. */
  static from_dict(obj: unknown, options: { source?: string } = {}): DebertaV2Config {
    return new DebertaV2Config(obj as DebertaV2ConfigInit, options);
  }

  /** Parses the text of a `config.json`. */
  static from_json_string(text: string, options: { source?: string } = {}): DebertaV2Config {
    return DebertaV2Config.from_dict(parseJsonText(text, options.source), options);
  }

  /** Loads `config.json` from a file, folder, `file:` or `http(s)` URL (as `DebertaConfig.from_pretrained`). */
  static async from_pretrained(location: string | URL, options: LoadOptions = {}): Promise<DebertaV2Config> {
    const { text, file } = await readConfigText(location, options);
    return DebertaV2Config.from_json_string(text, { source: file });
  }

  /** Size of one attention head (`attention_head_size`). */
  get head_size(): number {
    return this.attention_head_size;
  }

  /** Width of the concatenated heads: `num_attention_heads * attention_head_size`. */
  get all_head_size(): number {
    return this.num_attention_heads * this.attention_head_size;
  }

  /** `pos_att_type` normalised to a lowercase list (`[]` when null). */
  get pos_att_types(): readonly PosAttType[] {
    return this.#posAttTypes;
  }

  /** `norm_rel_ebd` split into its lowercase entries. */
  get norm_rel_ebd_entries(): readonly NormRelEbd[] {
    return this.#normRelEbd;
  }

  /** Whether the relative embeddings go through the encoder's LayerNorm (`"layer_norm"` in `norm_rel_ebd`). */
  get norm_rel_embeddings(): boolean {
    return this.#normRelEbd.includes("layer_norm");
  }

  /** `max_relative_positions`, or `max_position_embeddings` when it is below 1 (transformers' rule). */
  get max_relative_positions_effective(): number {
    return this.max_relative_positions < 1 ? this.max_position_embeddings : this.max_relative_positions;
  }

  /**
   * transformers' `pos_ebd_size`, the attention span: `position_buckets` when positive, else the effective
   * `max_relative_positions`. `rel_embeddings` has twice this many rows; unlike v1 it does not depend on
   * the sequence length.
   */
  get attention_span(): number {
    return this.position_buckets > 0 ? this.position_buckets : this.max_relative_positions_effective;
  }

  /** v2's `scale_factor`: 1, plus 1 if `pos_att_type` has `c2p`, plus 1 if it has `p2c` (duplicates count once). */
  get attention_scale_factor(): number {
    return 1 + (this.#posAttTypes.includes("c2p") ? 1 : 0) + (this.#posAttTypes.includes("p2c") ? 1 : 0);
  }

  /** What scores are divided by: `sqrt(attention_head_size * attention_scale_factor)`. */
  get query_scale(): number {
    return Math.sqrt(this.head_size * this.attention_scale_factor);
  }

  get num_labels(): number {
    return Object.keys(this.id2label).length;
  }

  get given_keys(): readonly string[] {
    return [...this.#given.keys()];
  }

  /** The value of any key as this config sees it (defaults applied); `undefined` for an unknown key not given. */
  get(key: string): unknown {
    if (Object.hasOwn(this.extra, key)) return cloneJson(this.extra[key]);
    if (KNOWN_KEYS.has(key)) return cloneJson((this as unknown as Record<string, unknown>)[key]);
    return undefined;
  }

  /**
   * The config as a `config.json` object, keys sorted: every key transformers always writes, non-default
   * labels, and every given key exactly as given. With `{ onlyGiven: true }` it is exactly the input.
   */
  to_dict(options: { onlyGiven?: boolean } = {}): Partial<DebertaV2ConfigDict> {
    const entries = new Map<string, unknown>();
    if (options.onlyGiven !== true) {
      const self = this as unknown as Record<string, unknown>;
      for (const key of V2_ALWAYS_SERIALISED_KEYS) entries.set(key, self[key]);
      if (!this.#labelsAreDefault) {
        entries.set("id2label", Object.fromEntries(Object.entries(this.id2label)));
        entries.set("label2id", { ...this.label2id });
      }
    }
    for (const [key, v] of this.#given) entries.set(key, v);
    const sorted = [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return cloneJson(Object.fromEntries(sorted)) as Partial<DebertaV2ConfigDict>;
  }

  /** {@link to_dict} as 2-space-indented JSON text with a final newline. */
  to_json_string(options: { onlyGiven?: boolean; indent?: number } = {}): string {
    return `${JSON.stringify(this.to_dict(options), null, options.indent ?? 2)}\n`;
  }

  toJSON(): Partial<DebertaV2ConfigDict> {
    return this.to_dict();
  }
}
