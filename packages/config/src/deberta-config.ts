import { ALWAYS_SERIALISED_KEYS, DEBERTA_CONFIG_DEFAULTS } from "./defaults.js";
import { DebertaConfigError, describeValue, type ErrorContext, keyError } from "./errors.js";
import { checkJsonValue, cloneJson, parseJsonText } from "./json.js";
import { type ProblemType, parseProblemType, resolveLabels } from "./labels.js";
import { type LoadOptions, readConfigText } from "./load.js";
import { type PosAttType, type PosAttTypeInput, parsePosAttType } from "./pos-att-type.js";
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

/** The only `model_type` this package accepts (DeBERTa v2/v3 use `"deberta-v2"` and differ). */
export const DEBERTA_MODEL_TYPE = "deberta";

/** The keys transformers writes for every DeBERTa config, with their types. */
export interface DebertaConfigFields {
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
  model_type: typeof DEBERTA_MODEL_TYPE;
}

/** Known keys written only when set: generic `PretrainedConfig` keys and the optional `embedding_size`. */
export interface DebertaOptionalFields {
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

/** A DeBERTa `config.json` as an object: the known keys plus any others the file carries. */
export type DebertaConfigDict = DebertaConfigFields & DebertaOptionalFields & { [key: string]: unknown };

/** What `new DebertaConfig(...)` accepts: any subset of the keys (missing ones take transformers' defaults). */
export type DebertaConfigInit = Partial<Omit<DebertaConfigFields, "model_type">> &
  DebertaOptionalFields & { model_type?: string; [key: string]: unknown };

/** Options of {@link DebertaConfig.to_dict} and {@link DebertaConfig.to_json_string}. */
export interface ToDictOptions {
  /**
   * Emit only the keys the config was built from (exactly the input of `from_dict`), instead of also
   * writing every key transformers always saves.
   */
  readonly onlyGiven?: boolean;
}

const OPTIONAL_KEYS: readonly string[] = [
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

const KNOWN_KEYS: ReadonlySet<string> = new Set([...ALWAYS_SERIALISED_KEYS, ...OPTIONAL_KEYS]);

function stringKeyed(map: Readonly<Record<number, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(map));
}

/**
 * A DeBERTa (v1) model configuration: a TypeScript port of Hugging Face transformers' `DebertaConfig`
 * with the same snake_case keys and defaults, strict validation, the derived values a model
 * implementation needs, and lossless `config.json` round trips (unknown keys are kept).
 *
 * Instances are immutable: build a new one from `{ ...config.to_dict(), ...changes }` to change a value.
 *
 * @example
 * ```ts
 * import { DebertaConfig } from "@deberta/config";
 *
 * const config = DebertaConfig.from_dict({
 *   hidden_size: 768,
 *   num_attention_heads: 12,
 *   relative_attention: true,
 *   pos_att_type: "c2p|p2c",
 * });
 * config.head_size; // 64
 * config.pos_att_types; // ["c2p", "p2c"]
 * config.query_scale; // Math.sqrt(64 * 3)
 * config.to_dict().pos_att_type; // "c2p|p2c" (the original form is kept)
 * ```
 */
export class DebertaConfig {
  /** transformers' `DebertaConfig.model_type`. */
  static readonly model_type = DEBERTA_MODEL_TYPE;

  readonly model_type = DEBERTA_MODEL_TYPE;
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
  /** As given (`"c2p|p2c"` or a list, in its original case) so that saving reproduces the file; see {@link pos_att_types}. */
  readonly pos_att_type: PosAttTypeInput;
  readonly pooler_dropout: number;
  readonly pooler_hidden_act: string;
  /** Width of the sequence-classification pooler; `hidden_size` unless the config says otherwise. */
  readonly pooler_hidden_size: number;
  readonly legacy: boolean;
  readonly tie_word_embeddings: boolean;
  /**
   * Width of the word embeddings; `hidden_size` unless given. transformers' `DebertaConfig` has no such
   * key, but its `DebertaEmbeddings` reads it with `getattr(config, "embedding_size", hidden_size)` and adds
   * an `embed_proj` when it differs, so some checkpoints carry it.
   */
  readonly embedding_size: number;
  /** Label names by class index (keys are integers); `{0: "LABEL_0", 1: "LABEL_1"}` by default. */
  readonly id2label: Readonly<Record<number, string>>;
  /** Class index by label name; the inverse of `id2label` unless the config gives its own. */
  readonly label2id: Readonly<Record<string, number>>;
  readonly problem_type: ProblemType | null;
  readonly architectures: readonly string[] | null;
  /** Weight dtype of the checkpoint (`dtype`, or the pre-5.x name `torch_dtype`), e.g. `"float32"`. */
  readonly dtype: string | null;
  /** The pre-transformers-5 spelling of `dtype`, when the file used it. */
  readonly torch_dtype: string | null;
  readonly transformers_version: string | null;
  /** Keys this package does not know, exactly as given; they are written back by {@link to_dict}. */
  readonly extra: Readonly<Record<string, unknown>>;
  /** The file path or URL the config was read from (or the `source` passed to `from_dict`). */
  readonly source: string | undefined;

  readonly #given: ReadonlyMap<string, unknown>;
  readonly #posAttTypes: readonly PosAttType[];
  readonly #labelsAreDefault: boolean;

  /**
   * Validates and builds a config; keys left out (or `undefined`) take transformers' defaults.
   *
   * @param init - any subset of the config keys; unknown keys are kept in {@link extra}.
   * @param options - `source` names the file or URL in error messages and in {@link source}.
   * @throws {@link DebertaConfigError} when a key has the wrong type or an impossible value, or
   * `model_type` is not `"deberta"`.
   *
   * @example
   * ```ts
   * import { DebertaConfig } from "@deberta/config";
   *
   * const tiny = new DebertaConfig({ vocab_size: 1200, hidden_size: 32, num_attention_heads: 4 });
   * tiny.head_size; // 8
   * ```
   */
  constructor(init: DebertaConfigInit = {}, options: { source?: string } = {}) {
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
    // A Map, not an object: a key named "__proto__" in the JSON must stay an ordinary key.
    const given = new Map<string, unknown>();
    for (const [key, value] of Object.entries(init)) {
      if (value === undefined) continue;
      checkJsonValue(value, key, context);
      given.set(key, cloneJson(value));
    }
    this.#given = given;

    // Checked first: a DeBERTa-v2 or BERT config would otherwise fail on some field with a misleading message.
    if (given.has("model_type")) {
      const modelType = expectString(given.get("model_type"), "model_type", context);
      if (modelType !== DEBERTA_MODEL_TYPE) {
        const hint = modelType === "deberta-v2" ? " (DeBERTa v2/v3 configs need a DebertaV2Config)" : "";
        throw keyError(
          "CONFIG_MODEL_TYPE",
          "model_type",
          `must be "deberta", got ${JSON.stringify(modelType)}${hint}`,
          context,
        );
      }
    }

    const value = (key: keyof typeof DEBERTA_CONFIG_DEFAULTS): unknown =>
      given.has(key) ? given.get(key) : DEBERTA_CONFIG_DEFAULTS[key];
    const positive = (key: keyof typeof DEBERTA_CONFIG_DEFAULTS): number =>
      expectInteger(value(key), key, context, { min: 1 });
    const probability = (key: keyof typeof DEBERTA_CONFIG_DEFAULTS): number =>
      expectNumber(value(key), key, context, { min: 0, max: 1 });
    const activation = (key: "hidden_act" | "pooler_hidden_act"): string => {
      const name = expectString(value(key), key, context);
      if (name.trim() === "")
        throw keyError("CONFIG_VALUE", key, "must name an activation, got an empty string", context);
      return name;
    };

    this.vocab_size = positive("vocab_size");
    this.hidden_size = positive("hidden_size");
    this.num_hidden_layers = positive("num_hidden_layers");
    this.num_attention_heads = positive("num_attention_heads");
    if (this.hidden_size % this.num_attention_heads !== 0) {
      // The same check as transformers' DisentangledSelfAttention, moved to load time.
      throw keyError(
        "CONFIG_VALUE",
        "hidden_size",
        `(${this.hidden_size}) is not a multiple of num_attention_heads (${this.num_attention_heads})`,
        context,
      );
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
    this.#posAttTypes = Object.freeze(parsePosAttType(posAttType, context));
    this.pos_att_type = posAttType as PosAttTypeInput;
    this.pooler_dropout = probability("pooler_dropout");
    this.pooler_hidden_act = activation("pooler_hidden_act");
    this.pooler_hidden_size = given.has("pooler_hidden_size")
      ? expectInteger(given.get("pooler_hidden_size"), "pooler_hidden_size", context, { min: 1 })
      : this.hidden_size;
    this.legacy = expectBoolean(value("legacy"), "legacy", context);
    this.tie_word_embeddings = expectBoolean(value("tie_word_embeddings"), "tie_word_embeddings", context);
    this.embedding_size = given.has("embedding_size")
      ? expectInteger(given.get("embedding_size"), "embedding_size", context, { min: 1 })
      : this.hidden_size;

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

  /**
   * Builds a config from a parsed `config.json` (or any plain object); the counterpart of
   * transformers' `DebertaConfig.from_dict`.
   *
   * @param options - `source` is the file or URL the object came from, named in errors.
   * @throws {@link DebertaConfigError} when the object is not a valid DeBERTa v1 config.
   *
   * @example
   * ```ts
   * import { DebertaConfig } from "@deberta/config";
   *
   * const config = DebertaConfig.from_dict({ model_type: "deberta", id2label: { 0: "neg", 1: "pos" } });
   * config.num_labels; // 2
   * ```
   */
  static from_dict(obj: unknown, options: { source?: string } = {}): DebertaConfig {
    return new DebertaConfig(obj as DebertaConfigInit, options);
  }

  /**
   * Parses the text of a `config.json`.
   *
   * @throws {@link DebertaConfigError} `CONFIG_JSON` (naming `source`) for invalid JSON, or any
   * validation error.
   *
   * @example
   * ```ts
   * import { DebertaConfig } from "@deberta/config";
   *
   * DebertaConfig.from_json_string('{"hidden_size": 1024, "num_attention_heads": 16}').head_size; // 64
   * ```
   */
  static from_json_string(text: string, options: { source?: string } = {}): DebertaConfig {
    return DebertaConfig.from_dict(parseJsonText(text, options.source), options);
  }

  /**
   * Loads `config.json` from a local file, a folder (`<dir>/config.json`), a `file:` URL, or an `http(s)`
   * URL (one not ending in `.json` is a folder, e.g. `https://huggingface.co/<repo>/resolve/main`).
   * Local files are read with a lazily imported `node:fs/promises`, so browser bundles never need it.
   *
   * @throws {@link DebertaConfigError} `CONFIG_READ` when the file is missing or the download fails,
   * `CONFIG_JSON` for invalid JSON, or a validation error; all name the file or URL.
   *
   * @example
   * ```ts
   * import { DebertaConfig } from "@deberta/config";
   *
   * const config = await DebertaConfig.from_pretrained("./models/deberta-base");
   * console.log(config.num_hidden_layers, config.source); // 12 "models/deberta-base/config.json"
   * ```
   */
  static async from_pretrained(location: string | URL, options: LoadOptions = {}): Promise<DebertaConfig> {
    const { text, file } = await readConfigText(location, options);
    return DebertaConfig.from_json_string(text, { source: file });
  }

  /** Size of one attention head (transformers' `attention_head_size`): `hidden_size / num_attention_heads`. */
  get head_size(): number {
    return this.hidden_size / this.num_attention_heads;
  }

  /** Width of the concatenated heads: `num_attention_heads * head_size` (equals `hidden_size`). */
  get all_head_size(): number {
    return this.num_attention_heads * this.head_size;
  }

  /**
   * `pos_att_type` normalised to a lowercase list (`[]` when null). It says which relative terms exist;
   * like transformers, a model only adds them (and their projections) when `relative_attention` is true.
   */
  get pos_att_types(): readonly PosAttType[] {
    return this.#posAttTypes;
  }

  /**
   * Half the number of relative-position embeddings (`rel_embeddings` has twice this many rows):
   * `max_relative_positions`, or `max_position_embeddings` when that is below 1 (transformers' rule).
   */
  get max_relative_positions_effective(): number {
    return this.max_relative_positions < 1 ? this.max_position_embeddings : this.max_relative_positions;
  }

  /**
   * transformers' `scale_factor = 1 + len(self.pos_att_type)`: one term for content-to-content attention
   * plus one per relative term. transformers computes it from `pos_att_type` alone, even when
   * `relative_attention` is false (then no relative term is added but the query is still divided by the
   * larger scale), so this getter does the same: a port must reproduce that to match its outputs.
   */
  get attention_scale_factor(): number {
    return 1 + this.#posAttTypes.length;
  }

  /** What the query is divided by before the dot product: `sqrt(head_size * attention_scale_factor)`. */
  get query_scale(): number {
    return Math.sqrt(this.head_size * this.attention_scale_factor);
  }

  /** Number of classes of a classification head: the size of `id2label` (2 by default). */
  get num_labels(): number {
    return Object.keys(this.id2label).length;
  }

  /** The keys the config was built from, in input order. */
  get given_keys(): readonly string[] {
    return [...this.#given.keys()];
  }

  /**
   * The value of any key, known or not, as this config sees it (defaults applied, labels resolved);
   * `undefined` for a key it neither knows nor was given.
   */
  get(key: string): unknown {
    if (Object.hasOwn(this.extra, key)) return cloneJson(this.extra[key]);
    if (KNOWN_KEYS.has(key)) return cloneJson((this as unknown as Record<string, unknown>)[key]);
    return undefined;
  }

  /**
   * The config as a `config.json` object, keys sorted. By default it holds what transformers'
   * `save_pretrained` writes (every DeBERTa key, non-default labels) plus every key given, with given
   * values exactly as given (explicit `null`s, the string form of `pos_att_type`, unknown keys): a file
   * written by transformers comes back unchanged. With `{ onlyGiven: true }` it is exactly the input.
   */
  to_dict(options?: ToDictOptions & { onlyGiven?: false }): DebertaConfigDict;
  to_dict(options: ToDictOptions): Partial<DebertaConfigDict>;
  to_dict(options: ToDictOptions = {}): Partial<DebertaConfigDict> {
    const entries = new Map<string, unknown>();
    if (options.onlyGiven !== true) {
      const self = this as unknown as Record<string, unknown>;
      for (const key of ALWAYS_SERIALISED_KEYS) entries.set(key, self[key]);
      if (!this.#labelsAreDefault) {
        entries.set("id2label", stringKeyed(this.id2label));
        entries.set("label2id", { ...this.label2id });
      }
    }
    for (const [key, value] of this.#given) entries.set(key, value);
    const sorted = [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return cloneJson(Object.fromEntries(sorted)) as Partial<DebertaConfigDict>;
  }

  /**
   * {@link to_dict} as JSON text, 2-space indented with a final newline, like transformers'
   * `to_json_string`.
   */
  to_json_string(options: ToDictOptions & { indent?: number } = {}): string {
    return `${JSON.stringify(this.to_dict(options), null, options.indent ?? 2)}\n`;
  }

  /** Lets `JSON.stringify(config)` write the config itself. */
  toJSON(): DebertaConfigDict {
    return this.to_dict();
  }
}
