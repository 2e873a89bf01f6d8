import { describe, expect, it } from "vitest";
import { scaledWeights } from "./scaled-weights.js";

describe("scaledWeights", () => {
  const weights = new Map([
    ["a", { shape: [2], data: Float32Array.of(1, -2), dtype: "float16" }],
    ["b", { shape: [1], data: Float32Array.of(3) }],
  ]);

  it("multiplies the named tensors into float32 copies and shares the rest", () => {
    const out = scaledWeights(weights, { a: 1e5 });
    expect(Array.from(out.get("a")!.data)).toEqual([1e5, -2e5]);
    expect(out.get("a")!.dtype).toBe("float32");
    expect(out.get("b")).toBe(weights.get("b"));
    expect(Array.from(weights.get("a")!.data)).toEqual([1, -2]);
  });

  it("names a key the weights lack", () => {
    expect(() => scaledWeights(weights, { c: 2 })).toThrow(/no weight c/);
  });
});
