import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { WeightData, WeightTensor } from "./dtypes.js";
import {
  findWeightFiles,
  readWeightsFile,
  readWeightsFromBuffer,
  readWeightsFromDir,
} from "./read-weights.js";
import { readSafetensors, readSafetensorsHeader } from "./safetensors.js";
import { modelsDir } from "./test-support.js";
import { readZipDirectory, ZIP_STORED } from "./zip.js";

interface IndexEntry {
  readonly class: string;
  readonly format?: string;
  readonly keys?: string[];
  readonly expected: string[] | string;
}

const index = JSON.parse(readFileSync(path.join(modelsDir(), "index.json"), "utf8")) as Record<
  string,
  IndexEntry
>;

// The fixtures README: tied parameters are absent from the files (the decoder weight is the word-embedding
// matrix; the legacy decoder bias is cls.predictions.bias), while index.json lists the model's state-dict keys.
const TIED_KEYS: Readonly<Record<string, readonly string[]>> = {
  "base-like/mlm-legacy": ["cls.predictions.decoder.bias", "cls.predictions.decoder.weight"],
  "base-like/mlm": ["lm_predictions.lm_head.weight"],
  "span8-types/mlm": ["lm_predictions.lm_head.weight"],
};

const safetensorsCheckpoints = Object.keys(index).filter((name) => index[name]!.format === undefined);
const binCheckpoints = Object.keys(index).filter((name) => /-bin(-legacy)?$/.test(name));

/** `base-like/model-bin` → `base-like/model`, from index.json's `"expected": "same as base-like/model"`. */
function pairOf(name: string): string {
  const expected = index[name]!.expected;
  const match = typeof expected === "string" ? /^same as (.+)$/.exec(expected) : null;
  if (match === null) throw new Error(`${name}: no "same as" pair in index.json`);
  return match[1]!;
}

function bytesOf(data: WeightData): Buffer {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

function file(checkpoint: string, name: string): string {
  return path.join(modelsDir(), checkpoint, name);
}

const cache = new Map<string, Map<string, WeightTensor>>();
async function weights(checkpoint: string): Promise<Map<string, WeightTensor>> {
  let found = cache.get(checkpoint);
  if (found === undefined) {
    found = await readWeightsFromDir(path.join(modelsDir(), checkpoint));
    cache.set(checkpoint, found);
  }
  return found;
}

describe("safetensors fixtures", () => {
  it("finds the checkpoints listed in index.json", () => {
    expect(safetensorsCheckpoints).toEqual(
      expect.arrayContaining([
        "base-like/model",
        "base-like/seqcls",
        "base-like/mlm",
        "base-like/mlm-legacy",
      ]),
    );
    expect(safetensorsCheckpoints.length).toBe(15);
  });

  it.each(safetensorsCheckpoints)(
    "%s: keys are index.json's keys, less the tied ones",
    async (checkpoint) => {
      const tensors = await weights(checkpoint);
      const expectedKeys = index[checkpoint]!.keys!.filter((k) => !TIED_KEYS[checkpoint]?.includes(k));
      expect([...tensors.keys()].sort()).toEqual([...expectedKeys].sort());
      for (const [key, tensor] of tensors) {
        expect(tensor.dtype, key).toBe("float32");
        expect(tensor.storedDtype, key).toBe("F32");
        expect(tensor.data.length, key).toBe(tensor.shape.reduce((a, b) => a * b, 1));
      }
    },
  );

  it("tied keys really are absent from the files but listed in index.json", () => {
    for (const [checkpoint, tied] of Object.entries(TIED_KEYS)) {
      const header = readSafetensorsHeader(readFileSync(file(checkpoint, "model.safetensors")), checkpoint);
      for (const key of tied) {
        expect(index[checkpoint]!.keys).toContain(key);
        expect(header.tensors.has(key)).toBe(false);
      }
    }
  });

  it("F32 tensors are views on the file's buffer (no copy)", async () => {
    const bytes = new Uint8Array(readFileSync(file("base-like/model", "model.safetensors")));
    const tensors = readSafetensors(bytes, "model.safetensors");
    for (const tensor of tensors.values()) {
      expect(tensor.data.buffer).toBe(bytes.buffer);
    }
    const header = readSafetensorsHeader(bytes, "model.safetensors");
    expect(header.dataStart % 8).toBe(0);
    expect(header.metadata).toEqual({ format: "pt" });
  });

  it("expected.safetensors files are readable too (inputs are I64)", async () => {
    const expected = await readWeightsFile(file("base-like/seqcls", "expected.safetensors"));
    const ids = expected.get("input_ids")!;
    expect(ids.dtype).toBe("int64");
    expect(ids.storedDtype).toBe("I64");
    expect(ids.data).toBeInstanceOf(BigInt64Array);
    expect(ids.shape[0]).toBe(4);
    expect(expected.get("logits")!.shape).toEqual([4, 3]);
  });
});

describe("pytorch_model.bin fixtures", () => {
  it("covers every *-bin and *-bin-legacy checkpoint of index.json", () => {
    expect(binCheckpoints.sort()).toEqual([
      "base-like/mlm-bin",
      "base-like/mlm-bin-legacy",
      "base-like/mlm-legacy-bin",
      "base-like/model-bin",
      "base-like/model-bin-legacy",
      "base-like/seqcls-bin",
    ]);
  });

  it.each(binCheckpoints)("%s: bit-identical to the safetensors checkpoint it names", async (checkpoint) => {
    const pair = pairOf(checkpoint);
    const fromBin = await weights(checkpoint);
    const fromSafetensors = await weights(pair);
    expect([...fromBin.keys()].sort()).toEqual([...fromSafetensors.keys()].sort());
    for (const [key, tensor] of fromBin) {
      const reference = fromSafetensors.get(key)!;
      expect(tensor.dtype, key).toBe("float32");
      expect(tensor.storedDtype, key).toBe("F32");
      expect(tensor.shape, key).toEqual(reference.shape);
      expect(bytesOf(tensor.data).equals(bytesOf(reference.data)), key).toBe(true);
    }
    const expectedKeys = index[checkpoint]!.keys!.filter((k) => !TIED_KEYS[pair]?.includes(k));
    expect([...fromBin.keys()].sort()).toEqual([...expectedKeys].sort());
  });

  it("no two different heads share weights (each bin matches only its pair)", async () => {
    const model = await weights("base-like/model-bin");
    const seqcls = await weights("base-like/seqcls");
    const a = model.get("embeddings.word_embeddings.weight")!;
    const b = seqcls.get("deberta.embeddings.word_embeddings.weight")!;
    expect(bytesOf(a.data).equals(bytesOf(b.data))).toBe(false);
  });

  it("zip checkpoints: ZIP64, entries stored and 64-byte aligned, so F32 tensors are views", async () => {
    for (const checkpoint of binCheckpoints.filter((c) => !c.endsWith("-legacy"))) {
      const bytes = new Uint8Array(readFileSync(file(checkpoint, "pytorch_model.bin")));
      const archive = readZipDirectory(bytes, checkpoint);
      // torch's writer always ends the archive with ZIP64 records, even for small files.
      expect(archive.zip64).toBe(true);
      for (const entry of archive.entries.values()) expect(entry.method, entry.name).toBe(ZIP_STORED);
      const tensors = await readWeightsFromBuffer(bytes, checkpoint);
      for (const [key, tensor] of tensors) {
        expect(tensor.data.buffer, key).toBe(bytes.buffer);
        expect(tensor.data.byteOffset % 64, key).toBe(0);
      }
    }
  });

  it("finds pytorch_model.bin in a folder without safetensors", async () => {
    const dir = path.join(modelsDir(), "base-like/model-bin");
    const found = await findWeightFiles(dir);
    expect(found).toEqual({ format: "pytorch", dir, files: [path.join(dir, "pytorch_model.bin")] });
    const safetensors = await findWeightFiles(path.join(modelsDir(), "base-like/model"));
    expect(safetensors.format).toBe("safetensors");
  });
});

/** Rounds a float32 value to the nearest value with `fractionBits` (ties to even), computed arithmetically. */
function roundTo(x: number, fractionBits: number, minExponent: number, maxFinite: number): number {
  if (x === 0 || !Number.isFinite(x)) return x;
  const a = Math.abs(x);
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  if (2 ** (e + 1) <= a) e++;
  const ulp = 2 ** (Math.max(e, minExponent) - fractionBits);
  const q = a / ulp;
  let r = Math.floor(q);
  const fraction = q - r;
  if (fraction > 0.5 || (fraction === 0.5 && r % 2 === 1)) r++;
  const value = r * ulp > maxFinite ? Number.POSITIVE_INFINITY : r * ulp;
  return x < 0 ? -value : value;
}

const F16 = { fractionBits: 10, minExponent: -14, maxFinite: 65504 };
const BF16 = { fractionBits: 7, minExponent: -126, maxFinite: (2 - 2 ** -7) * 2 ** 127 };

describe("seqcls-f16 / seqcls-bf16", () => {
  it.each([
    ["base-like/seqcls-f16", "F16", F16],
    ["base-like/seqcls-bf16", "BF16", BF16],
  ] as const)("%s decodes to seqcls's float32 weights rounded to %s", async (checkpoint, stored, format) => {
    const rounded = await weights(checkpoint);
    const reference = await weights("base-like/seqcls");
    expect([...rounded.keys()].sort()).toEqual([...reference.keys()].sort());
    let subnormals = 0;
    for (const [key, tensor] of rounded) {
      const ref = reference.get(key)!;
      expect(tensor.dtype, key).toBe("float32");
      expect(tensor.storedDtype, key).toBe(stored);
      expect(tensor.data).toBeInstanceOf(Float32Array);
      expect(tensor.shape, key).toEqual(ref.shape);
      let maxExcess = 0;
      for (let i = 0; i < ref.data.length; i++) {
        const x = ref.data[i] as number;
        const y = tensor.data[i] as number;
        const expected = roundTo(x, format.fractionBits, format.minExponent, format.maxFinite);
        if (!Object.is(y, expected)) expect(`${key}[${i}]: ${y}`).toBe(`${key}[${i}]: ${expected}`);
        const e = Math.max(Math.floor(Math.log2(Math.abs(x) || 2 ** format.minExponent)), format.minExponent);
        const halfUlp = 2 ** (e - format.fractionBits - 1);
        maxExcess = Math.max(maxExcess, Math.abs(y - x) - halfUlp);
        if (y !== 0 && Math.abs(y) < 2 ** format.minExponent) subnormals++;
      }
      expect(maxExcess, key).toBeLessThanOrEqual(0);
    }
    if (stored === "F16") expect(subnormals).toBeGreaterThan(0);
  });
});
