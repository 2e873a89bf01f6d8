import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { f16ToF32 } from "./dtypes.js";
import { readSafetensors, readSafetensorsHeader, writeSafetensors } from "./safetensors.js";
import { concat, expectWeightsError, f32Bytes, modelsDir, rawSafetensors } from "./test-support.js";

const FILE = "bad/model.safetensors";

describe("writeSafetensors / readSafetensors", () => {
  it("round-trips every supported dtype", () => {
    const bytes = writeSafetensors(
      {
        a: { dtype: "F32", shape: [2, 2], data: [1, -2, 0.5, 3e38] },
        h: { dtype: "F16", shape: [3], data: [1, -0.333251953125, 2 ** -24] },
        b: { dtype: "BF16", shape: [2], data: [1.5, -3] },
        i: { dtype: "I64", shape: [3], data: [1n, -2n, 2n ** 62n] },
        j: { dtype: "I32", shape: [2], data: [7, -7] },
        d: { dtype: "F64", shape: [1], data: [Math.PI] },
        u: { dtype: "U8", shape: [2], data: [0, 255] },
        t: { dtype: "BOOL", shape: [3], data: [true, false, true] },
        s: { dtype: "F32", shape: [], data: [42] },
        z: { dtype: "F32", shape: [0, 4], data: [] },
      },
      { format: "pt", note: "test" },
    );
    const tensors = readSafetensors(bytes, "x.safetensors");
    expect([...tensors.keys()].sort()).toEqual(["a", "b", "d", "h", "i", "j", "s", "t", "u", "z"]);
    expect(tensors.get("a")).toEqual({
      dtype: "float32",
      storedDtype: "F32",
      shape: [2, 2],
      data: Float32Array.from([1, -2, 0.5, 3e38]),
    });
    expect(tensors.get("h")!.dtype).toBe("float32");
    expect(tensors.get("h")!.storedDtype).toBe("F16");
    expect([...tensors.get("h")!.data]).toEqual([1, -0.333251953125, 2 ** -24]);
    expect([...tensors.get("b")!.data]).toEqual([1.5, -3]);
    expect(tensors.get("b")!.storedDtype).toBe("BF16");
    expect(tensors.get("i")!.data).toEqual(BigInt64Array.from([1n, -2n, 2n ** 62n]));
    expect(tensors.get("i")!.dtype).toBe("int64");
    expect(tensors.get("j")!.data).toEqual(Int32Array.from([7, -7]));
    expect(tensors.get("d")!.data).toEqual(Float64Array.from([Math.PI]));
    expect([...tensors.get("u")!.data]).toEqual([0, 255]);
    expect(tensors.get("t")!.dtype).toBe("bool");
    expect([...tensors.get("t")!.data]).toEqual([1, 0, 1]);
    expect(tensors.get("s")!.shape).toEqual([]);
    expect([...tensors.get("s")!.data]).toEqual([42]);
    expect(tensors.get("z")!.data.length).toBe(0);
    expect(readSafetensorsHeader(bytes, "x").metadata).toEqual({ format: "pt", note: "test" });
  });

  it("writes a header padded to 8 bytes and aligns every tensor (largest elements first)", () => {
    const bytes = writeSafetensors({
      small: { dtype: "U8", shape: [3], data: [1, 2, 3] },
      big: { dtype: "I64", shape: [1], data: [5n] },
      f: { dtype: "F32", shape: [1], data: [1] },
    });
    const header = readSafetensorsHeader(bytes, "x");
    expect(header.dataStart % 8).toBe(0);
    expect(header.tensors.get("big")!.dataOffsets).toEqual([0, 8]);
    expect(header.tensors.get("f")!.dataOffsets).toEqual([8, 12]);
    expect(header.tensors.get("small")!.dataOffsets).toEqual([12, 15]);
    const tensors = readSafetensors(bytes, "x");
    for (const tensor of tensors.values()) expect(tensor.data.buffer).toBe(bytes.buffer);
  });

  it("takes F16/BF16 raw bits from a Uint16Array", () => {
    const bytes = writeSafetensors({
      h: { dtype: "F16", shape: [2], data: Uint16Array.from([0x3c00, 0x7c00]) },
    });
    expect([...readSafetensors(bytes, "x").get("h")!.data]).toEqual([1, Number.POSITIVE_INFINITY]);
  });

  it("rejects data whose length does not match the shape", () => {
    expect(() => writeSafetensors({ a: { dtype: "F32", shape: [3], data: [1, 2] } })).toThrow(RangeError);
  });

  it("copies an F32 tensor whose offset is not 4-byte aligned", () => {
    const header = {
      pad: { dtype: "U8", shape: [1], data_offsets: [0, 1] },
      x: { dtype: "F32", shape: [2], data_offsets: [1, 9] },
    };
    let text = JSON.stringify(header);
    text += " ".repeat((8 - ((8 + text.length) % 8)) % 8);
    const bytes = rawSafetensors(text, concat([9], f32Bytes([1.25, -7])));
    const x = readSafetensors(bytes, "u.safetensors").get("x")!;
    expect(x.data.buffer).not.toBe(bytes.buffer);
    expect([...x.data]).toEqual([1.25, -7]);
    expect(readSafetensors(bytes, "u.safetensors").get("pad")!.data.buffer).toBe(bytes.buffer);
  });

  it("reads the header alone from a prefix of the file with fileSize", () => {
    const bytes = readFileSync(path.join(modelsDir(), "base-like/seqcls-f16/model.safetensors"));
    const full = readSafetensorsHeader(bytes, "f16");
    const prefix = bytes.subarray(0, full.dataStart);
    const header = readSafetensorsHeader(prefix, "f16", { fileSize: bytes.length });
    expect(header.tensors).toEqual(full.tensors);
    expect(header.tensors.get("classifier.weight")).toEqual({
      dtype: "F16",
      shape: [3, 32],
      dataOffsets: [6, 198],
    });
    const decoded = readSafetensors(bytes, "f16").get("classifier.bias")!;
    const raw = new DataView(bytes.buffer, bytes.byteOffset + full.dataStart, 6);
    expect([...decoded.data]).toEqual([0, 2, 4].map((o) => f16ToF32(raw.getUint16(o, true))));
  });

  it("accepts a header of only __metadata__ and an empty header", () => {
    expect(readSafetensors(rawSafetensors({ __metadata__: { a: "b" } }), FILE).size).toBe(0);
    expect(readSafetensors(rawSafetensors({}), FILE).size).toBe(0);
  });
});

describe("readSafetensors rejects bad files", () => {
  const good = writeSafetensors({
    "encoder.weight": { dtype: "F32", shape: [2, 3], data: [1, 2, 3, 4, 5, 6] },
    "encoder.bias": { dtype: "F32", shape: [3], data: [7, 8, 9] },
  });

  it("a file shorter than the 8-byte length", async () => {
    await expectWeightsError(
      () => readSafetensors(good.subarray(0, 5), FILE),
      "WEIGHTS_CORRUPT",
      FILE,
      undefined,
      /truncated/,
    );
  });

  it("a truncated file (data cut short)", async () => {
    const cut = good.subarray(0, good.length - 4);
    await expectWeightsError(
      () => readSafetensors(cut, FILE),
      "WEIGHTS_CORRUPT",
      FILE,
      "encoder.bias",
      /out of range/,
    );
  });

  it("a truncated fixture (header cut short)", async () => {
    const bytes = readFileSync(path.join(modelsDir(), "base-like/model/model.safetensors"));
    await expectWeightsError(
      () => readSafetensors(bytes.subarray(0, 100), FILE),
      "WEIGHTS_CORRUPT",
      FILE,
      undefined,
      /runs past the end/,
    );
  });

  it("a header length past the end of the file", async () => {
    const bytes = rawSafetensors({}, [], { headerLength: 1000 });
    await expectWeightsError(
      () => readSafetensors(bytes, FILE),
      "WEIGHTS_CORRUPT",
      FILE,
      undefined,
      /past the end/,
    );
  });

  it("an absurd header length", async () => {
    const bytes = rawSafetensors({}, [], { headerLength: 2n ** 60n });
    await expectWeightsError(
      () => readSafetensors(bytes, FILE),
      "WEIGHTS_CORRUPT",
      FILE,
      undefined,
      /absurd/,
    );
  });

  it("a header that is not JSON, or not an object", async () => {
    await expectWeightsError(
      () => readSafetensors(rawSafetensors("{nope"), FILE),
      "WEIGHTS_CORRUPT",
      FILE,
      undefined,
      /JSON/,
    );
    await expectWeightsError(
      () => readSafetensors(rawSafetensors("[1, 2]"), FILE),
      "WEIGHTS_CORRUPT",
      FILE,
      undefined,
      /JSON/,
    );
    const invalidUtf8 = concat([3, 0, 0, 0, 0, 0, 0, 0], [0x7b, 0xff, 0x7d]);
    await expectWeightsError(
      () => readSafetensors(invalidUtf8, FILE),
      "WEIGHTS_CORRUPT",
      FILE,
      undefined,
      /UTF-8/,
    );
  });

  it("an entry that is not an object", async () => {
    await expectWeightsError(
      () => readSafetensors(rawSafetensors({ w: 3 }), FILE),
      "WEIGHTS_CORRUPT",
      FILE,
      "w",
    );
  });

  it("an unknown dtype", async () => {
    const bytes = rawSafetensors({ w: { dtype: "Q4", shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4));
    await expectWeightsError(
      () => readSafetensors(bytes, FILE),
      "WEIGHTS_CORRUPT",
      FILE,
      "w",
      /unknown dtype "Q4"/,
    );
  });

  it("a dtype of the format that is not decoded here", async () => {
    const bytes = rawSafetensors(
      { w: { dtype: "F8_E4M3", shape: [4], data_offsets: [0, 4] } },
      new Uint8Array(4),
    );
    expect(readSafetensorsHeader(bytes, FILE).tensors.get("w")!.dtype).toBe("F8_E4M3");
    await expectWeightsError(() => readSafetensors(bytes, FILE), "WEIGHTS_UNSUPPORTED", FILE, "w", /F8_E4M3/);
  });

  it.each([[{}], [[2, -1]], [[1.5]], [["2"]], [null]])("a bad shape %j", async (shape) => {
    const bytes = rawSafetensors({ w: { dtype: "F32", shape, data_offsets: [0, 4] } }, new Uint8Array(4));
    await expectWeightsError(() => readSafetensors(bytes, FILE), "WEIGHTS_CORRUPT", FILE, "w", /shape/);
  });

  it.each([
    [[0, 8], /out of range/],
    [[8, 4], /out of range/],
    [[0], /data_offsets/],
    [[-4, 0], /data_offsets/],
    ["0,4", /data_offsets/],
  ])("data_offsets %j", async (offsets, message) => {
    const bytes = rawSafetensors(
      { w: { dtype: "F32", shape: [1], data_offsets: offsets } },
      new Uint8Array(4),
    );
    await expectWeightsError(() => readSafetensors(bytes, FILE), "WEIGHTS_CORRUPT", FILE, "w", message);
  });

  it("overlapping tensors, naming both", async () => {
    const bytes = rawSafetensors(
      {
        first: { dtype: "F32", shape: [2], data_offsets: [0, 8] },
        second: { dtype: "F32", shape: [2], data_offsets: [4, 12] },
      },
      new Uint8Array(12),
    );
    const error = await expectWeightsError(
      () => readSafetensors(bytes, FILE),
      "WEIGHTS_CORRUPT",
      FILE,
      "second",
      /overlap/,
    );
    expect(error.message).toContain('"first"');
  });

  it("a byte length that does not match the shape and dtype", async () => {
    const bytes = rawSafetensors(
      { w: { dtype: "F32", shape: [2, 3], data_offsets: [0, 20] } },
      new Uint8Array(20),
    );
    await expectWeightsError(
      () => readSafetensors(bytes, FILE),
      "WEIGHTS_CORRUPT",
      FILE,
      "w",
      /holds 20 bytes.*needs 24/,
    );
    const half = rawSafetensors(
      { h: { dtype: "BF16", shape: [3], data_offsets: [0, 4] } },
      new Uint8Array(4),
    );
    await expectWeightsError(() => readSafetensors(half, FILE), "WEIGHTS_CORRUPT", FILE, "h", /needs 6/);
  });

  it("a __metadata__ that is not an object of strings", async () => {
    const bytes = rawSafetensors({ __metadata__: { format: 1 } });
    await expectWeightsError(() => readSafetensors(bytes, FILE), "WEIGHTS_CORRUPT", FILE, "__metadata__");
  });
});
