import { describe, expect, it } from "vitest";
import { DebertaConfig } from "./deberta-config.js";
import { DebertaConfigError } from "./errors.js";
import { parsePosAttType } from "./pos-att-type.js";
import { caughtSync } from "./test-helpers.js";

describe("parsePosAttType", () => {
  it.each([
    ["c2p|p2c", ["c2p", "p2c"]],
    ["p2c|c2p", ["p2c", "c2p"]],
    ["C2P|P2C", ["c2p", "p2c"]],
    [" c2p | P2c ", ["c2p", "p2c"]],
    ["p2c", ["p2c"]],
    ["C2p", ["c2p"]],
  ])("string %j -> %j", (input, expected) => {
    expect(parsePosAttType(input)).toEqual(expected);
  });

  it.each([
    [
      ["c2p", "p2c"],
      ["c2p", "p2c"],
    ],
    [
      ["P2C", " C2p "],
      ["p2c", "c2p"],
    ],
    [["p2c"], ["p2c"]],
    [[], []],
  ])("list %j -> %j", (input, expected) => {
    expect(parsePosAttType(input)).toEqual(expected);
  });

  it("treats null and undefined as no relative terms", () => {
    expect(parsePosAttType(null)).toEqual([]);
    expect(parsePosAttType(undefined)).toEqual([]);
  });

  it("keeps duplicates, which transformers counts in the scale factor", () => {
    expect(parsePosAttType("c2p|c2p")).toEqual(["c2p", "c2p"]);
  });

  it.each([["c2p|p2p"], ["p2p"], [""], ["c2p||p2c"], ["c2p,p2c"], [["c2p", "none"]]])(
    "rejects %j with CONFIG_VALUE",
    (input) => {
      const error = caughtSync(() => parsePosAttType(input, { file: "x/config.json" }));
      expect(error).toBeInstanceOf(DebertaConfigError);
      expect((error as DebertaConfigError).code).toBe("CONFIG_VALUE");
      expect((error as DebertaConfigError).key).toBe("pos_att_type");
      expect((error as DebertaConfigError).message).toContain("x/config.json");
    },
  );

  it.each([[5], [true], [{ c2p: true }], [["c2p", 1]]])("rejects %j with CONFIG_TYPE", (input) => {
    const error = caughtSync(() => parsePosAttType(input));
    expect(error).toBeInstanceOf(DebertaConfigError);
    expect((error as DebertaConfigError).code).toBe("CONFIG_TYPE");
  });
});

describe("pos_att_type on DebertaConfig", () => {
  it("normalises every form to the same pos_att_types", () => {
    const forms = ["c2p|p2c", "C2P|P2C", ["c2p", "p2c"], ["C2P", "p2C"]];
    for (const form of forms) {
      const config = DebertaConfig.from_dict({ relative_attention: true, pos_att_type: form });
      expect(config.pos_att_types, JSON.stringify(form)).toEqual(["c2p", "p2c"]);
      expect(config.attention_scale_factor).toBe(3);
    }
  });

  it("serialises the original form: a string stays a string, a list stays a list (case kept)", () => {
    expect(DebertaConfig.from_dict({ pos_att_type: "C2P|p2c" }).to_dict().pos_att_type).toBe("C2P|p2c");
    expect(DebertaConfig.from_dict({ pos_att_type: ["P2C"] }).to_dict().pos_att_type).toEqual(["P2C"]);
    expect(DebertaConfig.from_dict({ pos_att_type: null }).to_dict().pos_att_type).toBeNull();
    expect(new DebertaConfig().to_dict().pos_att_type).toBeNull();
  });

  it("does not let callers mutate the normalised list or the config through to_dict()", () => {
    const input = { pos_att_type: ["c2p", "p2c"] };
    const config = DebertaConfig.from_dict(input);
    input.pos_att_type.push("p2c");
    const out = config.to_dict();
    (out.pos_att_type as string[]).pop();
    expect(config.to_dict().pos_att_type).toEqual(["c2p", "p2c"]);
    expect(Object.isFrozen(config.pos_att_types)).toBe(true);
  });
});
