// feature-extraction, as transformers.js' FeatureExtractionPipeline: the encoder's last hidden state for
// the inputs padded to the longest of the call (truncated to model_max_length), then `pooling`:
// "none" → [batch, tokens, hidden]; "cls" → the first real token of each row, [batch, hidden]; "mean" →
// the mean over the tokens whose attention mask is 1, [batch, hidden]. `normalize` divides each vector (the
// last dimension) by its L2 norm. A bare model (DebertaModel, DebertaV2Model) gives last_hidden_state; any
// other head's last hidden state is read from its hidden_states.
import { Tensor } from "@deberta/tensor";
import { batchSizeOf, chunk, forwardRows, type ModelRow } from "../batching.js";
import { argumentError, describe, PipelineError } from "../errors.js";
import { makePipeline, type PipelineBase, type PipelineContext, type TaskDefinition } from "../types.js";

export type Pooling = "none" | "cls" | "mean";
export const POOLINGS: readonly Pooling[] = ["none", "cls", "mean"];

export interface FeatureExtractionOptions {
  /** Default "none". */
  pooling?: Pooling;
  /** L2-normalise each vector; default false. */
  normalize?: boolean;
  /** Default true: a float32 Tensor; false: nested number arrays of the same shape. */
  return_tensor?: boolean;
}

/** Nested arrays: [batch, tokens, hidden] without pooling, [batch, hidden] with. */
export type FeatureList = number[][][] | number[][];

export interface FeatureExtractionPipeline extends PipelineBase {
  (
    inputs: string | readonly string[],
    options?: FeatureExtractionOptions & { return_tensor?: true },
  ): Promise<Tensor>;
  (
    inputs: string | readonly string[],
    options: FeatureExtractionOptions & { return_tensor: false },
  ): Promise<FeatureList>;
  (inputs: string | readonly string[], options?: FeatureExtractionOptions): Promise<Tensor | FeatureList>;
}

function toNested(data: Float32Array, dims: readonly number[]): FeatureList {
  const [batch, a, b] = dims as [number, number, number | undefined];
  if (b === undefined)
    return Array.from({ length: batch }, (_, i) => Array.from(data.subarray(i * a, (i + 1) * a)));
  return Array.from({ length: batch }, (_, i) =>
    Array.from({ length: a }, (_, t) => Array.from(data.subarray((i * a + t) * b, (i * a + t + 1) * b))),
  );
}

function create(context: PipelineContext): FeatureExtractionPipeline {
  const { tokenizer, model } = context;
  const call = async (inputs: unknown, options: FeatureExtractionOptions = {}) => {
    const pooling = options.pooling ?? "none";
    if (!POOLINGS.includes(pooling)) {
      throw argumentError("pooling", `must be one of ${POOLINGS.join(", ")}, got ${describe(pooling)}`);
    }
    const texts: unknown[] = Array.isArray(inputs) ? inputs : [inputs];
    if (texts.length === 0) throw argumentError("inputs", "must hold at least one text");
    texts.forEach((t, i) => {
      if (typeof t !== "string") {
        throw argumentError(
          Array.isArray(inputs) ? `inputs[${i}]` : "inputs",
          `must be a string, got ${describe(t)}`,
        );
      }
    });
    // Padded to the longest input of the call so that every row has the same length.
    const encoded = tokenizer(texts as string[], { padding: true, truncation: true });
    const ids = encoded.input_ids as number[][];
    const masks = encoded.attention_mask as number[][];
    const types = encoded.token_type_ids as number[][];
    const rows: ModelRow[] = ids.map((input_ids, i) => ({
      input_ids,
      attention_mask: masks[i]!,
      token_type_ids: types[i]!,
    }));
    const length = ids[0]!.length;
    const isBase = (model.constructor as { task?: string }).task === "model";
    let hidden = 0;
    let states: Float32Array | undefined;
    let at = 0;
    for (const batch of chunk(rows, batchSizeOf(context))) {
      const { outputs } = await forwardRows(
        model,
        tokenizer,
        batch,
        isBase ? {} : { output_hidden_states: true },
      );
      const last = outputs.last_hidden_state ?? outputs.hidden_states?.[outputs.hidden_states.length - 1];
      if (last === undefined) {
        throw new PipelineError("PIPELINE_MODEL_CONFIG", "model: it returned no hidden states", {
          argument: "model",
        });
      }
      hidden = last.dims[2]!;
      states ??= new Float32Array(rows.length * length * hidden);
      states.set(last.data as Float32Array, at);
      at += batch.length * length * hidden;
    }
    const data = states!;

    let out: Float32Array;
    let dims: number[];
    if (pooling === "none") {
      out = data;
      dims = [rows.length, length, hidden];
    } else {
      out = new Float32Array(rows.length * hidden);
      dims = [rows.length, hidden];
      rows.forEach((row, r) => {
        const mask = row.attention_mask!;
        const base = r * length * hidden;
        if (pooling === "cls") {
          const first = Math.max(0, mask.indexOf(1));
          out.set(data.subarray(base + first * hidden, base + (first + 1) * hidden), r * hidden);
          return;
        }
        const sum = new Float64Array(hidden);
        let count = 0;
        for (let t = 0; t < length; t++) {
          if (mask[t] !== 1) continue;
          count++;
          for (let h = 0; h < hidden; h++) sum[h]! += data[base + t * hidden + h]!;
        }
        for (let h = 0; h < hidden; h++) out[r * hidden + h] = sum[h]! / count;
      });
    }
    if (options.normalize) {
      for (let v = 0; v < out.length / hidden; v++) {
        const vector = out.subarray(v * hidden, (v + 1) * hidden);
        let norm = 0;
        for (const x of vector) norm += x * x;
        norm = Math.max(Math.sqrt(norm), 1e-12);
        for (let h = 0; h < hidden; h++) vector[h] = vector[h]! / norm;
      }
    }
    return options.return_tensor === false ? toNested(out, dims) : new Tensor("float32", out, dims);
  };
  return makePipeline<FeatureExtractionPipeline>(context, call);
}

export const featureExtraction: TaskDefinition<FeatureExtractionPipeline> = {
  task: "feature-extraction",
  head: "model",
  create,
};
