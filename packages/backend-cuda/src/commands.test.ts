import { describe, expect, it } from "vitest";
import {
  BLASLT_BYTES,
  type BlasLtCommand,
  CMD_BLASLT,
  CMD_COPY_DTOD,
  CMD_LAUNCH,
  CMD_MEMSET_D32,
  CommandList,
  LAUNCH_HEADER_BYTES,
} from "./commands.js";
import { Params } from "./params.js";

const origin = { op: "test", what: "a command" };

const blas: BlasLtCommand = {
  transa: 1,
  transb: 0,
  m: 768,
  n: 128,
  k: 3072,
  a: 2 ** 40 + 256,
  lda: 3072,
  strideA: 0,
  b: 2 ** 40 + 4096,
  ldb: 3072,
  strideB: 0,
  d: 2 ** 40 + 8192,
  ldd: 768,
  strideD: 0,
  batch: 1,
  bias: 0,
  dataType: 2,
  computeType: 68,
};

describe("CommandList", () => {
  it("lays a launch out as native/commands.h reads it: header, exact parameter bytes, zero padding", () => {
    const list = new CommandList();
    const params = new Params()
      .ptr(2 ** 33 + 16)
      .i32(7)
      .i32(-3)
      .f32(1.5)
      .finish(); // 20 bytes
    expect(params.length).toBe(20);
    list.launch(5, [10, 2, 1], [256, 1, 1], 1024, params, origin);
    const bytes = list.encoded();
    expect(bytes.length).toBe(LAUNCH_HEADER_BYTES + 24);
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const words = Array.from({ length: 12 }, (_, i) => v.getUint32(4 * i, true));
    expect(words).toEqual([CMD_LAUNCH, LAUNCH_HEADER_BYTES + 24, 5, 10, 2, 1, 256, 1, 1, 1024, 20, 0]);
    expect(Array.from(bytes.subarray(LAUNCH_HEADER_BYTES, LAUNCH_HEADER_BYTES + 20))).toEqual(
      Array.from(params),
    );
    expect(Array.from(bytes.subarray(LAUNCH_HEADER_BYTES + 20))).toEqual([0, 0, 0, 0]);
    expect(list.count).toBe(1);
  });

  it("encodes matmuls, memsets and copies with float64 pointers, every command 8-byte aligned", () => {
    const list = new CommandList();
    list.launch(0, [1, 1, 1], [32, 1, 1], 0, new Params().i32(1).finish(), origin); // 4 parameter bytes
    list.blasLt(blas, origin);
    list.memsetD32(2 ** 41, 0xffffffff, 100, origin);
    list.copyDtoD(2 ** 41 + 512, 2 ** 41, 400, origin);
    const bytes = list.encoded();
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let at = 0;
    const seen: number[] = [];
    while (at < bytes.length) {
      expect(at % 8).toBe(0);
      seen.push(v.getUint32(at, true));
      const size = v.getUint32(at + 4, true);
      if (seen.length === 2) {
        expect(size).toBe(BLASLT_BYTES);
        const values = Array.from({ length: 18 }, (_, i) => v.getFloat64(at + 8 + 8 * i, true));
        expect(values).toEqual(Object.values(blas));
      }
      if (seen.length === 3) {
        expect(v.getUint32(at + 8, true)).toBe(0xffffffff);
        expect([v.getFloat64(at + 16, true), v.getFloat64(at + 24, true)]).toEqual([2 ** 41, 100]);
      }
      if (seen.length === 4)
        expect([8, 16, 24].map((o) => v.getFloat64(at + o, true))).toEqual([2 ** 41 + 512, 2 ** 41, 400]);
      at += size;
    }
    expect(at).toBe(bytes.length);
    expect(seen).toEqual([CMD_LAUNCH, CMD_BLASLT, CMD_MEMSET_D32, CMD_COPY_DTOD]);
  });

  it("grows past its initial buffer and keeps what was recorded", () => {
    const list = new CommandList(64);
    const params = new Params().ptr(8).i64(12345).finish();
    for (let i = 0; i < 100; i++) list.launch(i, [i + 1, 1, 1], [128, 1, 1], 0, params, origin);
    const bytes = list.encoded();
    expect(bytes.length).toBe(100 * (LAUNCH_HEADER_BYTES + 16));
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < 100; i++) expect(v.getUint32(i * 64 + 8, true)).toBe(i);
    list.reset();
    expect(list.count).toBe(0);
    expect(list.encoded().length).toBe(0);
  });

  it("names each command's origin (lazily described ones too) for errors", () => {
    const list = new CommandList();
    list.blasLt(blas, origin);
    list.launch(1, [1, 1, 1], [1, 1, 1], 0, new Params().i32(0).finish(), () => ({
      op: "gelu",
      what: "lazy",
    }));
    expect(list.origin(0)).toEqual(origin);
    expect(list.origin(1)).toEqual({ op: "gelu", what: "lazy" });
    expect(list.origin(5).op).toBe("submit");
  });

  it("refuses pointers beyond 2^53 with a typed error", () => {
    const list = new CommandList();
    expect(() => list.copyDtoD(2 ** 60, 0, 4, origin)).toThrow(/not a safe integer/);
  });
});
