import type { DebertaConfig } from "@deberta/config";
import { Tensor } from "@deberta/tensor";
import { ModelError } from "./errors.js";

/** Model inputs as transformers names them; int64 (or int32) Tensors of shape [batch, length]. */
export interface DebertaInputs {
  input_ids: Tensor;
  /** [batch, length] (1 = attend) or [batch, length, length]; all ones when absent. */
  attention_mask?: Tensor;
  token_type_ids?: Tensor;
  position_ids?: Tensor;
}

export interface PreparedInputs {
  batch: number;
  length: number;
  ids: Tensor;
  positions: Tensor | undefined;
  tokenTypes: Tensor | undefined;
  /** Float mask for the embeddings, [batch, length, 1]. */
  embeddingMask: Tensor;
  /** Float mask for attention, [batch, length] or [batch, length, length]. */
  attentionMask: Tensor;
}

function integers(t: Tensor, argument: string): number[] {
  if (
    t.type !== "int64" &&
    t.type !== "int32" &&
    t.type !== "float32" &&
    t.type !== "bool" &&
    t.type !== "uint8"
  ) {
    throw new ModelError("MODEL_INPUT", `${argument} must be an int64 or int32 tensor, got ${t.type}`, {
      argument,
    });
  }
  return Array.from(t.data as ArrayLike<number | bigint | boolean>, (v) => Number(v));
}

function dimsOf(t: Tensor, argument: string): [number, number] {
  if (t.dims.length === 1) return [1, t.dims[0]!];
  if (t.dims.length === 2) return [t.dims[0]!, t.dims[1]!];
  throw new ModelError(
    "MODEL_INPUT",
    `${argument} must be [batch, length], got dims [${t.dims.join(", ")}]`,
    { argument },
  );
}

const asInt = (values: number[], dims: number[]) => new Tensor("int32", Int32Array.from(values), dims);

/** What input validation reads from a config (DeBERTa v1 or v2). */
export type InputConfig = Pick<
  DebertaConfig,
  "vocab_size" | "position_biased_input" | "max_position_embeddings" | "type_vocab_size"
>;

/** Validates the inputs against each other and the config; errors name the argument at fault. */
export function prepareInputs(config: InputConfig, inputs: DebertaInputs): PreparedInputs {
  if (inputs.input_ids === undefined)
    throw new ModelError("MODEL_INPUT", "input_ids is required", { argument: "input_ids" });
  const [batch, length] = dimsOf(inputs.input_ids, "input_ids");
  if (length === 0) throw new ModelError("MODEL_INPUT", "input_ids has length 0", { argument: "input_ids" });
  const ids = integers(inputs.input_ids, "input_ids");
  ids.forEach((id, i) => {
    if (!Number.isInteger(id) || id < 0 || id >= config.vocab_size) {
      throw new ModelError(
        "MODEL_INPUT",
        `input_ids[${Math.floor(i / length)}][${i % length}] = ${id} is outside the vocabulary [0, ${config.vocab_size})`,
        { argument: "input_ids" },
      );
    }
  });
  const sameShape = (t: Tensor, argument: string) => {
    const [b, l] = dimsOf(t, argument);
    if (b !== batch || l !== length) {
      throw new ModelError(
        "MODEL_INPUT",
        `${argument} has shape [${b}, ${l}] but input_ids has [${batch}, ${length}]`,
        { argument },
      );
    }
  };
  let positions: Tensor | undefined;
  if (config.position_biased_input) {
    if (inputs.position_ids !== undefined) {
      sameShape(inputs.position_ids, "position_ids");
      const p = integers(inputs.position_ids, "position_ids");
      const bad = p.find((v) => v < 0 || v >= config.max_position_embeddings);
      if (bad !== undefined) {
        throw new ModelError(
          "MODEL_INPUT",
          `position_ids holds ${bad}, outside [0, ${config.max_position_embeddings})`,
          { argument: "position_ids" },
        );
      }
      positions = asInt(p, [batch, length]);
    } else {
      if (length > config.max_position_embeddings) {
        throw new ModelError(
          "MODEL_INPUT",
          `input_ids has ${length} tokens per sequence but this model's absolute positions stop at max_position_embeddings = ${config.max_position_embeddings}`,
          { argument: "input_ids" },
        );
      }
      positions = asInt(
        Array.from({ length: batch * length }, (_, i) => i % length),
        [batch, length],
      );
    }
  }
  let tokenTypes: Tensor | undefined;
  if (config.type_vocab_size > 0) {
    if (inputs.token_type_ids !== undefined) {
      sameShape(inputs.token_type_ids, "token_type_ids");
      const t = integers(inputs.token_type_ids, "token_type_ids");
      const bad = t.find((v) => v < 0 || v >= config.type_vocab_size);
      if (bad !== undefined) {
        throw new ModelError(
          "MODEL_INPUT",
          `token_type_ids holds ${bad}, outside [0, ${config.type_vocab_size})`,
          { argument: "token_type_ids" },
        );
      }
      tokenTypes = asInt(t, [batch, length]);
    } else {
      tokenTypes = asInt(new Array(batch * length).fill(0), [batch, length]);
    }
  } else if (inputs.token_type_ids !== undefined) {
    sameShape(inputs.token_type_ids, "token_type_ids");
  }
  let attentionMask: Tensor;
  let embeddingMask: Tensor;
  const m = inputs.attention_mask;
  if (m === undefined) {
    attentionMask = new Tensor("float32", new Float32Array(batch * length).fill(1), [batch, length]);
    embeddingMask = new Tensor("float32", new Float32Array(batch * length).fill(1), [batch, length, 1]);
  } else if (m.dims.length === 3) {
    if (m.dims[0] !== batch || m.dims[1] !== length || m.dims[2] !== length) {
      throw new ModelError(
        "MODEL_INPUT",
        `a 3-D attention_mask must be [${batch}, ${length}, ${length}], got [${m.dims.join(", ")}]`,
        { argument: "attention_mask" },
      );
    }
    attentionMask = new Tensor("float32", Float32Array.from(integers(m, "attention_mask")), [
      batch,
      length,
      length,
    ]);
    // transformers multiplies the embeddings by a mask only when it is [batch, length].
    embeddingMask = new Tensor("float32", new Float32Array(batch * length).fill(1), [batch, length, 1]);
  } else {
    sameShape(m, "attention_mask");
    const values = Float32Array.from(integers(m, "attention_mask"));
    attentionMask = new Tensor("float32", values, [batch, length]);
    embeddingMask = new Tensor("float32", values, [batch, length, 1]);
  }
  return {
    batch,
    length,
    ids: asInt(ids, [batch, length]),
    positions,
    tokenTypes,
    embeddingMask,
    attentionMask,
  };
}
