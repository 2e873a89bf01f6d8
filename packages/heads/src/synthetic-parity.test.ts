// The DeBERTa-base-sized synthetic checkpoint (12 layers, 768 hidden, 50265 vocab): our logits within 1e-5
// of onnxruntime-node's on the same weights, for the input of the fixture README (batch 2, length 128, the
// second row 100 tokens then padding); and, on the native engine, a forward that runs as one program off
// the JavaScript thread. The 531 MiB checkpoint is generated on demand into the git-ignored .synthetic/
// folder by ../shared/tools/make-synthetic-base.mjs (one test file, so it is never written twice at once).
import { createCpuBackend, loadNativeAddon } from "@deberta/backend-cpu";
import { Tensor } from "@deberta/tensor";
import { describe, expect, it } from "vitest";
// @ts-expect-error: plain ESM helper shared with the benchmark, no type declarations.
import { ensureSynthetic, syntheticInput } from "../bench/synthetic.mjs";
import { DebertaForSequenceClassification } from "./sequence-classification.js";

describe("DeBERTa-base synthetic checkpoint", () => {
  it("gives logits within 1e-5 of onnxruntime-node for batch 2 x 128", { timeout: 600_000 }, async () => {
    const dir: string = ensureSynthetic();
    const input = syntheticInput(2) as { ids: BigInt64Array; mask: BigInt64Array; dims: number[] };
    const ort = (await import("onnxruntime-node")).default;
    const session = await ort.InferenceSession.create(`${dir}/onnx/model.onnx`, { intraOpNumThreads: 2 });
    const reference = (
      await session.run({
        input_ids: new ort.Tensor("int64", input.ids, input.dims),
        attention_mask: new ort.Tensor("int64", input.mask, input.dims),
      })
    ).logits!.data as Float32Array;
    await session.release();

    const backend = await createCpuBackend({ threads: 2 });
    const model = await DebertaForSequenceClassification.from_pretrained(dir, { backend });
    const { logits } = await model({
      input_ids: new Tensor("int64", input.ids, input.dims),
      attention_mask: new Tensor("int64", input.mask, input.dims),
    });
    const ours = logits!.data as Float32Array;
    expect(logits!.dims).toEqual([2, 3]);
    const maxDiff = Math.max(...Array.from(ours, (v, i) => Math.abs(v - reference[i]!)));
    expect(maxDiff, `ours ${Array.from(ours)} vs onnxruntime-node ${Array.from(reference)}`).toBeLessThan(
      1e-5,
    );
    backend.close();
  });
});

/**
 * The longest time, in ms, between a forward's start, each firing of a 1 ms interval timer during it, and
 * its end: how long the event loop stood still.
 */
async function longestStall(run: () => Promise<unknown>): Promise<{ stall: number; took: number }> {
  const marks: number[] = [performance.now()];
  const timer = setInterval(() => marks.push(performance.now()), 1);
  try {
    await run();
  } finally {
    clearInterval(timer);
  }
  marks.push(performance.now());
  let stall = 0;
  for (let i = 1; i < marks.length; i++) stall = Math.max(stall, marks[i]! - marks[i - 1]!);
  return { stall, took: marks[marks.length - 1]! - marks[0]! };
}

const nativeAddon = await loadNativeAddon();

describe.skipIf(nativeAddon.addon === undefined)(
  "DeBERTa-base synthetic checkpoint on the native engine (skipped: the addon is not built here)",
  () => {
    it("a forward is one program run off the JavaScript thread: a timer fires at least every 20 ms during it (5 % of a forward the machine's load stretches)", {
      timeout: 600_000,
    }, async () => {
      const dir: string = ensureSynthetic();
      const input = syntheticInput(2) as { ids: BigInt64Array; mask: BigInt64Array; dims: number[] };
      const inputs = {
        input_ids: new Tensor("int64", input.ids, input.dims),
        attention_mask: new Tensor("int64", input.mask, input.dims),
      };
      const backend = await createCpuBackend({ engine: "native", threads: 2 });
      const model = await DebertaForSequenceClassification.from_pretrained(dir, { backend });
      await model(inputs); // the first call also projects the relative embeddings (cached)

      const before = backend.nativeStats()!;
      await model(inputs);
      const after = backend.nativeStats()!;
      // Every op of the forward, the classifier head included, in one asynchronous native call.
      expect(after.asyncPrograms - before.asyncPrograms).toBe(1);
      expect(after.syncPrograms - before.syncPrograms).toBe(0);
      expect(after.commands - before.commands).toBeGreaterThan(12 * 6);

      // The machine may be busy with other test files: the best of five forwards must keep the loop
      // turning every 20 ms, or, where the load stretches a forward far beyond its ~150 ms (CI runs test
      // files side by side on 2 cores: forwards of 1-2 s were seen), every 5 % of the forward, as the
      // recording's own JavaScript work and preemption stretch with it. A forward that held the JavaScript
      // thread would stall it for all of the forward every time (the control below shows the measurement
      // catches that).
      const bound = (run: { took: number }) => Math.max(20, 0.05 * run.took);
      const runs: { stall: number; took: number }[] = [];
      for (let attempt = 0; attempt < 5; attempt++) {
        runs.push(await longestStall(() => model(inputs)));
        if (runs[runs.length - 1]!.stall <= bound(runs[runs.length - 1]!)) break;
      }
      expect(
        runs.some((run) => run.stall <= bound(run)),
        `forwards (ms): ${JSON.stringify(runs)}`,
      ).toBe(true);

      // Control: the encoder's forward with the recorded program run on the JavaScript thread (`read`
      // needs the result at once) stalls the loop for most of the forward.
      const control = await longestStall(async () => {
        const { last_hidden_state } = model.backbone.forward(inputs);
        backend.read(last_hidden_state);
        backend.dispose(last_hidden_state);
      });
      expect(control.stall, JSON.stringify(control)).toBeGreaterThan(Math.min(40, control.took * 0.8));
      expect(control.stall, JSON.stringify(control)).toBeGreaterThan(bound(control));
      backend.close();
    });
  },
);
