import { describe, expect, it } from "vitest";
import { DebertaConfig } from "./deberta-config.js";
import { modelConfigPath, syntheticBaseConfig } from "./test-helpers.js";

const load = (variant: string, head: string) => DebertaConfig.from_pretrained(modelConfigPath(variant, head));

// Expected values are worked out by hand from the fixture files and transformers' modeling_deberta.py
// (attention_head_size = hidden/heads; rel_embeddings rows = 2 * (max_relative_positions < 1 ?
// max_position_embeddings : max_relative_positions); scale = sqrt(head_size * (1 + len(pos_att_type)))).
describe("derived values", () => {
  it("base-like: 4 heads of 8, c2p+p2c, relative span from max_position_embeddings", async () => {
    const config = await load("base-like", "model");
    expect(config.head_size).toBe(8);
    expect(config.all_head_size).toBe(32);
    expect(config.pos_att_types).toEqual(["c2p", "p2c"]);
    expect(config.relative_attention).toBe(true);
    expect(config.position_biased_input).toBe(false);
    expect(config.max_relative_positions_effective).toBe(64);
    expect(config.attention_scale_factor).toBe(3);
    expect(config.query_scale).toBeCloseTo(Math.sqrt(24), 12);
    expect(config.num_labels).toBe(2);
    expect(config.pooler_hidden_size).toBe(32);
    expect(config.embedding_size).toBe(32);
  });

  it("base-like heads: label counts and problem types", async () => {
    expect((await load("base-like", "seqcls")).num_labels).toBe(3);
    expect((await load("base-like", "tokcls")).num_labels).toBe(5);
    const regression = await load("base-like", "seqcls-regression");
    expect(regression.num_labels).toBe(1);
    expect(regression.problem_type).toBeNull();
    const multi = await load("base-like", "seqcls-multilabel");
    expect(multi.num_labels).toBe(4);
    expect(multi.problem_type).toBe("multi_label_classification");
    expect(multi.label2id).toEqual({ LABEL_0: 0, LABEL_1: 1, LABEL_2: 2, LABEL_3: 3 });
    expect((await load("base-like", "mlm")).legacy).toBe(false);
    expect((await load("base-like", "mlm-legacy")).legacy).toBe(true);
  });

  it("span8-types: 2 heads of 16, p2c+c2p in that order, clamped span 8, token types", async () => {
    const config = await load("span8-types", "model");
    expect(config.head_size).toBe(16);
    expect(config.all_head_size).toBe(32);
    expect(config.pos_att_types).toEqual(["p2c", "c2p"]);
    expect(config.max_relative_positions_effective).toBe(8);
    expect(config.attention_scale_factor).toBe(3);
    expect(config.query_scale).toBeCloseTo(Math.sqrt(48), 12);
    expect(config.type_vocab_size).toBe(2);
    expect(config.num_hidden_layers).toBe(3);
    expect(config.position_biased_input).toBe(true);
  });

  it("p2c-only: one relative term, relu", async () => {
    const config = await load("p2c-only", "model");
    expect(config.head_size).toBe(8);
    expect(config.pos_att_types).toEqual(["p2c"]);
    expect(config.attention_scale_factor).toBe(2);
    expect(config.query_scale).toBe(4);
    expect(config.max_relative_positions_effective).toBe(64);
    expect(config.hidden_act).toBe("relu");
    expect((await load("p2c-only", "seqcls")).num_labels).toBe(3);
  });

  it("absolute-only: no relative attention, plain sqrt(head_size) scaling", async () => {
    const config = await load("absolute-only", "model");
    expect(config.relative_attention).toBe(false);
    expect(config.pos_att_type).toBeNull();
    expect(config.pos_att_types).toEqual([]);
    expect(config.attention_scale_factor).toBe(1);
    expect(config.query_scale).toBeCloseTo(Math.sqrt(8), 12);
    expect(config.layer_norm_eps).toBe(1e-12);
    expect(config.type_vocab_size).toBe(2);
    expect(config.max_relative_positions_effective).toBe(64);
  });

  it("deberta-base-synthetic: base sizes", () => {
    const config = DebertaConfig.from_dict(syntheticBaseConfig());
    expect(config.head_size).toBe(64);
    expect(config.all_head_size).toBe(768);
    expect(config.max_relative_positions_effective).toBe(512);
    expect(config.query_scale).toBeCloseTo(Math.sqrt(192), 12);
  });

  it("counts pos_att_type in the scale even without relative attention, as transformers does", () => {
    // transformers: scale_factor = 1 + len(self.pos_att_type), computed outside `if self.relative_attention`.
    const config = new DebertaConfig({ relative_attention: false, pos_att_type: "c2p|p2c" });
    expect(config.attention_scale_factor).toBe(3);
    expect(config.query_scale).toBeCloseTo(Math.sqrt(64 * 3), 12);
  });

  it("uses a positive max_relative_positions as is, and max_position_embeddings for 0 or less", () => {
    expect(new DebertaConfig({ max_relative_positions: 1 }).max_relative_positions_effective).toBe(1);
    expect(new DebertaConfig({ max_relative_positions: 0 }).max_relative_positions_effective).toBe(512);
    expect(
      new DebertaConfig({ max_relative_positions: -5, max_position_embeddings: 128 })
        .max_relative_positions_effective,
    ).toBe(128);
  });
});
