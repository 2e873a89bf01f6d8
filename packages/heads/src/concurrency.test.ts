// One loaded model called by 64 overlapping callers (different batch sizes and lengths) gives each exactly
// what it gets alone; disposing the model under calls in flight rejects them with HEAD_DISPOSED and leaks
// nothing. On the CPU backend, with the WebAssembly GEMM (worker threads, heap scratch buffers) and the
// JavaScript one. The CPU kernels reduce in a fixed order whatever else runs, so equality is bit for bit.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type CpuBackend, createCpuBackend } from "@deberta/backend-cpu";
import { afterAll, describe, expect, it } from "vitest";
import { checkConcurrentCalls, randomCalls } from "./concurrency-check.js";
import { HeadError } from "./errors.js";
import { DebertaForSequenceClassification } from "./sequence-classification.js";
import { loadFixture } from "./test-support.js";

const fixture = await loadFixture("base-like/seqcls");
const backends: Record<string, CpuBackend> = {
  wasm: await createCpuBackend({ gemm: "wasm", threads: 2 }),
  js: await createCpuBackend({ gemm: "js" }),
};
afterAll(() => {
  for (const b of Object.values(backends)) b.close();
});

describe.each(Object.keys(backends))("cpu backend, %s GEMM", (gemm) => {
  const backend = backends[gemm]!;

  it("64 overlapping calls each return, bit for bit, what the call returns alone", {
    timeout: 120_000,
  }, async () => {
    const model = await DebertaForSequenceClassification.from_pretrained(fixture.dir, {
      backend,
      config: fixture.config,
    });
    try {
      const calls = randomCalls(fixture.config, 64, { seed: 14, classLabels: true });
      expect(new Set(calls.map((c) => c.input_ids.dims.join("x"))).size).toBeGreaterThan(32);
      const { mismatches, compared } = await checkConcurrentCalls(model, calls);
      expect(mismatches).toEqual([]);
      // logits for all, loss on half, embeddings + 2 layers of hidden states on a third.
      expect(compared).toBeGreaterThan(64 + 32 + 3 * 21);
    } finally {
      model.dispose();
    }
  });

  it("dispose() under calls in flight rejects them and later calls with HEAD_DISPOSED, and frees everything", {
    timeout: 120_000,
  }, async () => {
    const before = backend.memory();
    const model = await DebertaForSequenceClassification.from_pretrained(fixture.dir, {
      backend,
      config: fixture.config,
    });
    const calls = randomCalls(fixture.config, 16, { seed: 3 });
    const inFlight = calls.map((inputs) => model(inputs));
    expect(backend.memory().tensors).toBeGreaterThan(before.tensors);
    model.dispose();
    const settled = await Promise.allSettled(inFlight);
    for (const s of settled) {
      expect(s.status).toBe("rejected");
      const reason = (s as PromiseRejectedResult).reason;
      expect(reason).toBeInstanceOf(HeadError);
      expect(reason.code).toBe("HEAD_DISPOSED");
    }
    await expect(model(calls[0]!)).rejects.toMatchObject({ code: "HEAD_DISPOSED" });
    expect(backend.memory()).toMatchObject({ bytesInUse: before.bytesInUse, tensors: before.tensors });
    expect(before).toMatchObject({ bytesInUse: 0, tensors: 0 });
  });
});

describe("a process that disposes a model under calls in flight", () => {
  it("sees them rejected with HEAD_DISPOSED and exits by itself with code 0", { timeout: 120_000 }, () => {
    const script = path.resolve(
      path.dirname(fileURLToPath(import.meta.url)),
      "../test/dispose-in-flight.mjs",
    );
    const run = spawnSync(process.execPath, [script, fixture.dir], { encoding: "utf8", timeout: 90_000 });
    expect(run.error, run.stderr).toBeUndefined();
    expect(run.status, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout.trim().split("\n").at(-1)!);
    expect(report.gemm).toMatch(/^wasm-/);
    expect(report.codes).toEqual(new Array(16).fill("HEAD_DISPOSED"));
    expect(report.later).toBe("HEAD_DISPOSED");
  });
});
