import { describe, expect, it } from "vitest";
import { HEAP_ALIGN, HEAP_BASE, sharedMemorySupported, WASM_PAGE, WasmHeap } from "./heap.js";

describe("WasmHeap", () => {
  it("hands out 64-byte aligned, non-overlapping blocks above HEAP_BASE", () => {
    const heap = new WasmHeap({ initialBytes: WASM_PAGE });
    const sizes = [1, 64, 65, 100, 0, 4096, 3];
    const blocks = sizes.map((s) => ({
      ptr: heap.alloc(s),
      size: Math.max(HEAP_ALIGN, Math.ceil(s / 64) * 64),
    }));
    for (const b of blocks) {
      expect(b.ptr % HEAP_ALIGN).toBe(0);
      expect(b.ptr).toBeGreaterThanOrEqual(HEAP_BASE);
      expect(heap.sizeOf(b.ptr)).toBe(b.size);
    }
    const sorted = [...blocks].sort((x, y) => x.ptr - y.ptr);
    for (let i = 1; i < sorted.length; i++) {
      expect(sorted[i]!.ptr).toBeGreaterThanOrEqual(sorted[i - 1]!.ptr + sorted[i - 1]!.size);
    }
    expect(heap.bytesInUse).toBe(blocks.reduce((s, b) => s + b.size, 0));
    expect(heap.blockCount).toBe(sizes.length);
  });

  it("reuses freed blocks first-fit, coalesces neighbours and tracks peak bytes", () => {
    const heap = new WasmHeap({ initialBytes: WASM_PAGE });
    const a = heap.alloc(256);
    const b = heap.alloc(256);
    const c = heap.alloc(256);
    const d = heap.alloc(64);
    expect(heap.peakBytes).toBe(832);
    heap.free(b);
    expect(heap.alloc(128)).toBe(b); // first fit, split
    const rest = heap.alloc(128);
    expect(rest).toBe(b + 128);
    heap.free(b);
    heap.free(rest);
    heap.free(a);
    heap.free(c);
    // a, b and c coalesced into one 768-byte block
    expect(heap.alloc(768)).toBe(a);
    expect(heap.bytesInUse).toBe(768 + 64);
    expect(heap.peakBytes).toBe(832);
    heap.free(a);
    heap.free(d);
    expect(heap.bytesInUse).toBe(0);
    // everything free again: the next block starts at the bottom
    expect(heap.alloc(10_000)).toBe(HEAP_BASE);
  });

  it("throws on double free, unknown pointers and invalid sizes", () => {
    const heap = new WasmHeap({ initialBytes: WASM_PAGE });
    const p = heap.alloc(100);
    heap.free(p);
    expect(() => heap.free(p)).toThrow(/not an allocated block/);
    expect(() => heap.free(12345)).toThrow();
    expect(() => heap.alloc(-1)).toThrow(RangeError);
    expect(() => heap.alloc(Number.NaN)).toThrow(RangeError);
  });

  for (const shared of [false, true]) {
    it.skipIf(shared && !sharedMemorySupported())(
      `grows on demand and keeps data (${shared ? "shared" : "non-shared"})`,
      () => {
        const heap = new WasmHeap({ shared, initialBytes: WASM_PAGE });
        expect(heap.shared).toBe(shared);
        expect(heap.capacity).toBe(WASM_PAGE);
        const p = heap.allocF32(
          1000,
          Array.from({ length: 1000 }, (_, i) => i * 0.5),
        );
        const before = heap.f32(p, 1000);
        const big = heap.alloc(5 * WASM_PAGE + 123);
        expect(heap.capacity).toBeGreaterThanOrEqual(big + 5 * WASM_PAGE + 123);
        if (!shared) expect(before.length).toBe(0); // the old ArrayBuffer was detached by the growth
        const after = heap.f32(p, 1000);
        for (let i = 0; i < 1000; i++) expect(after[i]).toBe(i * 0.5);
        heap.f32(big, 4).set([1, 2, 3, 4]);
        expect(Array.from(heap.f32(big, 4))).toEqual([1, 2, 3, 4]);
        expect(heap.i32(p, 1)[0]).toBe(0); // 0.0f
        expect(heap.u8(p + 4, 4)).toEqual(new Uint8Array(new Float32Array([0.5]).buffer));
      },
    );
  }

  it("refuses to grow past maximumPages", () => {
    const heap = new WasmHeap({ initialBytes: WASM_PAGE, maximumPages: 2 });
    heap.alloc(WASM_PAGE);
    expect(() => heap.alloc(2 * WASM_PAGE)).toThrow(/out of memory/);
  });
});
