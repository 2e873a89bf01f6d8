/**
 * Fuzzing config.json loading (issue 14, target d): seeded random and mutated configs — values of the
 * wrong type, NaN-like strings, negative and huge sizes, unknown keys, nested garbage, values JSON cannot
 * hold (NaN, BigInt) — through `from_dict`, `from_json_string` and `from_pretrained`. Every case gives a
 * config (which must then serialise and answer its getters) or a DebertaConfigError with a code.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { caseRng, type Rng } from "@deberta/testing";
import { afterAll, describe, expect, it } from "vitest";
import { DebertaConfig } from "./deberta-config.js";
import { DebertaConfigError } from "./errors.js";

const SEED = 14_0200;
const CASES = 10_000;
const TIMEOUT_MS = 60_000;

/** microsoft/deberta-base's config.json, plus labels: every kind of key the loader reads. */
const BASE = {
  architectures: ["DebertaForSequenceClassification"],
  attention_probs_dropout_prob: 0.1,
  hidden_act: "gelu",
  hidden_dropout_prob: 0.1,
  hidden_size: 768,
  initializer_range: 0.02,
  intermediate_size: 3072,
  layer_norm_eps: 1e-7,
  max_position_embeddings: 512,
  max_relative_positions: -1,
  model_type: "deberta",
  num_attention_heads: 12,
  num_hidden_layers: 12,
  pad_token_id: 0,
  pooler_dropout: 0,
  pooler_hidden_act: "gelu",
  pooler_hidden_size: 768,
  pos_att_type: "c2p|p2c",
  position_biased_input: false,
  relative_attention: true,
  type_vocab_size: 0,
  vocab_size: 50265,
  id2label: { "0": "neg", "1": "pos" },
  label2id: { neg: 0, pos: 1 },
  problem_type: "single_label_classification",
  torch_dtype: "float32",
  transformers_version: "4.0.0",
};

const STRINGS = ["", "NaN", "Infinity", "-1", "768", "1e309", "null", "true", "c2p|p2c", "p2p", "deberta-v2"];
const NUMBERS = [0, -0, -1, 1, 0.5, 1.5, 3, 12, 768, 1e300, -1e300, 2 ** 53, 2 ** 31, Number.MAX_VALUE];
/** Values only a JavaScript caller can pass (from_dict takes any object). */
const JS_ONLY = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, undefined, 10n];

function randomValue(r: Rng, depth = 3, jsOnly = false): unknown {
  switch (r.int(0, depth > 0 ? 8 : 6)) {
    case 0:
      return null;
    case 1:
      return r.chance(0.5);
    case 2:
      return r.pick(NUMBERS);
    case 3:
      return r.chance(0.5) ? r.int(-10, 5000) : r.next() * 10 ** r.int(-10, 30);
    case 4:
      return r.pick(STRINGS);
    case 5:
      return String.fromCharCode(...Array.from({ length: r.int(0, 8) }, () => r.int(0, 0xffff)));
    case 6:
      return jsOnly ? r.pick(JS_ONLY) : r.pick(NUMBERS);
    case 7:
      return Array.from({ length: r.int(0, 4) }, () => randomValue(r, depth - 1, jsOnly));
    default: {
      const obj: Record<string, unknown> = {};
      for (let i = r.int(0, 4); i > 0; i--)
        obj[r.pick([...STRINGS, "0", "7", "__proto__"])] = randomValue(r, depth - 1, jsOnly);
      return obj;
    }
  }
}

function deeplyNested(depth: number): unknown {
  let value: unknown = 0;
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? [value] : { a: value };
  return value;
}

/** 1-4 mutations of the base: a key's value replaced, a key removed, an unknown key added. */
function randomConfig(r: Rng, jsOnly: boolean): unknown {
  if (r.chance(0.1)) return randomValue(r, 4, jsOnly);
  const doc: Record<string, unknown> = structuredClone(BASE);
  const keys = Object.keys(BASE);
  for (let m = r.int(1, 4); m > 0; m--) {
    const action = r.int(0, 9);
    if (action <= 5) doc[r.pick(keys)] = randomValue(r, 3, jsOnly);
    else if (action === 6) delete doc[r.pick(keys)];
    else if (action === 7)
      doc[r.pick([...STRINGS, "extra", "__proto__", "constructor"])] = randomValue(r, 3, jsOnly);
    else if (action === 8 && r.chance(0.1))
      doc[r.pick(["extra", ...keys])] = deeplyNested(r.int(100, 20_000));
    else doc[r.pick(keys)] = r.pick(NUMBERS);
  }
  return doc;
}

/** A config that loaded must also serialise and answer its derived values. */
function use(config: DebertaConfig): void {
  config.to_json_string();
  config.to_dict({ onlyGiven: true });
  JSON.stringify(config);
  void [config.head_size, config.query_scale, config.num_labels, config.max_relative_positions_effective];
  for (const key of config.given_keys) config.get(key);
}

function outcome(fn: () => void, describeCase: () => string): string {
  try {
    fn();
    return "ok";
  } catch (error) {
    if (error instanceof DebertaConfigError && typeof error.code === "string") return error.code;
    throw untyped(error, describeCase);
  }
}

function untyped(error: unknown, describeCase: () => string): Error {
  const where = error instanceof Error ? (error.stack ?? "").split("\n").slice(1, 4).join("\n") : "";
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return new Error(`untyped exception ${message}\n${where}\n  for ${describeCase()}`, { cause: error });
}

function show(value: unknown): string {
  try {
    const text = JSON.stringify(value, (_, v) =>
      typeof v === "bigint" ? `${v}n` : v === undefined ? "<undefined>" : Number.isNaN(v) ? "<NaN>" : v,
    );
    return text === undefined ? String(value) : text.length > 400 ? `${text.slice(0, 400)}…` : text;
  } catch {
    return "<too deep to print>";
  }
}

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe("fuzz: config.json through DebertaConfig's loaders", () => {
  it(
    `${CASES} random and mutated objects through from_dict give a config or a DebertaConfigError`,
    () => {
      const outcomes = new Map<string, number>();
      for (let i = 0; i < CASES; i++) {
        const r = caseRng(SEED, i);
        const doc = randomConfig(r, true);
        const result = outcome(
          () => use(DebertaConfig.from_dict(doc, { source: "fuzz/config.json" })),
          () => `case ${i} (seed ${SEED}): ${show(doc)}`,
        );
        outcomes.set(result, (outcomes.get(result) ?? 0) + 1);
      }
      expect(outcomes.get("ok") ?? 0).toBeGreaterThan(CASES / 20);
      expect(outcomes.get("CONFIG_TYPE") ?? 0).toBeGreaterThan(CASES / 20);
      expect(outcomes.get("CONFIG_VALUE") ?? 0).toBeGreaterThan(CASES / 20);
    },
    TIMEOUT_MS,
  );

  it(
    `${CASES} JSON texts (some cut short) through from_json_string, every 100th through from_pretrained`,
    async () => {
      const outcomes = new Map<string, number>();
      for (let i = 0; i < CASES; i++) {
        const r = caseRng(SEED + 1, i);
        const doc = randomConfig(r, false);
        let text: string;
        try {
          text = JSON.stringify(doc) ?? "null";
        } catch {
          text = `{"extra": ${"[".repeat(50_000)}${"]".repeat(50_000)}}`;
        }
        if (r.chance(0.2)) text = text.slice(0, r.int(0, text.length));
        if (r.chance(0.05)) text = `\ufeff${text}`;
        const describeCase = () => `text case ${i} (seed ${SEED + 1}): ${show(text)}`;
        const result = outcome(
          () => use(DebertaConfig.from_json_string(text, { source: "fuzz/config.json" })),
          describeCase,
        );
        outcomes.set(result, (outcomes.get(result) ?? 0) + 1);
        if (i % 100 === 0) {
          const dir = mkdtempSync(path.join(tmpdir(), "deberta-config-fuzz-"));
          dirs.push(dir);
          writeFileSync(path.join(dir, "config.json"), text);
          try {
            use(await DebertaConfig.from_pretrained(dir));
          } catch (error) {
            if (!(error instanceof DebertaConfigError)) throw untyped(error, describeCase);
          }
        }
      }
      expect(outcomes.get("ok") ?? 0).toBeGreaterThan(CASES / 20);
      expect(outcomes.get("CONFIG_JSON") ?? 0).toBeGreaterThan(CASES / 20);
    },
    TIMEOUT_MS,
  );
});

describe("cases the fuzzer found", () => {
  const error = (fn: () => unknown): unknown => {
    try {
      fn();
    } catch (e) {
      return e;
    }
    return undefined;
  };

  it("a value nested thousands deep is a CONFIG_VALUE error naming the key, not a stack overflow (seed 140200, case 12)", () => {
    expect(
      error(() => DebertaConfig.from_dict({ extra: deeplyNested(20_000) }, { source: "f/config.json" })),
    ).toMatchObject({
      name: "DebertaConfigError",
      code: "CONFIG_VALUE",
      key: "extra",
      file: "f/config.json",
    });
    const text = `{"initializer_range": 0.02, "id2label": ${"[".repeat(5_000)}${"]".repeat(5_000)}}`;
    expect(error(() => DebertaConfig.from_json_string(text))).toMatchObject({
      code: "CONFIG_VALUE",
      key: "id2label",
    });
  });

  it("a BigInt under an unknown key is a CONFIG_TYPE error, not a TypeError from to_json_string", () => {
    expect(error(() => DebertaConfig.from_dict({ extra: [1, 10n] }))).toMatchObject({
      code: "CONFIG_TYPE",
      key: "extra",
    });
  });
});
