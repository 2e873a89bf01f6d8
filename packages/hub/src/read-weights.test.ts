import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  detectWeightsFormat,
  findWeightFiles,
  readWeightsFile,
  readWeightsFromBuffer,
  readWeightsFromDir,
  WEIGHT_FILE_CANDIDATES,
} from "./read-weights.js";
import { writeSafetensors } from "./safetensors.js";
import {
  expectWeightsError,
  f32Bytes,
  latin1,
  modelsDir,
  rawSafetensors,
  torchLegacy,
  torchZip,
} from "./test-support.js";

const root = mkdtempSync(path.join(tmpdir(), "deberta-hub-read-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let counter = 0;
/** A fresh folder holding the given files. */
function folder(files: Record<string, Uint8Array | string>): string {
  const dir = path.join(root, `m${counter++}`);
  mkdirSync(dir);
  for (const [name, content] of Object.entries(files)) writeFileSync(path.join(dir, name), content);
  return dir;
}

const shardA = writeSafetensors({ "a.weight": { dtype: "F32", shape: [2], data: [1, 2] } });
const shardB = writeSafetensors({
  "b.weight": { dtype: "F32", shape: [1], data: [3] },
  "b.bias": { dtype: "BF16", shape: [1], data: [0.5] },
});
const index = (map: Record<string, string>) =>
  JSON.stringify({ metadata: { total_size: 16 }, weight_map: map });
const goodMap = {
  "a.weight": "model-00001-of-00002.safetensors",
  "b.weight": "model-00002-of-00002.safetensors",
  "b.bias": "model-00002-of-00002.safetensors",
};

function torchSpec(name: string, key: string) {
  return { name, storageType: "FloatStorage", key, numel: 2, offset: 0, size: [2], stride: [1] };
}

describe("findWeightFiles", () => {
  it("prefers model.safetensors over everything else", async () => {
    const dir = folder({
      "model.safetensors": shardA,
      "model.safetensors.index.json": index(goodMap),
      "pytorch_model.bin": "x",
    });
    expect(await findWeightFiles(dir)).toEqual({
      format: "safetensors",
      dir,
      files: [path.join(dir, "model.safetensors")],
    });
  });

  it("then a sharded safetensors index, listing each shard once in order", async () => {
    const dir = folder({
      "model.safetensors.index.json": index(goodMap),
      "model-00001-of-00002.safetensors": shardA,
      "model-00002-of-00002.safetensors": shardB,
      "pytorch_model.bin": "x",
    });
    const found = await findWeightFiles(dir);
    expect(found.format).toBe("safetensors");
    expect(found.files).toEqual([
      path.join(dir, "model-00001-of-00002.safetensors"),
      path.join(dir, "model-00002-of-00002.safetensors"),
    ]);
    expect(found.index).toBe(path.join(dir, "model.safetensors.index.json"));
    expect(found.weightMap).toEqual(new Map(Object.entries(goodMap)));
    const tensors = await readWeightsFromDir(dir);
    expect([...tensors.keys()]).toEqual(["a.weight", "b.weight", "b.bias"]);
    expect([...tensors.get("b.bias")!.data]).toEqual([0.5]);
  });

  it("then pytorch_model.bin, then its sharded index", async () => {
    const bin = torchZip([torchSpec("w", "0")], new Map([["0", f32Bytes([1, 2])]]));
    const single = folder({ "pytorch_model.bin": bin, "pytorch_model.bin.index.json": "{}" });
    expect((await findWeightFiles(single)).files).toEqual([path.join(single, "pytorch_model.bin")]);

    const shard1 = torchZip([torchSpec("x", "0")], new Map([["0", f32Bytes([1, 2])]]));
    const shard2 = torchLegacy([torchSpec("y", "5")], [["5", 2, f32Bytes([3, 4])]]);
    const sharded = folder({
      "pytorch_model.bin.index.json": index({
        x: "pytorch_model-00001-of-00002.bin",
        y: "pytorch_model-00002-of-00002.bin",
      }),
      "pytorch_model-00001-of-00002.bin": shard1,
      "pytorch_model-00002-of-00002.bin": shard2,
    });
    const found = await findWeightFiles(sharded);
    expect(found.format).toBe("pytorch");
    expect(found.files.map((f) => path.basename(f))).toEqual([
      "pytorch_model-00001-of-00002.bin",
      "pytorch_model-00002-of-00002.bin",
    ]);
    const tensors = await readWeightsFromDir(sharded);
    expect([...tensors.get("x")!.data]).toEqual([1, 2]);
    expect([...tensors.get("y")!.data]).toEqual([3, 4]);
  });

  it("names the folder and every candidate when there are no weights", async () => {
    const dir = folder({ "config.json": "{}" });
    const error = await expectWeightsError(() => findWeightFiles(dir), "WEIGHTS_FILE_MISSING", dir);
    for (const name of WEIGHT_FILE_CANDIDATES) expect(error.message).toContain(name);
  });

  it("names a missing folder", async () => {
    const dir = path.join(root, "does-not-exist");
    await expectWeightsError(
      () => findWeightFiles(dir),
      "WEIGHTS_FILE_MISSING",
      dir,
      undefined,
      /does not exist/,
    );
    await expectWeightsError(() => readWeightsFromDir(dir), "WEIGHTS_FILE_MISSING", dir);
  });

  it("refuses a file where a folder is expected", async () => {
    const dir = folder({ "model.safetensors": shardA });
    const file = path.join(dir, "model.safetensors");
    await expectWeightsError(
      () => findWeightFiles(file),
      "WEIGHTS_READ",
      file,
      undefined,
      /not a model folder/,
    );
  });

  it("names a missing shard, the index and a tensor stored in it", async () => {
    const dir = folder({
      "model.safetensors.index.json": index(goodMap),
      "model-00001-of-00002.safetensors": shardA,
    });
    const shard = path.join(dir, "model-00002-of-00002.safetensors");
    const error = await expectWeightsError(
      () => findWeightFiles(dir),
      "WEIGHTS_FILE_MISSING",
      shard,
      "b.weight",
    );
    expect(error.message).toContain("model.safetensors.index.json");
  });

  it.each([["../secret.safetensors"], ["/etc/passwd"], ["sub\\dir.safetensors"], [".."], [""], [7]])(
    "refuses the shard name %j (only files of the folder)",
    async (shard) => {
      const dir = folder({ "model.safetensors.index.json": JSON.stringify({ weight_map: { w: shard } }) });
      await expectWeightsError(
        () => findWeightFiles(dir),
        "WEIGHTS_CORRUPT",
        path.join(dir, "model.safetensors.index.json"),
        "w",
      );
    },
  );

  it("refuses an index that is not JSON or has no weight_map", async () => {
    for (const text of ["{not json", "[]", JSON.stringify({ weight_map: {} })]) {
      const dir = folder({ "model.safetensors.index.json": text });
      await expectWeightsError(
        () => findWeightFiles(dir),
        "WEIGHTS_CORRUPT",
        path.join(dir, "model.safetensors.index.json"),
      );
    }
  });
});

describe("readWeightsFromDir checks shards against the index", () => {
  it("a tensor missing from the shard the index names", async () => {
    const dir = folder({
      "model.safetensors.index.json": index({ ...goodMap, "c.weight": "model-00001-of-00002.safetensors" }),
      "model-00001-of-00002.safetensors": shardA,
      "model-00002-of-00002.safetensors": shardB,
    });
    await expectWeightsError(
      () => readWeightsFromDir(dir),
      "WEIGHTS_CORRUPT",
      path.join(dir, "model-00001-of-00002.safetensors"),
      "c.weight",
    );
  });

  it("a tensor in two shards", async () => {
    const dir = folder({
      "model.safetensors.index.json": index({ "a.weight": "one.safetensors", "b.weight": "two.safetensors" }),
      "one.safetensors": shardA,
      "two.safetensors": writeSafetensors({
        "a.weight": { dtype: "F32", shape: [1], data: [0] },
        "b.weight": { dtype: "F32", shape: [1], data: [0] },
      }),
    });
    await expectWeightsError(
      () => readWeightsFromDir(dir),
      "WEIGHTS_CORRUPT",
      path.join(dir, "two.safetensors"),
      "a.weight",
      /also appears/,
    );
  });
});

describe("readWeightsFile / readWeightsFromBuffer", () => {
  it("picks the reader by content, whatever the file is called", async () => {
    const dir = folder({});
    const sources = {
      "weights.data": shardA,
      "model.safetensors": torchZip([torchSpec("a.weight", "0")], new Map([["0", f32Bytes([1, 2])]])),
      "pytorch_model.bin": torchLegacy([torchSpec("a.weight", "k")], [["k", 2, f32Bytes([1, 2])]]),
    };
    for (const [name, bytes] of Object.entries(sources)) {
      const file = path.join(dir, name);
      writeFileSync(file, bytes);
      const tensors = await readWeightsFile(file);
      expect([...tensors.get("a.weight")!.data], name).toEqual([1, 2]);
    }
  });

  it("detects formats", () => {
    expect(detectWeightsFormat(shardA)).toBe("safetensors");
    expect(detectWeightsFormat(latin1("PK\x03\x04...."))).toBe("torch-zip");
    expect(detectWeightsFormat(latin1("\x80\x02\x8a\x0a"))).toBe("torch-legacy");
    expect(detectWeightsFormat(latin1("hello world"))).toBeUndefined();
    expect(detectWeightsFormat(latin1("abc"), "x.safetensors")).toBe("safetensors");
  });

  it("does not take a safetensors file whose header length starts with 0x80 for a pickle", async () => {
    const header = JSON.stringify({ w: { dtype: "F32", shape: [1], data_offsets: [0, 4] } }).padEnd(
      0x180,
      " ",
    );
    const bytes = rawSafetensors(header, f32Bytes([2.5]));
    expect([...bytes.subarray(0, 2)]).toEqual([0x80, 0x01]);
    expect(detectWeightsFormat(bytes)).toBe("safetensors");
    expect([...(await readWeightsFromBuffer(bytes, "w.bin")).get("w")!.data]).toEqual([2.5]);
  });

  it("reads a fixture checkpoint the same from a path and from a Buffer", async () => {
    const file = path.join(modelsDir(), "base-like/seqcls-bin/pytorch_model.bin");
    const fromFile = await readWeightsFile(file);
    const dir = folder({});
    copyFileSync(file, path.join(dir, "pytorch_model.bin"));
    const fromDir = await readWeightsFromDir(dir);
    expect([...fromDir.keys()]).toEqual([...fromFile.keys()]);
    for (const [key, tensor] of fromFile) {
      expect(Object.getPrototypeOf(tensor.data)).toBe(Float32Array.prototype);
      expect([...fromDir.get(key)!.data]).toEqual([...tensor.data]);
    }
  });

  it("a missing file", async () => {
    const file = path.join(root, "nope", "model.safetensors");
    await expectWeightsError(
      () => readWeightsFile(file),
      "WEIGHTS_FILE_MISSING",
      file,
      undefined,
      /not found/,
    );
  });

  it("a folder given as a file", async () => {
    const dir = folder({});
    await expectWeightsError(() => readWeightsFile(dir), "WEIGHTS_READ", dir, undefined, /folder/);
  });

  it("an empty file, an unrecognised file, a truncated safetensors file", async () => {
    await expectWeightsError(
      () => readWeightsFromBuffer(new Uint8Array(0), "e.bin"),
      "WEIGHTS_CORRUPT",
      "e.bin",
    );
    await expectWeightsError(
      () => readWeightsFromBuffer(latin1("<html>not found</html>"), "x.bin"),
      "WEIGHTS_UNSUPPORTED",
      "x.bin",
      undefined,
      /unrecognised format/,
    );
    await expectWeightsError(
      () => readWeightsFromBuffer(shardA.subarray(0, 6), "t.safetensors"),
      "WEIGHTS_CORRUPT",
      "t.safetensors",
      undefined,
      /truncated/,
    );
  });

  it("U8 tensors read from a Node Buffer are plain Uint8Arrays (not Buffers)", async () => {
    const bytes = Buffer.from(writeSafetensors({ u: { dtype: "U8", shape: [2], data: [1, 2] } }));
    const tensors = await readWeightsFromBuffer(bytes, "u.safetensors");
    expect(Object.getPrototypeOf(tensors.get("u")!.data)).toBe(Uint8Array.prototype);
  });
});
