import { describe, expect, it } from "vitest";
import { caseRng, Rng } from "./rng.js";

describe("Rng", () => {
  it("replays the same values for the same seed and differs for another", () => {
    const draw = (seed: number) => {
      const r = new Rng(seed);
      return Array.from({ length: 8 }, () => r.next());
    };
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
  });

  it("keeps int, below and pick within their ranges", () => {
    const r = new Rng(1);
    for (let i = 0; i < 10_000; i++) {
      const v = r.int(-3, 3);
      expect(Number.isInteger(v) && v >= -3 && v <= 3).toBe(true);
      const b = r.below(5);
      expect(Number.isInteger(b) && b >= 0 && b < 5).toBe(true);
    }
    const seen = new Set(Array.from({ length: 200 }, () => r.pick(["a", "b", "c"])));
    expect([...seen].sort()).toEqual(["a", "b", "c"]);
  });

  it("gives each case of a run its own stream", () => {
    expect(caseRng(3, 5).next()).toBe(caseRng(3, 5).next());
    expect(caseRng(3, 5).next()).not.toBe(caseRng(3, 6).next());
  });
});
