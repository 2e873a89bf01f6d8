import { type AnyDebertaConfig, DebertaConfig, DebertaV2Config } from "@deberta/config";
import { openWeightsFromDir } from "@deberta/hub";
import {
  type AttentionTerms,
  DebertaBackbone,
  type DebertaInputs,
  DebertaV2Backbone,
  type LoadingInfo,
  Ops,
  WeightBinder,
  type WeightMap,
} from "@deberta/model";
import { type Backend, Tensor, type TensorHandle } from "@deberta/tensor";
import { resolveDevice } from "./device.js";
import { HeadError } from "./errors.js";

export type { AttentionTerms };

/** Inputs of a head call: the model inputs, optional labels, and which extra outputs to return. */
export interface HeadCallInputs extends DebertaInputs {
  labels?: Tensor;
  start_positions?: Tensor;
  end_positions?: Tensor;
  output_hidden_states?: boolean;
  output_attentions?: boolean;
  /**
   * Also return each layer's attention score terms (`attention_terms`: c2c, c2p, p2c), for inspection.
   * Not a transformers output: transformers returns only their softmax (`output_attentions`).
   */
  output_attention_terms?: boolean;
  /**
   * Count every linear and LayerNorm output's values out of float16's range and reject the call with
   * ModelError MODEL_FP16_OVERFLOW naming the first layer that overflowed. Default: on where the backend
   * stores floats in float16 (float16 stores saturate at ±65504, so the outputs would be finite and wrong);
   * true on any backend (does this input fit float16?); false off.
   */
  check_fp16_overflow?: boolean;
}

/** Outputs as onnxruntime-common Tensors on the CPU, named as in transformers. */
export interface HeadCallOutputs {
  logits?: Tensor;
  start_logits?: Tensor;
  end_logits?: Tensor;
  last_hidden_state?: Tensor;
  loss?: Tensor;
  hidden_states?: Tensor[];
  attentions?: Tensor[];
  /**
   * Per layer (when `output_attention_terms`), the attention score terms [batch, heads, length, length]
   * float32, scaled exactly as they enter the softmax and not masked: `c2c` always, `c2p` / `p2c` where the
   * config's `pos_att_type` has them and `relative_attention` is on. Softmax over keys of `c2c + c2p + p2c`,
   * with masked keys set to float32's lowest value, is `attentions[i]`.
   */
  attention_terms?: AttentionTerms<Tensor>[];
}

export interface FromPretrainedOptions {
  /** Backend name(s) to resolve from the registry ("cpu", "webgpu", ...); ignored when `backend` is given. */
  device?: string | number | readonly (string | number)[];
  backend?: Backend;
  /** Weights already in memory (else read from the folder: model.safetensors or pytorch_model.bin). */
  weights?: WeightMap;
  /** The config (else read from the folder's `config.json`); its `model_type` must be the head's. */
  config?: AnyDebertaConfig;
}

/** What a head computes from the encoder output, on the backend. */
export type HeadTensors = Record<string, TensorHandle>;

/**
 * The task of a head, one per transformers `AutoModelFor...` class: `"model"` (AutoModel, the bare
 * encoder), `"sequence-classification"`, `"token-classification"`, `"question-answering"`, `"masked-lm"`,
 * `"multiple-choice"`. A head written elsewhere may name a task of its own.
 */
export type HeadTask =
  | "model"
  | "sequence-classification"
  | "token-classification"
  | "question-answering"
  | "masked-lm"
  | "multiple-choice"
  | (string & {});

export interface DebertaPreTrainedModel {
  // biome-ignore lint/style/useShorthandFunctionType: merged with the class below to make instances callable.
  (inputs: HeadCallInputs): Promise<HeadCallOutputs>;
}

/**
 * Base of the task heads, with transformers.js' API: `await Head.from_pretrained(dir, { device })`, then
 * `await model({ input_ids, attention_mask, ... })`. Instances are callable. A head subclass declares its
 * architecture name, loads its weights in `loadHead`, and maps the encoder output in `forwardHead`.
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the interface adds the call signature of the callable instance.
export abstract class DebertaPreTrainedModel {
  declare readonly config: AnyDebertaConfig;
  declare readonly backend: Backend;
  /** `DebertaBackbone` for a v1 config, `DebertaV2Backbone` for a `deberta-v2` one. */
  declare readonly backbone: DebertaBackbone | DebertaV2Backbone;
  declare readonly loading_info: LoadingInfo;
  declare protected readonly ops: Ops;
  declare private disposed_: boolean;
  /** The weights this model uploaded, freed by dispose(). */
  declare private weights_: readonly TensorHandle[];
  /** Set when from_pretrained resolved the backend itself: dispose() then closes it too. */
  declare private ownsBackend_: boolean;

  /** transformers' class name, as in `config.architectures`. */
  static readonly architecture: string = "DebertaPreTrainedModel";
  /** The `model_type` of the configs this head runs: `"deberta"` (v1) or `"deberta-v2"` (v2, v3, mDeBERTa). */
  static readonly modelType: string = "deberta";
  /**
   * What the head computes, as transformers' `AutoModelFor...` classes name it (see {@link HeadTask}); the
   * registry finds a checkpoint's head by `model_type` and task with it. Undefined: found by architecture only.
   */
  static readonly task: HeadTask | undefined = undefined;

  constructor(backend: Backend, config: AnyDebertaConfig, binder: WeightBinder) {
    const target = new.target as unknown as { architecture: string; modelType: string };
    if (config.model_type !== target.modelType) {
      throw new HeadError(
        "HEAD_ARCHITECTURE",
        `${target.architecture} runs model_type "${target.modelType}" configs, but config.model_type is "${config.model_type}"`,
        { argument: "config" },
      );
    }
    // The instance is a function (`await model(inputs)`), with this class's prototype.
    const self = ((inputs: HeadCallInputs) => self.forward(inputs)) as unknown as DebertaPreTrainedModel;
    Object.setPrototypeOf(self, new.target.prototype);
    Object.assign(self, {
      config,
      backend,
      ops: new Ops(backend),
      disposed_: false,
      backbone:
        config.model_type === "deberta-v2"
          ? DebertaV2Backbone.fromBinder(binder, config)
          : DebertaBackbone.fromBinder(binder, config),
    });
    self.loadHead(binder);
    Object.assign(self, {
      loading_info: binder.finish(target.architecture),
      weights_: binder.handles,
      ownsBackend_: false,
    });
    // biome-ignore lint/correctness/noConstructorReturn: returning the callable is the point.
    return self;
  }

  /**
   * Loads `config.json` and the weights of a folder and builds the model on the backend asked for.
   *
   * @example
   * ```ts
   * const model = await DebertaForSequenceClassification.from_pretrained("./deberta-base-mnli", { device: "cpu" });
   * const { logits } = await model({ input_ids, attention_mask });
   * ```
   */
  static async from_pretrained<T extends DebertaPreTrainedModel>(
    this: (new (
      backend: Backend,
      config: AnyDebertaConfig,
      binder: WeightBinder,
    ) => T) & { readonly modelType: string },
    location: string,
    options: FromPretrainedOptions = {},
  ): Promise<T> {
    // biome-ignore lint/complexity/noThisInStatic: the class called (a subclass) decides the config class, not this base.
    const config = options.config ?? (await readConfigFor(this, location));
    const ownsBackend = options.backend === undefined;
    const backend = options.backend ?? (await resolveDevice(options.device ?? "cpu"));
    let weights: WeightMap | undefined;
    try {
      // Safetensors weights are read one tensor at a time as they are uploaded, never the whole file at once.
      weights = options.weights ?? (await openWeightsFromDir(location));
      const model = new this(backend, config, new WeightBinder(backend, weights, ["deberta.", ""], location));
      Object.assign(model, { ownsBackend_: ownsBackend });
      return model;
    } catch (error) {
      if (ownsBackend) backend.close();
      throw error;
    } finally {
      if (options.weights === undefined) (weights as { close?: () => void } | undefined)?.close?.();
    }
  }

  protected abstract loadHead(binder: WeightBinder): void;
  /** The inputs the encoder runs on (a multiple-choice head flattens its choices); the inputs as given by default. */
  protected encoderInputs(inputs: HeadCallInputs): HeadCallInputs {
    return inputs;
  }
  protected abstract forwardHead(hidden: TensorHandle, inputs: HeadCallInputs): HeadTensors;
  protected abstract computeLoss(
    outputs: Record<string, Tensor>,
    inputs: HeadCallInputs,
  ): { loss?: number; outputs: Record<string, Tensor> };

  /**
   * Runs the model. Calls may overlap (a server calling one model from many requests): each returns what
   * it would return alone. A call in flight when `dispose()` runs rejects with HEAD_DISPOSED, and frees
   * what it holds on the backend before it settles.
   */
  async forward(inputs: HeadCallInputs): Promise<HeadCallOutputs> {
    this.ensureNotDisposed();
    const encoderInputs = this.encoderInputs(inputs);
    const encoded = this.backbone.forward(encoderInputs, {
      output_hidden_states: inputs.output_hidden_states ?? false,
      output_attentions: inputs.output_attentions ?? false,
      output_attention_terms: inputs.output_attention_terms ?? false,
      ...(inputs.check_fp16_overflow === undefined
        ? {}
        : { check_fp16_overflow: inputs.check_fp16_overflow }),
    });
    const checks = encoded.fp16_overflow_check;
    const owned = new Set<TensorHandle>([
      encoded.last_hidden_state,
      ...(encoded.hidden_states ?? []),
      ...(encoded.attentions ?? []),
      ...(encoded.attention_terms ?? []).flatMap(termHandles),
    ]);
    try {
      const handles = this.ops.checking(checks, "head", () =>
        this.forwardHead(encoded.last_hidden_state, encoderInputs),
      );
      for (const h of Object.values(handles)) owned.add(h);
      // The checks' tally is computed last: reading it waits for the pass once, then the outputs are ready.
      await checks?.verify();
      this.ensureNotDisposed();
      const downloaded: Record<string, Tensor> = {};
      // Every await below is where another call (or dispose) may run: check the model is still there.
      for (const [name, h] of Object.entries(handles)) {
        downloaded[name] = await this.backend.download(h);
        this.ensureNotDisposed();
      }
      const { loss, outputs } = this.computeLoss(downloaded, inputs);
      const result: HeadCallOutputs = { ...outputs };
      if (loss !== undefined) result.loss = scalar(loss);
      if (inputs.output_hidden_states)
        result.hidden_states = await Promise.all(encoded.hidden_states!.map((h) => this.backend.download(h)));
      if (inputs.output_attentions)
        result.attentions = await Promise.all(encoded.attentions!.map((h) => this.backend.download(h)));
      if (inputs.output_attention_terms)
        result.attention_terms = await Promise.all(
          encoded.attention_terms!.map((terms) => this.downloadTerms(terms)),
        );
      this.ensureNotDisposed();
      return result;
    } catch (error) {
      // A backend closed under the call (a model that owns its backend closes it on dispose) fails its
      // reads with BACKEND_DISPOSED: to the caller it is the same event, the model was disposed.
      if (this.disposed_ && !(error instanceof HeadError && error.code === "HEAD_DISPOSED"))
        throw disposedError(error);
      throw error;
    } finally {
      checks?.dispose();
      this.ops.free(...owned);
    }
  }

  private async downloadTerms(terms: AttentionTerms): Promise<AttentionTerms<Tensor>> {
    const [c2c, c2p, p2c] = await Promise.all(
      [terms.c2c, terms.c2p, terms.p2c].map((h) => (h === undefined ? undefined : this.backend.download(h))),
    );
    return { c2c: c2c!, ...(c2p === undefined ? {} : { c2p }), ...(p2c === undefined ? {} : { p2c }) };
  }

  private ensureNotDisposed(): void {
    if (this.disposed_) throw disposedError();
  }

  /**
   * Frees the model's caches and weights on its backend (a GPU's memory comes back at once), and closes the
   * backend when from_pretrained created it (`device: ...`); a backend passed in stays open for its owner.
   * Calling the model afterwards fails with HEAD_DISPOSED, and so do the calls still in flight.
   */
  dispose(): void {
    if (this.disposed_) return;
    // Set first: calls in flight see it at their next await and reject with HEAD_DISPOSED.
    Object.assign(this, { disposed_: true });
    this.backbone.dispose();
    this.ops.free(...this.weights_);
    if (this.ownsBackend_) this.backend.close();
  }
}

/** The folder's `config.json` as the config class of the head's `model_type` (v1 heads: `DebertaConfig`, as before). */
function readConfigFor(head: { readonly modelType: string }, location: string): Promise<AnyDebertaConfig> {
  return head.modelType === DebertaV2Config.model_type
    ? DebertaV2Config.from_pretrained(location)
    : DebertaConfig.from_pretrained(location);
}

/** The handles of one layer's terms that are there. */
function termHandles(terms: AttentionTerms): TensorHandle[] {
  return [terms.c2c, terms.c2p, terms.p2c].filter((h): h is TensorHandle => h !== undefined);
}

function disposedError(cause?: unknown): HeadError {
  return new HeadError(
    "HEAD_DISPOSED",
    "This model was disposed; load it again to run it",
    cause === undefined ? {} : { cause },
  );
}

function scalar(value: number): Tensor {
  return new Tensor("float32", Float32Array.of(value), []);
}

/** Labels as plain numbers, with a typed error naming the argument when missing or of the wrong size. */
export function numbersOf(t: Tensor | undefined, argument: string, length?: number): number[] {
  if (t === undefined) throw new HeadError("HEAD_INPUT", `${argument} is required`, { argument });
  const values = Array.from(t.data as ArrayLike<number | bigint>, Number);
  if (length !== undefined && values.length !== length) {
    throw new HeadError(
      "HEAD_INPUT",
      `${argument} has ${values.length} values, expected ${length} (dims [${t.dims.join(", ")}])`,
      { argument },
    );
  }
  return values;
}
