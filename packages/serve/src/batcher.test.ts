// The batcher alone, with a runner that records the batches it gets and answers each value with a function of
// it: which entries share a batch, the limits, waiting, 429, dropping, failure isolation, draining. Batches are
// held with pause() and released with resume(), never by timing.
import { describe, expect, it } from "vitest";
import { type BatchEntry, Batcher, type BatchStats, type DropReason } from "./batcher.js";
import { ServeError } from "./errors.js";

interface Recorder {
  batches: { key: string; values: string[] }[];
  stats: BatchStats[];
  drops: [DropReason, number][];
}

function batcher(
  limits: Partial<{
    maxBatchTokens: number;
    maxBatchRequests: number;
    maxWaitMs: number;
    maxQueue: number;
    maxPadding: number;
  }> = {},
  fail: (value: string) => boolean = () => false,
) {
  const rec: Recorder = { batches: [], stats: [], drops: [] };
  const b = new Batcher<string, string>(
    async (key, values) => {
      rec.batches.push({ key, values: [...values] });
      await Promise.resolve();
      if (values.some(fail)) throw new Error(`bad input in ${values.join(",")}`);
      return values.map((v) => `result of ${v}`);
    },
    { maxBatchTokens: 1000, maxBatchRequests: 100, maxWaitMs: 0, maxQueue: 100, ...limits },
    { onBatch: (s) => rec.stats.push(s), onDrop: (reason, n) => rec.drops.push([reason, n]) },
  );
  return { b, rec };
}

const entry = (value: string, length: number, key = "k", rows = 1): BatchEntry<string> => ({
  key,
  rows,
  length,
  value,
});

describe("Batcher", () => {
  it("answers each entry with its own result, in order", async () => {
    const { b } = batcher();
    expect(await b.submit([entry("a", 5), entry("b", 7)])).toEqual(["result of a", "result of b"]);
  });

  it("batches the oldest entry with the same-key entries nearest in length, padding within 25%", async () => {
    const { b, rec } = batcher();
    b.pause();
    const all = Promise.all([
      b.submit([entry("short1", 10)]),
      b.submit([entry("long1", 100)]),
      b.submit([entry("short2", 12), entry("other-key", 10, "k2")]),
      b.submit([entry("long2", 90)]),
      b.submit([entry("short3", 3)]),
    ]);
    expect(b.depth).toBe(6);
    expect(b.queued).toBe(6);
    b.resume();
    const results = await all;
    expect(results[2]).toEqual(["result of short2", "result of other-key"]);
    // short3 with short1 and short2 would be 11 of 36 tokens padding: it waits to be the oldest itself.
    expect(rec.batches).toEqual([
      { key: "k", values: ["short1", "short2"] },
      { key: "k", values: ["long1", "long2"] },
      { key: "k2", values: ["other-key"] },
      { key: "k", values: ["short3"] },
    ]);
    expect(rec.stats[0]).toMatchObject({ entries: 2, rows: 2, paddedTokens: 2 * 12, tokens: 22 });
    expect(b.depth).toBe(0);
  });

  it("maxPadding 0 batches equal lengths only; 1 batches any", async () => {
    for (const [maxPadding, sizes] of [
      [0, [2, 1, 1]],
      [1, [4]],
    ] as const) {
      const { b, rec } = batcher({ maxPadding });
      b.pause();
      const all = Promise.all([8, 8, 30, 60].map((n, i) => b.submit([entry(`e${i}`, n)])));
      b.resume();
      await all;
      expect(rec.batches.map((x) => x.values.length)).toEqual(sizes);
    }
  });

  it("keeps rows x longest row within maxBatchTokens and rows within maxBatchRequests", async () => {
    const { b, rec } = batcher({ maxBatchTokens: 64, maxBatchRequests: 3 });
    b.pause();
    const tokens = Promise.all([20, 20, 20, 20].map((n, i) => b.submit([entry(`t${i}`, n)])));
    b.resume();
    await tokens;
    // 3 x 20 = 60 fits, a 4th row would be 80.
    expect(rec.batches.map((x) => x.values.length)).toEqual([3, 1]);

    rec.batches.length = 0;
    b.pause();
    const rows = Promise.all([1, 2, 3, 4, 5].map((i) => b.submit([entry(`r${i}`, 2)])));
    b.resume();
    await rows;
    expect(rec.batches.map((x) => x.values.length)).toEqual([3, 2]);
  });

  it("counts an entry's rows (zero-shot pairs, QA windows) against the limits", async () => {
    const { b, rec } = batcher({ maxBatchRequests: 4 });
    b.pause();
    const all = Promise.all([b.submit([entry("three", 10, "k", 3)]), b.submit([entry("two", 10, "k", 2)])]);
    expect(b.depth).toBe(5);
    b.resume();
    await all;
    expect(rec.batches.map((x) => x.values)).toEqual([["three"], ["two"]]);
  });

  it("runs an entry longer than maxBatchTokens alone rather than never", async () => {
    const { b, rec } = batcher({ maxBatchTokens: 10 });
    expect(await b.submit([entry("huge", 500)])).toEqual(["result of huge"]);
    expect(rec.batches).toHaveLength(1);
  });

  it("waits up to maxWaitMs for a batch to fill, and no longer once full", async () => {
    const { b, rec } = batcher({ maxWaitMs: 60_000, maxBatchRequests: 2 });
    // Two entries fill the batch: it runs without waiting the minute.
    const full = b.submit([entry("a", 4), entry("b", 4)]);
    expect(await full).toEqual(["result of a", "result of b"]);
    // One entry waits; flush() (shutdown) starts it at once.
    const lone = b.submit([entry("c", 4)]);
    await Promise.resolve();
    expect(rec.batches).toHaveLength(1);
    b.flush();
    expect(await lone).toEqual(["result of c"]);
  });

  it("refuses a request that does not fit in the queue with 429 and Retry-After, but always takes one into an empty queue", async () => {
    const { b } = batcher({ maxQueue: 2 });
    b.pause();
    const big = b.submit([entry("a", 4), entry("b", 4), entry("c", 4)]);
    expect(b.depth).toBe(3);
    const refused = await b.submit([entry("d", 4)]).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ServeError);
    expect((refused as ServeError).status).toBe(429);
    expect((refused as ServeError).code).toBe("SERVE_QUEUE_FULL");
    expect(Number((refused as ServeError).headers["retry-after"])).toBeGreaterThanOrEqual(1);
    b.resume();
    expect(await big).toHaveLength(3);
  });

  it("drops a request's queued entries when its signal aborts, and rejects with the reason", async () => {
    const { b, rec } = batcher();
    b.pause();
    const controller = new AbortController();
    const gone = b.submit([entry("a", 4), entry("b", 4)], controller.signal);
    const kept = b.submit([entry("c", 4)]);
    expect(b.depth).toBe(3);
    const reason = new Error("client went away");
    controller.abort(reason);
    await expect(gone).rejects.toBe(reason);
    expect(b.depth).toBe(1);
    expect(rec.drops).toEqual([["disconnect", 2]]);
    b.resume();
    expect(await kept).toEqual(["result of c"]);
    expect(rec.batches.flatMap((x) => x.values)).toEqual(["c"]);
  });

  it("names the drop reason the caller gives (timeout)", async () => {
    const { b, rec } = batcher();
    b.pause();
    const controller = new AbortController();
    const timedOut = b.submit([entry("a", 4)], controller.signal, () => "timeout");
    controller.abort(new Error("timeout"));
    await expect(timedOut).rejects.toThrow("timeout");
    expect(rec.drops).toEqual([["timeout", 1]]);
  });

  it("isolates a failing input: its batch runs again one by one, and only its request fails", async () => {
    const { b, rec } = batcher({}, (v) => v === "bad");
    b.pause();
    const good1 = b.submit([entry("good1", 4)]);
    const bad = b.submit([entry("bad", 4), entry("sibling", 4)]);
    const good2 = b.submit([entry("good2", 4)]);
    b.resume();
    expect(await good1).toEqual(["result of good1"]);
    await expect(bad).rejects.toThrow("bad input in bad");
    expect(await good2).toEqual(["result of good2"]);
    // One batch of four fails; then good1 alone, bad alone (fails: its sibling is dropped), good2 alone.
    expect(rec.batches.map((x) => x.values)).toEqual([
      ["good1", "bad", "sibling", "good2"],
      ["good1"],
      ["bad"],
      ["good2"],
    ]);
    expect(rec.stats.filter((s) => s.failed)).toHaveLength(2);
    expect(rec.drops).toEqual([["sibling_failed", 1]]);
  });

  it("idle() resolves once the queue is empty and no batch runs; abandon() rejects what is queued", async () => {
    const { b } = batcher();
    await b.idle();
    b.pause();
    const left = b.submit([entry("a", 4)]);
    let idle = false;
    const waiting = b.idle().then(() => {
      idle = true;
    });
    await Promise.resolve();
    expect(idle).toBe(false);
    const error = new Error("shutting down");
    b.abandon(error);
    await expect(left).rejects.toBe(error);
    await waiting;
    expect(b.depth).toBe(0);
  });
});
