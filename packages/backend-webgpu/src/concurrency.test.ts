// One model on the WebGPU backend called by 64 overlapping callers (different batch sizes and lengths):
// each gets, bit for bit, what it gets alone. Every call records its dispatches into the shared queue and
// submits them with the copy for its first read, so reads of one call interleave with the whole forward of
// others; the kernels (and so their reduction orders) depend only on the shapes, never on what else is
// queued. And dispose() under calls in flight: they reject with HEAD_DISPOSED, nothing stays allocated, and a
// process that does it exits by itself.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { DebertaConfig } from "@deberta/config";
import { DebertaForSequenceClassification, HeadError } from "@deberta/heads";
import { checkConcurrentCalls, randomCalls } from "@deberta/heads/fixture-check";
import { afterAll, describe, expect, it } from "vitest";
import { gpuTitle, skipNoGpu } from "../test/adapter.js";
import { fixturesDir } from "../test/fixtures.js";
import { createWebGpuBackend } from "./create.js";

const dir = path.join(fixturesDir(), "models", "base-like", "seqcls");
const config = await DebertaConfig.from_pretrained(dir);
const backend = skipNoGpu ? undefined : await createWebGpuBackend();
afterAll(() => backend?.close());

describe.skipIf(skipNoGpu)(gpuTitle("webgpu f32, one model, overlapping calls"), () => {
  it("64 overlapping calls each return, bit for bit, what the call returns alone", {
    timeout: 180_000,
  }, async () => {
    const model = await DebertaForSequenceClassification.from_pretrained(dir, { backend: backend!, config });
    try {
      // Lengths up to 32 (not 64) keep 128 forwards on a software Vulkan driver within the timeout.
      const calls = randomCalls(config, 64, { seed: 14, maxLength: 32, classLabels: true });
      expect(new Set(calls.map((c) => c.input_ids.dims.join("x"))).size).toBeGreaterThan(32);
      const { mismatches, compared } = await checkConcurrentCalls(model, calls);
      expect(mismatches).toEqual([]);
      expect(compared).toBeGreaterThan(64 + 32 + 3 * 21);
    } finally {
      model.dispose();
    }
  });

  it("dispose() under calls in flight rejects them and later calls with HEAD_DISPOSED, and frees everything", {
    timeout: 120_000,
  }, async () => {
    const before = backend!.memory();
    const model = await DebertaForSequenceClassification.from_pretrained(dir, { backend: backend!, config });
    const calls = randomCalls(config, 16, { seed: 3, maxLength: 16 });
    const inFlight = calls.map((inputs) => model(inputs));
    expect(backend!.memory().tensors).toBeGreaterThan(before.tensors);
    model.dispose();
    const settled = await Promise.allSettled(inFlight);
    for (const s of settled) {
      expect(s.status).toBe("rejected");
      const reason = (s as PromiseRejectedResult).reason;
      expect(reason).toBeInstanceOf(HeadError);
      expect(reason.code).toBe("HEAD_DISPOSED");
    }
    await expect(model(calls[0]!)).rejects.toMatchObject({ code: "HEAD_DISPOSED" });
    expect(backend!.memory()).toMatchObject({ bytesInUse: 0, tensors: 0 });
    expect(before).toMatchObject({ bytesInUse: 0, tensors: 0 });
    // The backend is still usable by its owner.
    await backend!.sync();
  });

  it("a process that disposes a model owning its backend under calls in flight exits by itself with code 0", {
    timeout: 180_000,
  }, () => {
    const script = path.resolve(
      path.dirname(fileURLToPath(import.meta.url)),
      "../test/dispose-in-flight.mjs",
    );
    const run = spawnSync(process.execPath, [script, dir], { encoding: "utf8", timeout: 150_000 });
    expect(run.error, run.stderr).toBeUndefined();
    expect(run.status, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout.trim().split("\n").at(-1)!);
    expect(report.backend).toBe("webgpu");
    expect(report.codes).toEqual(new Array(8).fill("HEAD_DISPOSED"));
    expect(report.later).toBe("HEAD_DISPOSED");
    expect(report.memory).toMatchObject({ bytesInUse: 0, tensors: 0 });
  });
});
