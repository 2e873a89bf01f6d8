// One engine in its own process (threads and peak memory measured in isolation):
//   node bench/worker.mjs <ours|ours-wasm|ort-node|ort-web> <threads> <batch,batch,...> <repeats>
// ("ours": the CPU backend's default engine, native in Node where its addon is built; "ours-wasm": the
// same backend forced onto its WebAssembly GEMM)
// Prints one JSON line: load time, per-batch median ms, peak RSS.
import { readFileSync } from "node:fs";
import path from "node:path";
import { syntheticDir, syntheticInput } from "./synthetic.mjs";

const [engine, threadsArg, batchesArg, repeatsArg] = process.argv.slice(2);
const threads = Number(threadsArg);
const batches = batchesArg.split(",").map(Number);
const repeats = Number(repeatsArg ?? 5);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

let run;
let info = {};
const t0 = performance.now();
if (engine === "ours" || engine === "ours-wasm") {
  const { createCpuBackend } = await import("@deberta/backend-cpu");
  const { DebertaForSequenceClassification } = await import("../dist/index.js");
  const { Tensor } = await import("@deberta/tensor");
  const backend = await createCpuBackend({ threads, ...(engine === "ours-wasm" ? { engine: "wasm" } : {}) });
  info = {
    gemm: backend.gemm.name,
    ...(backend.engine?.fallbackReason ? { fallbackReason: backend.engine.fallbackReason } : {}),
  };
  const model = await DebertaForSequenceClassification.from_pretrained(syntheticDir, { backend });
  run = async ({ ids, mask, dims }) => {
    const out = await model({
      input_ids: new Tensor("int64", ids, dims),
      attention_mask: new Tensor("int64", mask, dims),
    });
    return Array.from(out.logits.data);
  };
} else if (engine === "ort-node" || engine === "ort-web") {
  const ort =
    engine === "ort-node" ? (await import("onnxruntime-node")).default : await import("onnxruntime-web");
  const onnxDir = path.join(syntheticDir, "onnx");
  let session;
  if (engine === "ort-node") {
    session = await ort.InferenceSession.create(path.join(onnxDir, "model.onnx"), {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
    });
  } else {
    ort.env.wasm.numThreads = threads;
    const model = readFileSync(path.join(onnxDir, "model.onnx"));
    const weights = readFileSync(path.join(onnxDir, "weights.bin"));
    session = await ort.InferenceSession.create(model, {
      executionProviders: ["wasm"],
      externalData: [{ path: "weights.bin", data: weights }],
    });
  }
  run = async ({ ids, mask, dims }) => {
    const out = await session.run({
      input_ids: new ort.Tensor("int64", ids, dims),
      attention_mask: new ort.Tensor("int64", mask, dims),
    });
    return Array.from(out.logits.data);
  };
} else {
  throw new Error(`unknown engine ${engine}`);
}
const loadMs = performance.now() - t0;
const results = {};
for (const batch of batches) {
  const input = syntheticInput(batch);
  const logits = await run(input); // warm-up
  const times = [];
  for (let r = 0; r < repeats; r++) {
    const s = performance.now();
    await run(input);
    times.push(performance.now() - s);
  }
  results[batch] = { medianMs: median(times), samplesMs: times.map((t) => Math.round(t * 10) / 10), logits };
}
const peakRssBytes = process.resourceUsage().maxRSS * 1024;
process.stdout.write(`${JSON.stringify({ engine, threads, loadMs, peakRssBytes, results, ...info })}\n`);
process.exit(0);
