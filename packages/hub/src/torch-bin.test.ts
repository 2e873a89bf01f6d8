import { inflateRawSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import type { WeightTensor } from "./dtypes.js";
import { readWeightsFromBuffer } from "./read-weights.js";
import {
  concat,
  expectWeightsError,
  f32Bytes,
  latin1,
  makeZip,
  PickleBuilder,
  type TorchTensorSpec,
  torchLegacy,
  torchZip,
} from "./test-support.js";
import { readTorchBin, readTorchBinAsync } from "./torch-bin.js";
import { inflateRawWithStreams, readZipDirectory, zipEntryData } from "./zip.js";

const FILE = "ckpt/pytorch_model.bin";

function le16(values: number[]): Uint8Array {
  return new Uint8Array(Uint16Array.from(values).buffer);
}

/** Element-wise byte reversal: the big-endian form of little-endian data. */
function swap(bytes: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(bytes);
  for (let i = 0; i < out.length; i += size) out.subarray(i, i + size).reverse();
  return out;
}

const SPECS: TorchTensorSpec[] = [
  { name: "w", storageType: "FloatStorage", key: "0", numel: 6, offset: 0, size: [2, 3], stride: [3, 1] },
  { name: "wt", storageType: "FloatStorage", key: "0", numel: 6, offset: 0, size: [3, 2], stride: [1, 3] },
  { name: "tail", storageType: "FloatStorage", key: "0", numel: 6, offset: 4, size: [2], stride: [1] },
  { name: "scalar", storageType: "FloatStorage", key: "0", numel: 6, offset: 5, size: [], stride: [] },
  {
    name: "expanded",
    storageType: "FloatStorage",
    key: "0",
    numel: 6,
    offset: 0,
    size: [2, 3],
    stride: [0, 1],
  },
  { name: "cols", storageType: "FloatStorage", key: "0", numel: 6, offset: 1, size: [2, 2], stride: [3, 1] },
  {
    name: "param",
    storageType: "FloatStorage",
    key: "0",
    numel: 6,
    offset: 0,
    size: [6],
    stride: [1],
    parameter: true,
  },
  { name: "empty", storageType: "FloatStorage", key: "0", numel: 6, offset: 0, size: [0, 3], stride: [3, 1] },
  { name: "half", storageType: "HalfStorage", key: "1", numel: 3, offset: 0, size: [3], stride: [1] },
  { name: "brain", storageType: "BFloat16Storage", key: "2", numel: 2, offset: 0, size: [2], stride: [1] },
  { name: "ids", storageType: "LongStorage", key: "3", numel: 2, offset: 0, size: [2], stride: [1] },
  { name: "mask", storageType: "BoolStorage", key: "4", numel: 3, offset: 0, size: [3], stride: [1] },
  { name: "double", storageType: "DoubleStorage", key: "5", numel: 1, offset: 0, size: [1], stride: [1] },
  { name: "int", storageType: "IntStorage", key: "6", numel: 2, offset: 0, size: [1, 2], stride: [2, 1] },
  { name: "byte", storageType: "ByteStorage", key: "7", numel: 1, offset: 0, size: [1], stride: [1] },
];

/** Little-endian storage bytes by key, and each storage's element size. */
const STORAGES: ReadonlyArray<readonly [string, Uint8Array, number]> = [
  ["0", f32Bytes([0, 1, 2, 3, 4, 5]), 4],
  ["1", le16([0x3c00, 0xc000, 0x0001]), 2],
  ["2", le16([0x3fc0, 0xc040]), 2],
  ["3", new Uint8Array(BigInt64Array.from([5n, -1n]).buffer), 8],
  ["4", Uint8Array.from([1, 0, 1]), 1],
  ["5", new Uint8Array(Float64Array.from([Math.E]).buffer), 8],
  ["6", new Uint8Array(Int32Array.from([-9, 9]).buffer), 4],
  ["7", Uint8Array.from([200]), 1],
];

function storageMap(bigEndian = false): Map<string, Uint8Array> {
  return new Map(STORAGES.map(([key, data, size]) => [key, bigEndian ? swap(data, size) : data]));
}

function legacyStorages(bigEndian = false): [string, number, Uint8Array][] {
  return STORAGES.map(([key, data, size]) => [key, data.length / size, bigEndian ? swap(data, size) : data]);
}

function expectCrafted(tensors: Map<string, WeightTensor>): void {
  const values = (name: string) => [...tensors.get(name)!.data];
  expect([...tensors.keys()]).toEqual(SPECS.map((s) => s.name));
  expect(tensors.get("w")).toMatchObject({ dtype: "float32", storedDtype: "F32", shape: [2, 3] });
  expect(values("w")).toEqual([0, 1, 2, 3, 4, 5]);
  expect(values("wt")).toEqual([0, 3, 1, 4, 2, 5]);
  expect(tensors.get("wt")!.shape).toEqual([3, 2]);
  expect(values("tail")).toEqual([4, 5]);
  expect(values("scalar")).toEqual([5]);
  expect(tensors.get("scalar")!.shape).toEqual([]);
  expect(values("expanded")).toEqual([0, 1, 2, 0, 1, 2]);
  expect(values("cols")).toEqual([1, 2, 4, 5]);
  expect(values("param")).toEqual([0, 1, 2, 3, 4, 5]);
  expect(tensors.get("empty")!.shape).toEqual([0, 3]);
  expect(tensors.get("empty")!.data).toBeInstanceOf(Float32Array);
  expect(tensors.get("empty")!.data.length).toBe(0);
  expect(tensors.get("half")).toMatchObject({ dtype: "float32", storedDtype: "F16" });
  expect(values("half")).toEqual([1, -2, 2 ** -24]);
  expect(tensors.get("brain")).toMatchObject({ dtype: "float32", storedDtype: "BF16" });
  expect(values("brain")).toEqual([1.5, -3]);
  expect(tensors.get("ids")).toMatchObject({ dtype: "int64", storedDtype: "I64" });
  expect(values("ids")).toEqual([5n, -1n]);
  expect(tensors.get("mask")).toMatchObject({ dtype: "bool", storedDtype: "BOOL" });
  expect(values("mask")).toEqual([1, 0, 1]);
  expect(tensors.get("double")).toMatchObject({ dtype: "float64", storedDtype: "F64" });
  expect(values("double")).toEqual([Math.E]);
  expect(tensors.get("int")).toMatchObject({ dtype: "int32", storedDtype: "I32", shape: [1, 2] });
  expect(values("int")).toEqual([-9, 9]);
  expect(tensors.get("byte")).toMatchObject({ dtype: "uint8", storedDtype: "U8" });
  expect(values("byte")).toEqual([200]);
}

describe("torch.save zip format", () => {
  it("reads every storage type, offsets, shared storages, strides, scalars and parameters", () => {
    expectCrafted(readTorchBin(torchZip(SPECS, storageMap()), FILE));
  });

  it("returns contiguous F32 tensors as views on the file and copies strided ones", () => {
    const bytes = torchZip(SPECS, storageMap());
    const tensors = readTorchBin(bytes, FILE);
    expect(tensors.get("w")!.data.buffer).toBe(bytes.buffer);
    expect(tensors.get("tail")!.data.buffer).toBe(bytes.buffer);
    expect(tensors.get("wt")!.data.buffer).not.toBe(bytes.buffer);
    expect(tensors.get("half")!.data.buffer).not.toBe(bytes.buffer);
  });

  it("reads a big-endian checkpoint (byteorder record 'big')", () => {
    expectCrafted(readTorchBin(torchZip(SPECS, storageMap(true), { byteorder: "big" }), FILE));
  });

  it("assumes little-endian without a byteorder record", () => {
    expectCrafted(readTorchBin(torchZip(SPECS, storageMap(), { byteorder: null }), FILE));
  });

  it("reads ZIP64 archives (ZIP64 end records and extra fields)", () => {
    const bytes = torchZip(SPECS, storageMap(), { zip64: true });
    expect(readZipDirectory(bytes, FILE).zip64).toBe(true);
    expectCrafted(readTorchBin(bytes, FILE));
  });

  it("reads deflated entries asynchronously (node:zlib) or with an inflater given", async () => {
    const bytes = torchZip(SPECS, storageMap(), { deflate: true });
    expectCrafted(await readTorchBinAsync(bytes, FILE));
    expectCrafted(await readWeightsFromBuffer(bytes, FILE));
    const inflateRaw = (data: Uint8Array) => new Uint8Array(inflateRawSync(data));
    expectCrafted(readTorchBin(bytes, FILE, { inflateRaw }));
    await expectWeightsError(
      () => readTorchBin(bytes, FILE),
      "WEIGHTS_UNSUPPORTED",
      FILE,
      "archive/data.pkl",
      /deflated/,
    );
  });

  it("inflates with DecompressionStream where node:zlib is not available", async () => {
    const data = latin1("tensor bytes ".repeat(100));
    const { deflateRawSync } = await import("node:zlib");
    const compressed = new Uint8Array(deflateRawSync(data));
    expect(await inflateRawWithStreams(compressed, data.length)).toEqual(data);
    await expect(inflateRawWithStreams(compressed, 10)).rejects.toThrow(/exceeds/);
  });

  it("rejects a deflated entry whose size or CRC does not match", async () => {
    const bytes = torchZip(SPECS, storageMap(), { deflate: true });
    const archive = readZipDirectory(bytes, FILE);
    const entry = archive.entries.get("archive/data/0")!;
    const inflateRaw = (data: Uint8Array) => new Uint8Array(inflateRawSync(data));
    await expectWeightsError(
      () => zipEntryData(bytes, { ...entry, crc32: entry.crc32 ^ 1 }, FILE, { inflateRaw }),
      "WEIGHTS_CORRUPT",
      FILE,
      "archive/data/0",
      /CRC-32/,
    );
    await expectWeightsError(
      () => zipEntryData(bytes, { ...entry, size: entry.size + 1 }, FILE, { inflateRaw }),
      "WEIGHTS_CORRUPT",
      FILE,
      "archive/data/0",
      /inflates to/,
    );
  });

  it("checks stored entries' CRC only when asked", async () => {
    const bytes = torchZip(SPECS, storageMap());
    const entry = readZipDirectory(bytes, FILE).entries.get("archive/data/0")!;
    const damaged = { ...entry, crc32: entry.crc32 ^ 1 };
    expect(zipEntryData(bytes, damaged, FILE).length).toBe(24);
    await expectWeightsError(
      () => zipEntryData(bytes, damaged, FILE, { verifyCrc: true }),
      "WEIGHTS_CORRUPT",
      FILE,
      "archive/data/0",
    );
  });
});

describe("torch.save legacy format", () => {
  it("reads every storage type, offsets, shared storages, strides, scalars and parameters", () => {
    expectCrafted(readTorchBin(torchLegacy(SPECS, legacyStorages()), FILE));
  });

  it("reads a big-endian legacy checkpoint", () => {
    expectCrafted(readTorchBin(torchLegacy(SPECS, legacyStorages(true), { littleEndian: false }), FILE));
  });

  it("reads storage views (view_metadata)", () => {
    const specs: TorchTensorSpec[] = [
      { name: "whole", storageType: "FloatStorage", key: "9", numel: 6, offset: 0, size: [6], stride: [1] },
      {
        name: "viewed",
        storageType: "FloatStorage",
        key: "9",
        numel: 6,
        offset: 1,
        size: [2],
        stride: [1],
        view: ["9v", 2, 3],
      },
    ];
    const tensors = readTorchBin(torchLegacy(specs, [["9", 6, f32Bytes([0, 1, 2, 3, 4, 5])]]), FILE);
    expect([...tensors.get("whole")!.data]).toEqual([0, 1, 2, 3, 4, 5]);
    expect([...tensors.get("viewed")!.data]).toEqual([3, 4]);
  });

  it("rejects truncated storage data", async () => {
    const bytes = torchLegacy(SPECS, legacyStorages());
    await expectWeightsError(
      () => readTorchBin(bytes.subarray(0, bytes.length - 2), FILE),
      "WEIGHTS_CORRUPT",
      FILE,
      undefined,
      /storage 7.*truncated/,
    );
  });

  it("rejects a storage list naming an unknown storage, and element counts that disagree", async () => {
    const extra = torchLegacy(SPECS, [...legacyStorages(), ["99", 1, f32Bytes([1])]]);
    await expectWeightsError(() => readTorchBin(extra, FILE), "WEIGHTS_CORRUPT", FILE, undefined, /"99"/);
    const storages = legacyStorages();
    storages[0] = ["0", 5, storages[0]![2].subarray(0, 20)];
    await expectWeightsError(
      () => readTorchBin(torchLegacy(SPECS, storages), FILE),
      "WEIGHTS_CORRUPT",
      FILE,
      undefined,
      /5 elements in the data, 6/,
    );
  });

  it("rejects a pickle that is not a torch.save file", async () => {
    const bytes = new PickleBuilder().proto(2).int(42).stop().bytes();
    await expectWeightsError(
      () => readTorchBin(bytes, FILE),
      "WEIGHTS_UNSUPPORTED",
      FILE,
      undefined,
      /magic/,
    );
  });

  it("rejects tar-format checkpoints (torch < 0.4)", async () => {
    const tar = new Uint8Array(1024);
    tar.set(latin1("sys_info"), 0);
    tar.set(latin1("ustar"), 257);
    await expectWeightsError(() => readTorchBin(tar, FILE), "WEIGHTS_UNSUPPORTED", FILE, undefined, /tar/);
  });
});

function stateDict(): Uint8Array {
  return new PickleBuilder().proto(2).raw(0x7d).stop().bytes();
}

describe("bad checkpoints", () => {
  it("a zip whose central directory is truncated", async () => {
    const bytes = torchZip(SPECS, storageMap());
    const eocd = bytes.length - 22;
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    const directoryOffset = view.getUint32(eocd + 16, true);
    const directorySize = view.getUint32(eocd + 12, true);
    const cut = concat(
      bytes.subarray(0, directoryOffset + Math.floor(directorySize / 2)),
      bytes.subarray(eocd),
    );
    await expectWeightsError(
      () => readTorchBin(cut, FILE),
      "WEIGHTS_CORRUPT",
      FILE,
      undefined,
      /central directory/,
    );
    await expectWeightsError(
      () => readTorchBin(bytes.subarray(0, bytes.length - 30), FILE),
      "WEIGHTS_CORRUPT",
      FILE,
      undefined,
      /end-of-central-directory/,
    );
  });

  it("a zip whose directory counts more entries than it holds", async () => {
    const bytes = torchZip(SPECS, storageMap()).slice();
    const view = new DataView(bytes.buffer);
    const eocd = bytes.length - 22;
    view.setUint16(eocd + 10, view.getUint16(eocd + 10, true) + 1, true);
    await expectWeightsError(
      () => readTorchBin(bytes, FILE),
      "WEIGHTS_CORRUPT",
      FILE,
      undefined,
      /missing or damaged/,
    );
  });

  it("a zip without data.pkl, and a TorchScript archive", async () => {
    const plain = makeZip([{ name: "archive/readme.txt", data: latin1("hi") }]);
    await expectWeightsError(
      () => readTorchBin(plain, FILE),
      "WEIGHTS_CORRUPT",
      FILE,
      undefined,
      /data\.pkl/,
    );
    const script = makeZip([
      {
        name: "archive/data.pkl",
        data: new PickleBuilder().proto(2).global("__torch__", "M").stop().bytes(),
      },
      { name: "archive/constants.pkl", data: new Uint8Array(2) },
      { name: "archive/code/__torch__.py", data: latin1("def forward(self): ...") },
    ]);
    await expectWeightsError(
      () => readTorchBin(script, FILE),
      "WEIGHTS_UNSUPPORTED",
      FILE,
      undefined,
      /TorchScript/,
    );
  });

  it("a storage record that is missing or too short names the tensor", async () => {
    const missing = storageMap();
    missing.delete("3");
    await expectWeightsError(
      () => readTorchBin(torchZip(SPECS, missing), FILE),
      "WEIGHTS_CORRUPT",
      FILE,
      "ids",
    );
    const short = storageMap();
    short.set("3", new Uint8Array(12));
    await expectWeightsError(
      () => readTorchBin(torchZip(SPECS, short), FILE),
      "WEIGHTS_CORRUPT",
      FILE,
      "ids",
      /holds 12 bytes/,
    );
  });

  it("a tensor reaching past its storage names the tensor", async () => {
    const specs: TorchTensorSpec[] = [
      {
        name: "big",
        storageType: "FloatStorage",
        key: "0",
        numel: 6,
        offset: 2,
        size: [2, 3],
        stride: [3, 1],
      },
    ];
    await expectWeightsError(
      () => readTorchBin(torchZip(specs, storageMap()), FILE),
      "WEIGHTS_CORRUPT",
      FILE,
      "big",
      /reach element 7 of a 6-element storage/,
    );
  });

  it("an unsupported storage type names the tensor", async () => {
    const specs: TorchTensorSpec[] = [
      { name: "short", storageType: "ShortStorage", key: "s", numel: 2, offset: 0, size: [2], stride: [1] },
    ];
    await expectWeightsError(
      () => readTorchBin(torchZip(specs, new Map([["s", new Uint8Array(4)]])), FILE),
      "WEIGHTS_UNSUPPORTED",
      FILE,
      "short",
      /ShortStorage/,
    );
  });

  it("a checkpoint that is not a state dict", async () => {
    const list = new PickleBuilder().proto(2).raw(0x5d).stop().bytes();
    await expectWeightsError(
      () => readTorchBin(torchZip([], new Map(), { pickle: list }), FILE),
      "WEIGHTS_UNSUPPORTED",
      FILE,
      undefined,
      /not a state dict/,
    );
    const nested = new PickleBuilder().proto(2).raw(0x7d).str("epoch").int(3).raw(0x73).stop().bytes();
    await expectWeightsError(
      () => readTorchBin(torchZip([], new Map(), { pickle: nested }), FILE),
      "WEIGHTS_UNSUPPORTED",
      FILE,
      undefined,
      /no tensors.*"epoch"/,
    );
  });

  it("a byteorder record that is neither little nor big", async () => {
    const bytes = makeZip([
      { name: "a/data.pkl", data: stateDict() },
      { name: "a/byteorder", data: latin1("middle") },
    ]);
    await expectWeightsError(() => readTorchBin(bytes, FILE), "WEIGHTS_CORRUPT", FILE, undefined, /middle/);
  });
});
