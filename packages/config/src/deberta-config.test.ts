import { describe, expect, it } from "vitest";
import { DebertaConfig } from "./deberta-config.js";
import * as api from "./index.js";

describe("serialisation", () => {
  it("keeps unknown keys: in extra, through get(), and in to_dict()", () => {
    const config = DebertaConfig.from_dict({
      model_type: "deberta",
      hidden_size: 32,
      num_attention_heads: 4,
      output_hidden_states: false,
      task_specific_params: { mnli: { labels: 3 } },
    });
    expect(config.extra).toEqual({
      output_hidden_states: false,
      task_specific_params: { mnli: { labels: 3 } },
    });
    expect(config.get("task_specific_params")).toEqual({ mnli: { labels: 3 } });
    expect(config.get("hidden_size")).toBe(32);
    expect(config.get("num_labels")).toBe(2);
    expect(config.get("not_there")).toBeUndefined();
    const out = config.to_dict();
    expect(out.output_hidden_states).toBe(false);
    expect(out.task_specific_params).toEqual({ mnli: { labels: 3 } });
  });

  it("keeps explicit nulls and does not add generic keys that were not given", () => {
    const out = DebertaConfig.from_dict({
      problem_type: null,
      architectures: null,
      id2label: null,
    }).to_dict();
    expect(out.problem_type).toBeNull();
    expect(out.architectures).toBeNull();
    expect(out.id2label).toBeNull();
    expect("label2id" in out).toBe(false);
    expect("dtype" in out).toBe(false);
    expect("transformers_version" in out).toBe(false);
    expect("num_labels" in out).toBe(false);
  });

  it("treats a key named __proto__ as an ordinary key", () => {
    const raw = JSON.parse('{"__proto__": {"hidden_size": 1}, "vocab_size": 10}') as Record<string, unknown>;
    const config = DebertaConfig.from_dict(raw);
    expect(config.hidden_size).toBe(768);
    const out = config.to_dict();
    expect(Object.hasOwn(out, "__proto__")).toBe(true);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(JSON.parse(config.to_json_string())).toEqual(out);
  });

  it("writes sorted, 2-space indented JSON with a final newline; JSON.stringify uses toJSON", () => {
    const config = new DebertaConfig({ vocab_size: 1200 });
    const text = config.to_json_string();
    expect(text.endsWith("}\n")).toBe(true);
    expect(text.split("\n")[1]).toBe('  "attention_probs_dropout_prob": 0.1,');
    const keys = Object.keys(JSON.parse(text) as object);
    expect(keys).toEqual([...keys].sort());
    expect(JSON.parse(JSON.stringify(config))).toEqual(config.to_dict());
    expect(config.to_json_string({ onlyGiven: true, indent: 0 })).toBe('{"vocab_size":1200}\n');
  });

  it("copies its input and its output", () => {
    const input = { id2label: { "0": "a", "1": "b", "2": "c" }, mine: { deep: [1] } };
    const config = DebertaConfig.from_dict(input);
    input.id2label["0"] = "changed";
    input.mine.deep.push(2);
    const out = config.to_dict();
    (out.mine as { deep: number[] }).deep.push(3);
    expect(config.id2label[0]).toBe("a");
    expect(config.to_dict().mine).toEqual({ deep: [1] });
    expect(config.to_dict().id2label).toEqual({ "0": "a", "1": "b", "2": "c" });
  });

  it("rebuilding from to_dict() with changes gives a new config", () => {
    const base = new DebertaConfig({ hidden_size: 32, num_attention_heads: 4 });
    const wider = DebertaConfig.from_dict({ ...base.to_dict(), hidden_size: 64 });
    expect(wider.head_size).toBe(16);
    // pooler_hidden_size was written out by to_dict(), so it stays 32 as transformers would keep it.
    expect(wider.pooler_hidden_size).toBe(32);
    expect(base.head_size).toBe(8);
  });

  it("records the given keys in order", () => {
    expect(DebertaConfig.from_dict({ b: 1, hidden_size: 32, num_attention_heads: 4 }).given_keys).toEqual([
      "b",
      "hidden_size",
      "num_attention_heads",
    ]);
  });
});

describe("public API", () => {
  it("exports the documented names", () => {
    expect(Object.keys(api).sort()).toEqual([
      "ALWAYS_SERIALISED_KEYS",
      "DEBERTA_CONFIG_DEFAULTS",
      "DEBERTA_MODEL_TYPE",
      "DEBERTA_V2_CONFIG_DEFAULTS",
      "DEBERTA_V2_MODEL_TYPE",
      "DEBERTA_V2_OPTIONAL_DEFAULTS",
      "DebertaConfig",
      "DebertaConfigError",
      "DebertaV2Config",
      "POS_ATT_TYPES",
      "PROBLEM_TYPES",
      "V2_ALWAYS_SERIALISED_KEYS",
      "configFromDict",
      "configFromJsonString",
      "isDebertaV2Config",
      "loadDebertaConfig",
      "parsePosAttType",
      "parseV2PosAttType",
      "readConfigText",
      "resolveConfigUrl",
    ]);
  });
});
