import type { Backend, TensorHandle } from "@deberta/tensor";
import { Tensor } from "@deberta/tensor";
import { ModelError } from "./errors.js";

/** A weight as the readers of @deberta/hub return it (float32 data, row-major). */
export interface WeightTensor {
  shape: readonly number[];
  /** Float data (float32, or float64 that is narrowed); integer weights are rejected. */
  data: Float32Array | ArrayLike<number> | ArrayLike<bigint>;
  dtype?: string;
}

export type WeightMap = ReadonlyMap<string, WeightTensor>;

const count = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Checkpoint names of uploaded weights (without the `deberta.` prefix), for messages about their outputs. */
const weightNames = new WeakMap<TensorHandle, string>();

/**
 * The module a weight belongs to: its checkpoint name without the parameter
 * ("encoder.layer.3.output.dense.weight" → "encoder.layer.3.output.dense"); undefined for a tensor that is
 * not a checkpoint weight (derived at load time, or a placeholder).
 */
export function weightModule(handle: TensorHandle | undefined): string | undefined {
  const name = handle === undefined ? undefined : weightNames.get(handle);
  if (name === undefined) return undefined;
  const dot = name.lastIndexOf(".");
  return dot < 0 ? name : name.slice(0, dot);
}

/** What loading found, in transformers' terms (`output_loading_info`). */
export interface LoadingInfo {
  missing_keys: string[];
  unexpected_keys: string[];
  /** Keys the model does not use by design (e.g. absolute position embeddings it has no use for). */
  ignored_keys: string[];
}

/**
 * Hands checkpoint weights to the model parts by their checkpoint names, uploading each once, checking its
 * shape against what the config implies, and recording which keys were used, so that missing and
 * unexpected keys can be reported the way transformers reports them.
 */
export class WeightBinder {
  private readonly used = new Set<string>();
  private readonly missing: string[] = [];
  private readonly uploaded: TensorHandle[] = [];

  constructor(
    readonly backend: Backend,
    private readonly weights: WeightMap,
    /** Checkpoint prefixes tried in order for base-model keys ("" and "deberta." by default). */
    private readonly prefixes: readonly string[] = ["", "deberta."],
    readonly file?: string,
  ) {}

  private resolve(name: string, prefixed: boolean): string | undefined {
    for (const prefix of prefixed ? this.prefixes : [""]) {
      if (this.weights.has(prefix + name)) return prefix + name;
    }
    return undefined;
  }

  /**
   * The weight `name` with shape `shape`, uploaded; `base` says it belongs to the base model (so a
   * `deberta.` prefix is accepted). A missing weight is recorded (see `finish`); a wrong shape throws.
   */
  take(
    name: string,
    shape: readonly number[],
    options: { base?: boolean; linear?: boolean; alias?: string } = {},
  ): TensorHandle {
    const data = this.read(name, shape, options);
    return this.uploadWeight(
      data ?? new Float32Array(count(shape)),
      shape,
      options.linear ?? false,
      data && name,
    );
  }

  /**
   * One tensor of shape `shape` made on the host from several checkpoint weights, each found, checked and
   * recorded as `take` does, before anything is uploaded: `combine` gets their data in the order of `parts`
   * (e.g. separate query / key / value projections interleaved into one fused projection, which a backend
   * then prepares as one Linear weight). Any part missing: recorded, and the result is zeros. `name` is what
   * messages about its outputs call it, as `take`'s are called by their checkpoint name.
   */
  takeCombined(
    parts: readonly { name: string; shape: readonly number[] }[],
    shape: readonly number[],
    combine: (data: readonly Float32Array[]) => Float32Array,
    options: { base?: boolean; linear?: boolean; name?: string } = {},
  ): TensorHandle {
    const data = parts.map((part) => this.read(part.name, part.shape, options));
    const present = data.filter((d): d is Float32Array => d !== undefined);
    let combined: Float32Array = new Float32Array(count(shape));
    if (present.length === parts.length) {
      combined = combine(present);
      if (combined.length !== count(shape)) {
        throw new ModelError(
          "MODEL_WEIGHT_SHAPE",
          `Weights ${parts.map((p) => p.name).join(", ")} combined into ${combined.length} values, not [${shape.join(", ")}]`,
          { key: parts[0]!.name, ...(this.file ? { file: this.file } : {}) },
        );
      }
    }
    const complete = present.length === parts.length;
    return this.uploadWeight(combined, shape, options.linear ?? false, complete ? options.name : undefined);
  }

  /** The float32 data of weight `name` after its checks, or undefined (recorded as missing). */
  private read(
    name: string,
    shape: readonly number[],
    options: { base?: boolean; alias?: string },
  ): Float32Array | undefined {
    const key =
      this.resolve(name, options.base ?? true) ??
      (options.alias === undefined ? undefined : this.resolve(options.alias, options.base ?? true));
    if (key === undefined) {
      // Loading goes on with a placeholder so that every missing key is reported at once.
      this.missing.push(name);
      return undefined;
    }
    const w = this.weights.get(key)!;
    if (w.shape.length !== shape.length || w.shape.some((d, i) => d !== shape[i])) {
      throw new ModelError(
        "MODEL_WEIGHT_SHAPE",
        `Weight ${key}${this.file ? ` in ${this.file}` : ""} has shape [${w.shape.join(", ")}] but the config implies [${shape.join(", ")}]`,
        { key, ...(this.file ? { file: this.file } : {}) },
      );
    }
    if (w.dtype !== undefined && w.dtype !== "float32" && w.dtype !== "float64") {
      throw new ModelError(
        "MODEL_WEIGHT_SHAPE",
        `Weight ${key}${this.file ? ` in ${this.file}` : ""} has dtype ${w.dtype}, expected a float type`,
        {
          key,
          ...(this.file ? { file: this.file } : {}),
        },
      );
    }
    this.used.add(key);
    return w.data instanceof Float32Array ? w.data : Float32Array.from(w.data as ArrayLike<number>, Number);
  }

  /** Uploads a weight; `name` (a checkpoint name) is recorded for messages about the outputs it makes. */
  private uploadWeight(
    data: Float32Array,
    shape: readonly number[],
    linear: boolean,
    name?: string,
  ): TensorHandle {
    const handle = this.backend.upload(new Tensor("float32", data, [...shape]));
    // A Linear weight of the encoder is used by nothing else: the backend may keep only its packed copy.
    if (linear) this.backend.prepareLinearWeight?.(handle, { exclusive: true });
    this.uploaded.push(handle);
    if (name !== undefined) weightNames.set(handle, name);
    return handle;
  }

  /** Every tensor this binder uploaded (the model's weights): the model frees them when it is disposed. */
  get handles(): readonly TensorHandle[] {
    return this.uploaded;
  }

  /** Marks keys as deliberately unused (they are then neither used nor unexpected). */
  ignore(predicate: (key: string) => boolean): void {
    for (const key of this.weights.keys()) if (predicate(key)) this.used.add(`ignored:${key}`);
  }

  /** Throws MODEL_WEIGHTS_MISSING listing every missing key; returns the loading info otherwise. */
  finish(modelName: string): LoadingInfo {
    const ignored = [...this.used].filter((k) => k.startsWith("ignored:")).map((k) => k.slice(8));
    const unexpected = [...this.weights.keys()].filter((k) => !this.used.has(k) && !ignored.includes(k));
    if (this.missing.length > 0) {
      for (const h of this.uploaded) if (h.alive) this.backend.dispose(h);
      throw new ModelError(
        "MODEL_WEIGHTS_MISSING",
        `Some weights of ${modelName} are missing from the checkpoint${this.file ? ` ${this.file}` : ""}: ${this.missing.join(", ")}` +
          " (transformers would initialise them randomly; this library refuses to compute with random weights)",
        { key: this.missing[0]!, ...(this.file ? { file: this.file } : {}) },
      );
    }
    return { missing_keys: [], unexpected_keys: unexpected, ignored_keys: ignored };
  }
}
