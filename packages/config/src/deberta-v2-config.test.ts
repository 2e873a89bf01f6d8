import { describe, expect, it } from "vitest";
import { configFromDict, configFromJsonString, isDebertaV2Config } from "./auto-config.js";
import { DebertaConfig } from "./deberta-config.js";
import {
  DEBERTA_V2_CONFIG_DEFAULTS,
  DEBERTA_V2_OPTIONAL_DEFAULTS,
  DebertaV2Config,
  parseV2PosAttType,
} from "./deberta-v2-config.js";
import { DebertaConfigError } from "./errors.js";

function failure(init: unknown): DebertaConfigError {
  try {
    DebertaV2Config.from_dict(init, { source: "v2/config.json" });
  } catch (error) {
    expect(error).toBeInstanceOf(DebertaConfigError);
    return error as DebertaConfigError;
  }
  throw new Error("expected a DebertaConfigError");
}

describe("DebertaV2Config defaults", () => {
  it("takes transformers' DebertaV2Config defaults for every key left out", () => {
    const config = new DebertaV2Config();
    for (const [key, value] of Object.entries(DEBERTA_V2_CONFIG_DEFAULTS)) {
      expect(config.get(key), key).toStrictEqual(value);
    }
    for (const [key, value] of Object.entries(DEBERTA_V2_OPTIONAL_DEFAULTS)) {
      expect(config.get(key), key).toStrictEqual(value);
    }
    expect(config.attention_head_size).toBe(
      DEBERTA_V2_CONFIG_DEFAULTS.hidden_size / DEBERTA_V2_CONFIG_DEFAULTS.num_attention_heads,
    );
    expect(config.embedding_size).toBe(config.hidden_size);
    expect(config.pooler_hidden_size).toBe(config.hidden_size);
    expect(config.model_type).toBe("deberta-v2");
  });

  it("writes only the always-saved keys, not the getattr keys it was not given", () => {
    const out = new DebertaV2Config({ hidden_size: 64, num_attention_heads: 4 }).to_dict();
    expect(out.position_buckets).toBeUndefined();
    expect(out.conv_kernel_size).toBeUndefined();
    expect(out.model_type).toBe("deberta-v2");
    expect(out.pooler_hidden_size).toBe(64);
  });
});

describe("DebertaV2Config derived values", () => {
  const base = {
    hidden_size: 32,
    num_attention_heads: 4,
    relative_attention: true,
    max_position_embeddings: 512,
  };

  it("uses position_buckets as the attention span when positive, else max_relative_positions", () => {
    expect(new DebertaV2Config({ ...base, position_buckets: 16 }).attention_span).toBe(16);
    expect(new DebertaV2Config({ ...base, max_relative_positions: 64 }).attention_span).toBe(64);
    expect(new DebertaV2Config(base).attention_span).toBe(512);
  });

  it("counts c2p and p2c once each in the scale factor", () => {
    const config = new DebertaV2Config({ ...base, pos_att_type: ["p2c", "c2p", "c2p"] });
    expect(config.attention_scale_factor).toBe(3);
    expect(config.query_scale).toBeCloseTo(Math.sqrt(8 * 3), 12);
    expect(new DebertaV2Config({ ...base, pos_att_type: "c2p" }).attention_scale_factor).toBe(2);
    expect(new DebertaV2Config(base).attention_scale_factor).toBe(1);
  });

  it("accepts an explicit attention_head_size that does not divide hidden_size", () => {
    const config = new DebertaV2Config({ hidden_size: 30, num_attention_heads: 4, attention_head_size: 16 });
    expect(config.head_size).toBe(16);
    expect(config.all_head_size).toBe(64);
  });

  it("parses norm_rel_ebd like transformers (lowercase, split on |)", () => {
    const config = new DebertaV2Config({ ...base, norm_rel_ebd: "None | Layer_Norm" });
    expect(config.norm_rel_ebd_entries).toEqual(["none", "layer_norm"]);
    expect(config.norm_rel_embeddings).toBe(true);
    expect(config.norm_rel_ebd).toBe("None | Layer_Norm");
    expect(new DebertaV2Config(base).norm_rel_embeddings).toBe(false);
  });

  it("parses pos_att_type as a string or a list", () => {
    expect(parseV2PosAttType("P2C|c2p")).toEqual(["p2c", "c2p"]);
    expect(parseV2PosAttType([" c2p "])).toEqual(["c2p"]);
    expect(parseV2PosAttType(null)).toEqual([]);
  });
});

describe("DebertaV2Config validation names the key", () => {
  it.each([
    [{ model_type: "deberta" }, "model_type", "CONFIG_MODEL_TYPE"],
    [{ position_buckets: "256" }, "position_buckets", "CONFIG_TYPE"],
    [{ position_buckets: 2 }, "position_buckets", "CONFIG_VALUE"],
    [
      { relative_attention: true, position_buckets: 512, max_position_embeddings: 256 },
      "position_buckets",
      "CONFIG_VALUE",
    ],
    [{ norm_rel_ebd: "batch_norm" }, "norm_rel_ebd", "CONFIG_VALUE"],
    [{ norm_rel_ebd: true }, "norm_rel_ebd", "CONFIG_TYPE"],
    [{ share_att_key: "yes" }, "share_att_key", "CONFIG_TYPE"],
    [{ conv_kernel_size: -1 }, "conv_kernel_size", "CONFIG_VALUE"],
    [{ conv_kernel_size: 3, conv_groups: 5 }, "conv_groups", "CONFIG_VALUE"],
    [{ conv_groups: 0 }, "conv_groups", "CONFIG_VALUE"],
    [{ conv_act: "" }, "conv_act", "CONFIG_VALUE"],
    [{ attention_head_size: 0 }, "attention_head_size", "CONFIG_VALUE"],
    [{ hidden_size: 30, num_attention_heads: 4 }, "hidden_size", "CONFIG_VALUE"],
    [{ embedding_size: 1.5 }, "embedding_size", "CONFIG_VALUE"],
    [{ pos_att_type: "c2p|p2p" }, "pos_att_type", "CONFIG_VALUE"],
    [{ pos_att_type: 3 }, "pos_att_type", "CONFIG_TYPE"],
    [{ vocab_size: 0 }, "vocab_size", "CONFIG_VALUE"],
  ])("%j -> %s", (init, key, code) => {
    const error = failure(init);
    expect(error.key).toBe(key);
    expect(error.code).toBe(code);
    expect(error.file).toBe("v2/config.json");
    expect(error.message).toContain(`"${key}"`);
  });
});

describe("DebertaV2Config round trip", () => {
  const file = {
    model_type: "deberta-v2",
    hidden_size: 32,
    num_attention_heads: 2,
    attention_head_size: 16,
    pos_att_type: "p2c|c2p",
    position_buckets: 16,
    norm_rel_ebd: "layer_norm",
    share_att_key: true,
    conv_kernel_size: 3,
    conv_act: "gelu",
    id2label: { 0: "entailment", 1: "neutral", 2: "contradiction" },
    some_future_key: { nested: [1, 2] },
  };

  it("keeps every given key exactly, including unknown ones", () => {
    const config = DebertaV2Config.from_dict(file);
    expect(config.to_dict({ onlyGiven: true })).toStrictEqual(file);
    expect(config.extra).toStrictEqual({ some_future_key: { nested: [1, 2] } });
    const full = config.to_dict();
    expect(DebertaV2Config.from_json_string(JSON.stringify(full)).to_dict()).toStrictEqual(full);
    expect(full.pos_att_type).toBe("p2c|c2p");
    expect(full.label2id).toStrictEqual({ entailment: 0, neutral: 1, contradiction: 2 });
    expect(config.num_labels).toBe(3);
  });
});

describe("configFromDict dispatches on model_type", () => {
  it("gives a DebertaV2Config for deberta-v2 and a DebertaConfig for deberta or no model_type", () => {
    const v2 = configFromDict({ model_type: "deberta-v2" });
    expect(v2).toBeInstanceOf(DebertaV2Config);
    expect(isDebertaV2Config(v2)).toBe(true);
    expect(configFromDict({ model_type: "deberta" })).toBeInstanceOf(DebertaConfig);
    expect(configFromJsonString("{}")).toBeInstanceOf(DebertaConfig);
  });

  it("refuses another model_type with a typed error naming the key", () => {
    expect(() => configFromDict({ model_type: "bert" }, { source: "x/config.json" })).toThrow(
      expect.objectContaining({ code: "CONFIG_MODEL_TYPE", key: "model_type", file: "x/config.json" }),
    );
    expect(() => configFromDict({ model_type: 2 })).toThrow(
      expect.objectContaining({ code: "CONFIG_TYPE", key: "model_type" }),
    );
  });
});
