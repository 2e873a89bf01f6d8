import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { WeightsError } from "./errors.js";
import { LazyWeights, openWeightsFromDir } from "./lazy-weights.js";
import { readWeightsFromDir } from "./read-weights.js";
import { writeSafetensors } from "./safetensors.js";
import { fixturesDir } from "./test-support.js";

describe("openWeightsFromDir", () => {
  it("reads safetensors tensors lazily, each into its own buffer, equal to the eager reader", async () => {
    const dir = path.join(fixturesDir(), "models", "span8-types", "mlm");
    const lazy = await openWeightsFromDir(dir);
    const eager = await readWeightsFromDir(dir);
    expect(lazy).toBeInstanceOf(LazyWeights);
    expect([...lazy.keys()].sort()).toEqual([...eager.keys()].sort());
    for (const [key, t] of eager) {
      const got = lazy.get(key)!;
      expect(got.shape).toEqual(t.shape);
      expect(got.data).toEqual(t.data);
      expect((got.data as Float32Array).buffer.byteLength).toBe((got.data as Float32Array).byteLength);
    }
    lazy.close?.();
    expect(() => lazy.get([...eager.keys()][0]!)).toThrow(WeightsError);
  });

  it("decodes F16 and BF16 on access", async () => {
    for (const name of ["seqcls-f16", "seqcls-bf16"]) {
      const dir = path.join(fixturesDir(), "models", "base-like", name);
      const lazy = await openWeightsFromDir(dir);
      const eager = await readWeightsFromDir(dir);
      for (const [key, t] of eager) expect(lazy.get(key)!.data).toEqual(t.data);
      lazy.close?.();
    }
  });

  it("falls back to the eager reader for pytorch_model.bin", async () => {
    const weights = await openWeightsFromDir(path.join(fixturesDir(), "models", "base-like", "model-bin"));
    expect(weights).toBeInstanceOf(Map);
    expect(weights.has("embeddings.word_embeddings.weight")).toBe(true);
  });

  it("validates the header when opening: a header length past the end names the file", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "lazy-weights-"));
    const good = writeSafetensors({ w: { dtype: "F32", shape: [2], data: [1, 2] } });
    const bad = new Uint8Array(good);
    new DataView(bad.buffer).setUint32(0, 1_000_000, true);
    writeFileSync(path.join(dir, "model.safetensors"), bad);
    const error = await openWeightsFromDir(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WeightsError);
    expect((error as WeightsError).code).toBe("WEIGHTS_CORRUPT");
    expect((error as WeightsError).file).toBe(path.join(dir, "model.safetensors"));
  });
});
