import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { expectedTensor, type FixtureReaders, loadFixture, type ReferenceTensor } from "./checkpoint.js";

afterEach(() => {
  vi.unstubAllEnvs();
});

const reference = new Map<string, ReferenceTensor>([
  ["input_ids", { shape: [1, 3], data: BigInt64Array.from([1n, 7n, 2n]) }],
  ["logits", { shape: [1, 2], data: Float64Array.from([0.25, -1.5]) }],
]);

function recordingReaders(): FixtureReaders<{ from: string }> & { files: string[] } {
  const files: string[] = [];
  return {
    files,
    readConfig: async (dir) => ({ from: dir }),
    readWeights: async (file) => {
      files.push(file);
      return reference;
    },
  };
}

describe("loadFixture", () => {
  it("reads the checkpoint's config and expected.safetensors under <fixtures>/models with the given readers", async () => {
    vi.stubEnv("DEBERTA_FIXTURES", "/fx");
    const readers = recordingReaders();
    const f = await loadFixture("base-like/seqcls", readers);
    const dir = path.resolve("/fx", "models", "base-like", "seqcls");
    expect(f.dir).toBe(dir);
    expect(f.config).toEqual({ from: dir });
    expect(readers.files).toEqual([path.join(dir, "expected.safetensors")]);
    expect([...f.expected.keys()]).toEqual(["input_ids", "logits"]);
  });
});

describe("expectedTensor", () => {
  it("converts integers and floats to float64", async () => {
    vi.stubEnv("DEBERTA_FIXTURES", "/fx");
    const f = await loadFixture("base-like/seqcls", recordingReaders());
    expect(expectedTensor(f, "input_ids")).toEqual({ shape: [1, 3], data: Float64Array.from([1, 7, 2]) });
    expect(expectedTensor(f, "logits").data).toEqual(Float64Array.from([0.25, -1.5]));
  });

  it("names the file and the key when the reference lacks it", async () => {
    vi.stubEnv("DEBERTA_FIXTURES", "/fx");
    const f = await loadFixture("base-like/seqcls", recordingReaders());
    expect(() => expectedTensor(f, "hidden_states.0")).toThrow(
      `${f.dir}/expected.safetensors has no hidden_states.0`,
    );
  });
});
