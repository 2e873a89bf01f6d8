// The backend's recording of launches into command lists, their flush points, block reuse and the CUDA
// graph cache, with a fake addon (test/fake-addon.ts): no GPU is needed, nothing is computed.
import path from "node:path";
import { DebertaConfig } from "@deberta/config";
import { headRegistry } from "@deberta/heads";
import { BackendError, Tensor } from "@deberta/tensor";
import { fixturesDir } from "@deberta/testing";
import { afterEach, describe, expect, it, vi } from "vitest";
import { FakeAddon } from "../test/fake-addon.js";
import { CMD_BLASLT, CMD_LAUNCH } from "./commands.js";
import { CudaBackend, type CudaBackendInit, graphsOffReason } from "./cuda-backend.js";
import type { ContextHandle } from "./native/addon.js";

function backendOn(addon: FakeAddon, init: Partial<CudaBackendInit> = {}): CudaBackend {
  return new CudaBackend({
    addon,
    context: addon.createContext() as ContextHandle,
    ordinal: 0,
    name: "cuda",
    gemm: "cublaslt",
    deviceName: "fake",
    ...init,
  });
}

const floats = (n: number, dims: number[]) => new Tensor("float32", new Float32Array(n).fill(1), dims);

afterEach(() => vi.unstubAllEnvs());

describe("CudaBackend command lists (fake addon)", () => {
  it("records launches and matmuls and submits them in one call when a result is read", async () => {
    const addon = new FakeAddon();
    const b = backendOn(addon, { graphs: false });
    const x = b.upload(floats(6, [2, 3]));
    const w = b.upload(floats(12, [4, 3]));
    const bias = b.upload(floats(4, [4]));
    const y = b.fused.linear!({ x, weight: w, bias }, { activation: "gelu" });
    const z = b.run("binary", { a: y, b: y }, { op: "add" });
    expect(addon.submits).toHaveLength(0);
    expect(b.stats().launches).toBeGreaterThanOrEqual(3);
    await b.download(z);
    expect(addon.submits).toHaveLength(1);
    const kinds = addon.submits[0]!.commands.map((c) => c.opcode);
    expect(kinds).toContain(CMD_BLASLT);
    expect(kinds.filter((k) => k === CMD_LAUNCH).length).toBeGreaterThanOrEqual(2);
    expect(addon.calls.slice(-2)).toEqual(["submit", "download"]);
    expect(b.stats()).toMatchObject({ submits: 1, direct: 1, captures: 0, graphsOff: "graphs: false" });
    b.close();
  });

  it("submits the pending commands before an upload (it may overwrite a reused block they read) and a sync", async () => {
    const addon = new FakeAddon();
    const b = backendOn(addon, { graphs: false });
    const x = b.upload(floats(8, [8]));
    const y = b.run("unary", { x }, { op: "neg" });
    const reused = addon.allocs.at(-1);
    b.dispose(y); // its block returns to the reuse cache with a pending reader
    addon.calls.length = 0;
    const again = b.upload(floats(8, [8]));
    expect(addon.calls).toEqual(["submit", "upload"]);
    expect(addon.uploads.at(-1)).toBe(reused);
    b.run("unary", { x: again }, { op: "neg" });
    await b.sync();
    expect(addon.calls.slice(-2)).toEqual(["submit", "sync"]);
    b.close();
  });

  it("splits a long list at maxCommands", async () => {
    const addon = new FakeAddon();
    const b = backendOn(addon, { graphs: false, maxCommands: 4 });
    let x = b.upload(floats(8, [8]));
    for (let i = 0; i < 10; i++) x = b.run("unary", { x }, { op: "neg" });
    expect(addon.submits.map((s) => s.commands.length)).toEqual([4, 4]);
    await b.sync();
    expect(addon.submits.map((s) => s.commands.length)).toEqual([4, 4, 2]);
    b.close();
  });

  it("reuses freed blocks last-in first-out by exact size, and frees them all at close", () => {
    const addon = new FakeAddon();
    const b = backendOn(addon);
    const a = b.upload(floats(8, [8]));
    const c = b.upload(floats(8, [8]));
    const allocs = addon.allocs.length;
    b.dispose(a);
    b.dispose(c);
    expect(b.stats().cachedBytes).toBe(64);
    const d = b.run("unary", { x: b.upload(floats(8, [8])) }, { op: "neg" });
    expect(addon.allocs.length).toBe(allocs); // both from the cache
    expect(b.memory().tensors).toBe(2);
    b.dispose(d);
    b.close();
    expect(new Set(addon.frees)).toEqual(new Set(addon.allocs));
  });

  it("on out of memory gives the cached blocks back and retries once, then throws BACKEND_OUT_OF_MEMORY", () => {
    const addon = new FakeAddon();
    const b = backendOn(addon);
    b.dispose(b.upload(floats(1024, [1024])));
    addon.allocLimit = 1000;
    expect(() => b.upload(floats(512, [512]))).toThrow(
      expect.objectContaining({ code: "BACKEND_OUT_OF_MEMORY" }) as unknown as Error,
    );
    expect(addon.frees).toHaveLength(1); // the cached 4 KiB block went back to the pool
    expect(b.stats().cachedBytes).toBe(0);
    addon.allocLimit = Number.POSITIVE_INFINITY;
    expect(() => b.upload(floats(512, [512]))).not.toThrow(); // still usable
    b.close();
  });

  it("turns a failed submission into a typed error naming the op of the failing command", async () => {
    const addon = new FakeAddon();
    const b = backendOn(addon, { graphs: false });
    const x = b.upload(floats(8, [8]));
    b.run("unary", { x }, { op: "neg" });
    const y = b.run("binary", { a: x, b: x }, { op: "add" });
    addon.failNext = { mode: 0, status: 701, at: 1 };
    const error = await b.download(y).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendError);
    expect((error as BackendError).message).toMatch(
      /^cuda binary: launching binary_f32 \(grid 1x1x1, block 256x1x1\) failed: CUDA_ERROR_FAKE \(701\)/,
    );
    // A sticky error loses the context.
    addon.failNext = { mode: 0, status: 700 };
    b.run("unary", { x }, { op: "neg" });
    await expect(b.sync()).rejects.toMatchObject({ code: "BACKEND_DEVICE_LOST" });
    expect(() => b.run("unary", { x }, { op: "neg" })).toThrow(/unusable/);
  });

  it("graphs: off by option, by DEBERTA_CUDA_GRAPHS=0, or when the driver lacks them", () => {
    expect(graphsOffReason(false, true)).toBe("graphs: false");
    expect(graphsOffReason(undefined, false)).toMatch(/driver lacks/);
    expect(graphsOffReason(undefined, true)).toBeUndefined();
    vi.stubEnv("DEBERTA_CUDA_GRAPHS", "0");
    expect(graphsOffReason(undefined, true)).toBe("DEBERTA_CUDA_GRAPHS=0");
    expect(graphsOffReason(true, true)).toBeUndefined(); // the option wins
    const addon = new FakeAddon();
    const b = backendOn(addon);
    expect(b.stats().graphsOff).toBe("DEBERTA_CUDA_GRAPHS=0");
    b.setGraphs(true);
    expect(b.stats().graphsOff).toBeUndefined();
    b.setGraphs(false);
    expect(b.stats().graphsOff).toBe("setGraphs(false)");
    addon.graphsDriver = 0;
    expect(() => b.setGraphs(true)).toThrow(/lacks the CUDA graph/);
  });
});

describe("CudaBackend CUDA graphs over a model's forwards (fake addon, fixture base-like/seqcls)", () => {
  async function forwards(addon: FakeAddon, init: Partial<CudaBackendInit>, shapes: [number, number][]) {
    const backend = backendOn(addon, init);
    const dir = path.join(fixturesDir(), "models", "base-like", "seqcls");
    const config = await DebertaConfig.from_pretrained(dir);
    const Head = headRegistry.get(config.architectures?.[0] ?? "DebertaModel")!;
    const model = await Head.from_pretrained(dir, { backend, config });
    const perForward: { submits: number; modes: number[]; commands: number }[] = [];
    for (const [batch, length] of shapes) {
      const ids = new BigInt64Array(batch * length).map((_, i) => BigInt(1 + (i % 50)));
      const mask = new BigInt64Array(batch * length).fill(1n);
      const before = addon.submits.length;
      await (model as unknown as (x: object) => Promise<unknown>)({
        input_ids: new Tensor("int64", ids, [batch, length]),
        attention_mask: new Tensor("int64", mask, [batch, length]),
      });
      const mine = addon.submits.slice(before);
      perForward.push({
        submits: mine.length,
        modes: mine.map((s) => s.mode),
        commands: mine.reduce((n, s) => n + s.commands.length, 0),
      });
    }
    return { backend, model, perForward };
  }

  it("submits each forward in one call; the same (batch, length) is captured once and then replayed", async () => {
    const addon = new FakeAddon();
    const shapes: [number, number][] = [
      [2, 16],
      [2, 16],
      [2, 16],
      [2, 16],
      [1, 8],
      [1, 8],
      [1, 8],
      [2, 16],
    ];
    const { backend, model, perForward } = await forwards(addon, {}, shapes);
    // Steady state: one addon call per forward, every launch of it in the list.
    for (const f of perForward.slice(1)) expect(f.submits).toBe(1);
    expect(perForward[0]!.commands).toBeGreaterThan(20);
    // The model's first forward also projects the relative embeddings (cached per power-of-two span, 16 for
    // both lengths here) and allocates its blocks; from then on each forward of a bucket gets the same
    // pointers: seen (direct), captured, replayed. The first bucket, after the second one ran: still replayed.
    expect(perForward.map((f) => f.modes.at(-1))).toEqual([0, 0, 1, 2, 0, 1, 2, 2]);
    const stats = backend.stats();
    expect(stats.replays).toBe(3);
    expect(stats.graphs).toBeLessThanOrEqual(16);
    model.dispose();
    backend.close();
    expect(new Set(addon.frees)).toEqual(new Set(addon.allocs));
  });

  it("with graphs off, every forward is still one direct submission", async () => {
    const addon = new FakeAddon();
    const { backend, model, perForward } = await forwards(addon, { graphs: false }, [
      [2, 16],
      [2, 16],
    ]);
    expect(perForward[1]).toMatchObject({ submits: 1, modes: [0] });
    expect(backend.stats()).toMatchObject({ captures: 0, replays: 0 });
    model.dispose();
    backend.close();
  });

  it("falls back to a direct submission when a capture fails, and turns graphs off after repeated failures", async () => {
    const addon = new FakeAddon();
    const b = backendOn(addon, {});
    const x = b.upload(floats(8, [8]));
    const step = async () => {
      b.dispose(b.run("unary", { x }, { op: "neg" }));
      await b.sync();
    };
    for (let i = 0; i < 3; i++) {
      await step(); // direct (first sight; a list whose capture failed is seen anew)
      addon.failNext = { mode: 1, status: 900 };
      await step(); // capture fails (CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED) → the same list directly
      expect(addon.submits.slice(-2).map((s) => s.mode)).toEqual([1, 0]);
    }
    expect(b.stats().captureFailures).toBe(3);
    expect(b.stats().graphsOff).toMatch(/3 graph captures failed/);
    expect(addon.destroyed).toHaveLength(3);
    await step();
    await step();
    expect(addon.submits.at(-1)!.mode).toBe(0);
    b.close();
  });
});
