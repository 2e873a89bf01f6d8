import { describe, expect, it } from "vitest";
import { broadcastStrides, MAX_RANK, Params, stridesOf } from "./params.js";

describe("kernel parameter packing", () => {
  it("aligns each parameter naturally, pointers as 64-bit little-endian", () => {
    const p = new Params()
      .ptr(2 ** 40 + 7)
      .i32(-3)
      .f32(1.5)
      .ptr(0)
      .i64(5)
      .dims([2, 3]);
    const b = p.finish();
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
    expect(v.getBigUint64(0, true)).toBe(BigInt(2 ** 40 + 7));
    expect(v.getInt32(8, true)).toBe(-3);
    expect(v.getFloat32(12, true)).toBe(1.5);
    expect(v.getBigUint64(16, true)).toBe(0n);
    expect(v.getBigInt64(24, true)).toBe(5n);
    expect(v.getInt32(32, true)).toBe(2);
    expect(v.getInt32(36, true)).toBe(3);
    expect(b.byteLength).toBe(32 + 4 * MAX_RANK);
  });

  it("ends the buffer at the last parameter, with no padding after it", () => {
    expect(new Params().ptr(1).ptr(2).ptr(3).i32(4).finish().byteLength).toBe(28);
    expect(new Params().ptr(1).i32(2).f32(3).finish().byteLength).toBe(16);
  });

  it("rejects a rank above the kernels' limit", () => {
    expect(() => new Params().dims(new Array(MAX_RANK + 1).fill(1))).toThrow(/rank 9/);
  });

  it("computes row-major and broadcast strides", () => {
    expect(stridesOf([2, 3, 4])).toEqual([12, 4, 1]);
    expect(broadcastStrides([3, 1], [2, 3, 4])).toEqual([0, 1, 0]);
    expect(broadcastStrides([4], [2, 3, 4])).toEqual([0, 0, 1]);
  });
});
