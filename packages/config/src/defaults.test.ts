import { describe, expect, it } from "vitest";
import { DebertaConfig } from "./deberta-config.js";

// transformers 5.x `DebertaConfig()` written out by hand from configuration_deberta.py (keyword defaults,
// pooler_hidden_size = hidden_size) and PretrainedConfig (2 placeholder labels); deliberately not imported
// from the package so that a wrong default there makes this test fail.
const TRANSFORMERS_DEFAULTS = {
  vocab_size: 50265,
  hidden_size: 768,
  num_hidden_layers: 12,
  num_attention_heads: 12,
  intermediate_size: 3072,
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
  pooler_hidden_size: 768,
  legacy: true,
  tie_word_embeddings: true,
  model_type: "deberta",
};

describe("DebertaConfig() with no arguments", () => {
  const config = new DebertaConfig();

  it("has transformers' defaults for every DeBERTa key", () => {
    for (const [key, value] of Object.entries(TRANSFORMERS_DEFAULTS)) {
      expect(config.get(key), key).toStrictEqual(value);
    }
  });

  it("serialises every DeBERTa key and nothing else", () => {
    expect(config.to_dict()).toStrictEqual(TRANSFORMERS_DEFAULTS);
    expect(config.to_dict({ onlyGiven: true })).toStrictEqual({});
  });

  it("has the generic PretrainedConfig defaults", () => {
    expect(config.num_labels).toBe(2);
    expect(config.id2label).toEqual({ 0: "LABEL_0", 1: "LABEL_1" });
    expect(config.label2id).toEqual({ LABEL_0: 0, LABEL_1: 1 });
    expect(config.problem_type).toBeNull();
    expect(config.architectures).toBeNull();
    expect(config.dtype).toBeNull();
    expect(config.torch_dtype).toBeNull();
    expect(config.transformers_version).toBeNull();
    expect(config.embedding_size).toBe(768);
    expect(config.model_type).toBe("deberta");
    expect(DebertaConfig.model_type).toBe("deberta");
    expect(config.extra).toEqual({});
    expect(config.source).toBeUndefined();
  });

  it("has base-sized derived values", () => {
    expect(config.head_size).toBe(64);
    expect(config.pos_att_types).toEqual([]);
    expect(config.attention_scale_factor).toBe(1);
    expect(config.query_scale).toBe(8);
    expect(config.max_relative_positions_effective).toBe(512);
  });
});

describe("defaults that follow other keys", () => {
  it("pooler_hidden_size and embedding_size default to hidden_size, but keep explicit values", () => {
    const small = new DebertaConfig({ hidden_size: 32, num_attention_heads: 4 });
    expect(small.pooler_hidden_size).toBe(32);
    expect(small.embedding_size).toBe(32);
    expect(small.to_dict().pooler_hidden_size).toBe(32);
    expect("embedding_size" in small.to_dict()).toBe(false);
    const explicit = new DebertaConfig({
      hidden_size: 32,
      num_attention_heads: 4,
      pooler_hidden_size: 16,
      embedding_size: 8,
    });
    expect(explicit.pooler_hidden_size).toBe(16);
    expect(explicit.embedding_size).toBe(8);
    expect(explicit.to_dict().embedding_size).toBe(8);
  });

  it("num_labels generates LABEL_i names, which are then saved like transformers does", () => {
    const config = new DebertaConfig({ num_labels: 3 });
    expect(config.id2label).toEqual({ 0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2" });
    expect(config.label2id).toEqual({ LABEL_0: 0, LABEL_1: 1, LABEL_2: 2 });
    const out = config.to_dict();
    expect(out.num_labels).toBe(3);
    expect(out.id2label).toEqual({ 0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2" });
    expect(out.label2id).toEqual({ LABEL_0: 0, LABEL_1: 1, LABEL_2: 2 });
  });

  it("id2label alone sets num_labels and an inverse label2id", () => {
    const config = DebertaConfig.from_dict({ id2label: { "0": "neg", "1": "neu", "2": "pos" } });
    expect(config.num_labels).toBe(3);
    expect(config.label2id).toEqual({ neg: 0, neu: 1, pos: 2 });
    expect(config.to_dict().label2id).toEqual({ neg: 0, neu: 1, pos: 2 });
  });

  it("dtype falls back to the pre-5.x torch_dtype key, which is kept under its own name", () => {
    const config = DebertaConfig.from_dict({ torch_dtype: "float16" });
    expect(config.dtype).toBe("float16");
    expect(config.torch_dtype).toBe("float16");
    expect(config.to_dict().torch_dtype).toBe("float16");
    expect("dtype" in config.to_dict()).toBe(false);
  });
});
