import path from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { loadDebertaConfig } from "./auto-config.js";
import { DebertaConfig } from "./deberta-config.js";
import { DebertaV2Config } from "./deberta-v2-config.js";
import {
  findConfigFiles,
  findV2ConfigFiles,
  fixturesDir,
  readJson,
  syntheticBaseConfig,
} from "./test-helpers.js";

const configFiles = findConfigFiles();

// Guards the loops below: with no fixtures found they would pass vacuously.
it("finds the fixture configs (every model checkpoint plus the hub-layout tokenizer folder)", () => {
  expect(configFiles.length).toBeGreaterThanOrEqual(23);
  expect(configFiles).toContain(path.join(fixturesDir(), "tokenizer-hub-layout", "config.json"));
  expect(configFiles).toContain(path.join(fixturesDir(), "models", "base-like", "seqcls", "config.json"));
});

const named = configFiles.map((file) => [path.relative(fixturesDir(), file), file] as const);

describe.each(named)("%s", (_name, file) => {
  const raw = readJson(file) as Record<string, unknown>;

  it("loads with from_pretrained(file) and from_pretrained(dir), naming its source", async () => {
    const fromFile = await DebertaConfig.from_pretrained(file);
    const fromDir = await DebertaConfig.from_pretrained(path.dirname(file));
    expect(fromFile.source).toBe(file);
    expect(fromDir.source).toBe(file);
    expect(fromDir.to_dict()).toEqual(fromFile.to_dict());
    expect(fromFile.to_dict()).toEqual(DebertaConfig.from_dict(raw).to_dict());
  });

  it("loads from a file: URL", async () => {
    const config = await DebertaConfig.from_pretrained(pathToFileURL(file));
    expect(config.to_dict()).toEqual(DebertaConfig.from_dict(raw).to_dict());
  });

  it("keeps every key with its exact value, and re-parses to the same config", () => {
    const config = DebertaConfig.from_dict(raw);
    const out = config.to_dict();
    for (const [key, value] of Object.entries(raw)) {
      expect(Object.hasOwn(out, key), key).toBe(true);
      expect(out[key], key).toStrictEqual(value);
    }
    expect(DebertaConfig.from_dict(out).to_dict()).toStrictEqual(out);
    expect(config.to_dict({ onlyGiven: true })).toStrictEqual(raw);
  });

  if ("transformers_version" in raw) {
    it("serialises back to exactly the file transformers wrote", () => {
      expect(DebertaConfig.from_dict(raw).to_dict()).toStrictEqual(raw);
    });
  }
});

// DeBERTa-v2/v3 configs: DebertaConfig (v1) still refuses them, naming model_type; DebertaV2Config and the
// model_type dispatch read them, and write them back unchanged.
const v2Named = findV2ConfigFiles().map((file) => [path.relative(fixturesDir(), file), file] as const);
describe.each(v2Named)("%s (DeBERTa-v2)", (_name, file) => {
  it("is refused by DebertaConfig with a typed error naming model_type", async () => {
    await expect(DebertaConfig.from_pretrained(file)).rejects.toMatchObject({
      name: "DebertaConfigError",
      key: "model_type",
      file,
    });
  });

  it("is read as a DebertaV2Config by loadDebertaConfig, and written back exactly", async () => {
    const raw = readJson(file) as Record<string, unknown>;
    const config = await loadDebertaConfig(file);
    expect(config).toBeInstanceOf(DebertaV2Config);
    expect(config.source).toBe(file);
    expect(config.to_dict({ onlyGiven: true })).toStrictEqual(raw);
    const full = config.to_dict();
    for (const [key, value] of Object.entries(raw)) expect(full[key], key).toStrictEqual(value);
    expect(DebertaV2Config.from_dict(full).to_dict()).toStrictEqual(full);
  });
});

describe("deberta-base-synthetic/synthetic.json config (a Hub-style sparse config)", () => {
  const raw = syntheticBaseConfig();

  it("parses with microsoft/deberta-base values", () => {
    const config = DebertaConfig.from_dict(raw, { source: "synthetic.json#config" });
    expect(config.vocab_size).toBe(50265);
    expect(config.hidden_size).toBe(768);
    expect(config.num_hidden_layers).toBe(12);
    expect(config.pos_att_type).toBe("c2p|p2c");
    expect(config.pos_att_types).toEqual(["c2p", "p2c"]);
    expect(config.num_labels).toBe(3);
    expect(config.id2label).toEqual({ 0: "CONTRADICTION", 1: "NEUTRAL", 2: "ENTAILMENT" });
    expect(config.architectures).toEqual(["DebertaForSequenceClassification"]);
  });

  it("round-trips: given keys survive exactly, defaults are added as transformers would save them", () => {
    const out = DebertaConfig.from_dict(raw).to_dict();
    for (const [key, value] of Object.entries(raw)) expect(out[key], key).toStrictEqual(value);
    expect(out.pos_att_type).toBe("c2p|p2c");
    expect(out.pooler_hidden_size).toBe(768);
    expect(out.attention_probs_dropout_prob).toBe(0.1);
    expect(DebertaConfig.from_dict(out).to_dict()).toStrictEqual(out);
    expect(DebertaConfig.from_dict(raw).to_dict({ onlyGiven: true })).toStrictEqual(raw);
  });
});
