import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DebertaConfig } from "./deberta-config.js";
import { DebertaConfigError, type DebertaConfigErrorCode } from "./errors.js";
import { caught, caughtSync } from "./test-helpers.js";

const FILE = "models/broken/config.json";

function expectConfigError(
  error: unknown,
  expected: { code: DebertaConfigErrorCode; key: string | undefined; file: string | undefined },
): DebertaConfigError {
  expect(error).toBeInstanceOf(DebertaConfigError);
  const e = error as DebertaConfigError;
  expect(e.name).toBe("DebertaConfigError");
  expect({ code: e.code, key: e.key, file: e.file }).toEqual(expected);
  if (expected.key !== undefined) expect(e.message).toContain(`"${expected.key}"`);
  if (expected.file !== undefined) expect(e.message).toContain(expected.file);
  return e;
}

/** Parses `patch` (over a valid tiny config) as if read from FILE and returns the error. */
function failure(patch: Record<string, unknown>): unknown {
  return caughtSync(() =>
    DebertaConfig.from_dict({ hidden_size: 32, num_attention_heads: 4, ...patch }, { source: FILE }),
  );
}

describe("type errors (CONFIG_TYPE)", () => {
  it.each([
    ["hidden_size", "768"],
    ["layer_norm_eps", "1e-7"],
    ["relative_attention", 1],
    ["position_biased_input", "true"],
    ["vocab_size", null],
    ["hidden_act", 3],
    ["pad_token_id", "0"],
    ["bos_token_id", true],
    ["pos_att_type", 2],
    ["architectures", "DebertaModel"],
    ["id2label", ["a", "b"]],
    ["label2id", { a: "0" }],
    ["dtype", 32],
    ["problem_type", 1],
    ["model_type", 5],
  ])("%s = %j", (key, value) => {
    const e = expectConfigError(failure({ [key]: value }), { code: "CONFIG_TYPE", key, file: FILE });
    expect(e.message).toMatch(/must /);
  });

  it("names the wrong value in the message", () => {
    const e = expectConfigError(failure({ hidden_size: "768" }), {
      code: "CONFIG_TYPE",
      key: "hidden_size",
      file: FILE,
    });
    expect(e.message).toContain('the string "768"');
  });

  it("rejects a top-level value that is not an object", () => {
    expectConfigError(
      caughtSync(() => DebertaConfig.from_dict([1, 2], { source: FILE })),
      { code: "CONFIG_TYPE", key: undefined, file: FILE },
    );
    expectConfigError(
      caughtSync(() => DebertaConfig.from_dict(null)),
      { code: "CONFIG_TYPE", key: undefined, file: undefined },
    );
  });
});

describe("value errors (CONFIG_VALUE)", () => {
  it.each([
    ["vocab_size", 0],
    ["num_hidden_layers", -1],
    ["intermediate_size", 3072.5],
    ["max_position_embeddings", 0],
    ["type_vocab_size", -1],
    ["pooler_hidden_size", 0],
    ["embedding_size", 1.5],
    ["hidden_dropout_prob", 1.5],
    ["attention_probs_dropout_prob", -0.1],
    ["layer_norm_eps", -1e-7],
    ["max_relative_positions", 2.5],
    ["hidden_act", ""],
  ])("%s = %j", (key, value) => {
    expectConfigError(failure({ [key]: value }), { code: "CONFIG_VALUE", key, file: FILE });
  });

  it("hidden_size not divisible by num_attention_heads", () => {
    const e = expectConfigError(failure({ hidden_size: 770, num_attention_heads: 12 }), {
      code: "CONFIG_VALUE",
      key: "hidden_size",
      file: FILE,
    });
    expect(e.message).toContain("770");
    expect(e.message).toContain("num_attention_heads (12)");
  });

  it("an unknown pos_att_type entry", () => {
    const e = expectConfigError(failure({ pos_att_type: "c2p|p2p" }), {
      code: "CONFIG_VALUE",
      key: "pos_att_type",
      file: FILE,
    });
    expect(e.message).toContain('"p2p"');
  });

  it("a problem_type transformers does not know", () => {
    const e = expectConfigError(failure({ problem_type: "classification" }), {
      code: "CONFIG_VALUE",
      key: "problem_type",
      file: FILE,
    });
    expect(e.message).toContain("single_label_classification");
  });

  it.each([["a"], ["1.5"], ["-1"], [""]])("an id2label key %j that is not an integer", (badKey) => {
    const e = expectConfigError(failure({ id2label: { "0": "x", [badKey]: "y" } }), {
      code: "CONFIG_VALUE",
      key: "id2label",
      file: FILE,
    });
    expect(e.message).toContain(JSON.stringify(badKey));
  });

  it("an id2label listing the same id twice", () => {
    expectConfigError(failure({ id2label: { "1": "x", "01": "y" } }), {
      code: "CONFIG_VALUE",
      key: "id2label",
      file: FILE,
    });
  });

  it("num_labels contradicting the size of id2label", () => {
    const e = expectConfigError(failure({ num_labels: 3, id2label: { "0": "a", "1": "b" } }), {
      code: "CONFIG_VALUE",
      key: "num_labels",
      file: FILE,
    });
    expect(e.message).toContain("2 entries");
  });

  it("num_labels below 1", () => {
    expectConfigError(failure({ num_labels: 0 }), { code: "CONFIG_VALUE", key: "num_labels", file: FILE });
  });
});

describe("model_type (CONFIG_MODEL_TYPE)", () => {
  it.each([["deberta-v2"], ["bert"], ["Deberta"]])("%j", (modelType) => {
    const e = expectConfigError(failure({ model_type: modelType }), {
      code: "CONFIG_MODEL_TYPE",
      key: "model_type",
      file: FILE,
    });
    expect(e.message).toContain(JSON.stringify(modelType));
  });

  it("is checked before the other keys, so a v2 config is reported as such", () => {
    expectConfigError(failure({ model_type: "deberta-v2", pos_att_type: "p2c|c2p|p2p", hidden_size: 1536 }), {
      code: "CONFIG_MODEL_TYPE",
      key: "model_type",
      file: FILE,
    });
  });

  it("may be absent", () => {
    expect(DebertaConfig.from_dict({ hidden_size: 32, num_attention_heads: 4 }).model_type).toBe("deberta");
  });
});

it("keeps unknown keys instead of rejecting them", () => {
  const config = DebertaConfig.from_dict({ my_flag: [1, { a: null }], output_hidden_states: true });
  expect(config.extra).toEqual({ my_flag: [1, { a: null }], output_hidden_states: true });
});

describe("files", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "deberta-config-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("invalid JSON names the file (CONFIG_JSON)", async () => {
    const file = path.join(dir, "bad-json.json");
    await writeFile(file, '{"hidden_size": 768,}');
    const e = expectConfigError(await caught(() => DebertaConfig.from_pretrained(file)), {
      code: "CONFIG_JSON",
      key: undefined,
      file,
    });
    expect(e.cause).toBeInstanceOf(SyntaxError);
  });

  it("a missing file names the file (CONFIG_READ)", async () => {
    const file = path.join(dir, "nope", "config.json");
    expectConfigError(await caught(() => DebertaConfig.from_pretrained(file)), {
      code: "CONFIG_READ",
      key: undefined,
      file,
    });
  });

  it("a folder without config.json names <dir>/config.json (CONFIG_READ)", async () => {
    const empty = path.join(dir, "empty");
    await mkdir(empty);
    expectConfigError(await caught(() => DebertaConfig.from_pretrained(empty)), {
      code: "CONFIG_READ",
      key: undefined,
      file: path.join(empty, "config.json"),
    });
  });

  it("a validation error in a file names the file and the key", async () => {
    const folder = path.join(dir, "wrong-type");
    await mkdir(folder);
    await writeFile(
      path.join(folder, "config.json"),
      JSON.stringify({ model_type: "deberta", hidden_size: "768" }),
    );
    expectConfigError(await caught(() => DebertaConfig.from_pretrained(folder)), {
      code: "CONFIG_TYPE",
      key: "hidden_size",
      file: path.join(folder, "config.json"),
    });
  });

  it("from_json_string names its source on invalid JSON", () => {
    expectConfigError(
      caughtSync(() => DebertaConfig.from_json_string("not json", { source: "inline.json" })),
      { code: "CONFIG_JSON", key: undefined, file: "inline.json" },
    );
  });
});
