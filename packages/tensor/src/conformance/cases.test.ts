import { describe, expect, it } from "vitest";
import { conformanceCases, conformancePlan } from "./cases.js";

describe("conformance cases", () => {
  it("have unique names and cover every primitive and fused op", () => {
    const names = conformanceCases.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    const ops = new Set(conformanceCases.map((c) => c.op));
    for (const op of [
      "matmul",
      "binary",
      "unary",
      "affine",
      "reduce",
      "gather",
      "gatherElements",
      "where",
      "reshape",
      "transpose",
      "slice",
      "concat",
      "cast",
    ]) {
      expect(ops.has(op as never), op).toBe(true);
    }
    for (const op of [
      "linear",
      "layerNorm",
      "activation",
      "maskedSoftmax",
      "disentangledAttention",
      "overflowCount",
    ])
      expect(ops.has(op as never), op).toBe(true);
  });

  it("give float16 a looser tolerance than float32", () => {
    for (const c of conformanceCases) expect(c.tolerance.float16).toBeGreaterThan(c.tolerance.float32);
  });

  it("plans skips with the op and the reason in the title, and rejects unknown case names", () => {
    const plan = conformancePlan({ "matmul 2-D": "no matmul on this device" });
    const skipped = plan.filter((p) => p.skip !== undefined);
    expect(skipped).toHaveLength(1);
    expect(skipped[0]!.title).toBe("matmul: matmul 2-D — skipped: no matmul on this device");
    expect(() => conformancePlan({ "no such case": "x" })).toThrow(/no case named "no such case"/);
  });
});
