// The benchmark's child processes (started by bench/deberta-base.mjs):
//   node bench/worker.mjs time <threads> <BxL,BxL,...> <repeats> <engine,engine,...>
//     loads every engine in this one process (the anchors beside ours, on the same machine state) and times
//     one forward per configuration, the engines interleaved repeat by repeat; one JSON line: per engine and
//     configuration the median ms, samples and logits.
//   node bench/worker.mjs rss <engine> <threads> <BxL,BxL,...>
//     one engine alone in a fresh process: load, one forward per configuration; one JSON line with the RSS
//     after loading and the peak RSS (honest memory: nothing else was ever loaded here).
// Engines: "ours" (the CPU backend's default engine: native in Node where its addon is built), "ours-avx2"
// (native, AVX2 path forced), "ours-wasm" (the WebAssembly GEMM), "ort-node", "ort-web" (wasm).
import { readFileSync } from "node:fs";
import path from "node:path";
import { syntheticDir, syntheticInput } from "./synthetic.mjs";

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const parseConfigs = (arg) =>
  arg.split(",").map((c) => {
    const [batch, length] = c.split("x").map(Number);
    return { name: `${batch}x${length}`, batch, length };
  });

let ortWebThreads;

/** Loads `engine` with `threads`; returns { run(input) -> logits[], info, close() }. */
async function loadEngine(engine, threads) {
  if (engine === "ours" || engine === "ours-avx2" || engine === "ours-wasm") {
    const { createCpuBackend } = await import("@deberta/backend-cpu");
    const { DebertaForSequenceClassification } = await import("../dist/index.js");
    const { Tensor } = await import("@deberta/tensor");
    const options =
      engine === "ours-wasm"
        ? { engine: "wasm" }
        : engine === "ours-avx2"
          ? { engine: "native", isa: "avx2" }
          : {};
    const backend = await createCpuBackend({ threads, ...options });
    const model = await DebertaForSequenceClassification.from_pretrained(syntheticDir, { backend });
    return {
      info: {
        gemm: backend.gemm.name,
        ...(backend.engine?.fallbackReason ? { fallbackReason: backend.engine.fallbackReason } : {}),
      },
      run: async ({ ids, mask, dims }) => {
        const out = await model({
          input_ids: new Tensor("int64", ids, dims),
          attention_mask: new Tensor("int64", mask, dims),
        });
        return Array.from(out.logits.data);
      },
    };
  }
  if (engine === "ort-node" || engine === "ort-web") {
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
      // One wasm thread count per process: onnxruntime-web reads it once, at its first session.
      if (ortWebThreads !== undefined && ortWebThreads !== threads)
        throw new Error("onnxruntime-web: one thread count per process");
      ortWebThreads = threads;
      ort.env.wasm.numThreads = threads;
      const model = readFileSync(path.join(onnxDir, "model.onnx"));
      const weights = readFileSync(path.join(onnxDir, "weights.bin"));
      session = await ort.InferenceSession.create(model, {
        executionProviders: ["wasm"],
        externalData: [{ path: "weights.bin", data: weights }],
      });
    }
    return {
      info: {},
      run: async ({ ids, mask, dims }) => {
        const out = await session.run({
          input_ids: new ort.Tensor("int64", ids, dims),
          attention_mask: new ort.Tensor("int64", mask, dims),
        });
        return Array.from(out.logits.data);
      },
    };
  }
  throw new Error(`unknown engine ${engine}`);
}

const [mode, ...args] = process.argv.slice(2);
if (mode === "time") {
  const [threadsArg, configsArg, repeatsArg, enginesArg] = args;
  const settleMs = Number(process.env.BENCH_SETTLE_MS ?? 200);
  const threads = Number(threadsArg);
  const configs = parseConfigs(configsArg);
  const repeats = Number(repeatsArg);
  const loaded = [];
  for (const engine of enginesArg.split(",")) {
    const t0 = performance.now();
    try {
      const e = await loadEngine(engine, threads);
      loaded.push({ engine, ...e, loadMs: performance.now() - t0 });
    } catch (error) {
      loaded.push({ engine, error: String(error.message ?? error).split("\n")[0] });
    }
  }
  const results = Object.fromEntries(
    loaded.map((e) => [
      e.engine,
      e.error ? { error: e.error } : { loadMs: Math.round(e.loadMs), ...e.info, configs: {} },
    ]),
  );
  const ok = loaded.filter((e) => !e.error);
  for (const config of configs) {
    process.stderr.write(`  ${threads} thread(s), ${config.name}: ${ok.map((e) => e.engine).join(", ")}\n`);
    const input = syntheticInput(config.batch, config.length);
    const samples = new Map(ok.map((e) => [e.engine, []]));
    const logits = new Map();
    for (const e of ok) logits.set(e.engine, await e.run(input)); // warm-up
    for (let r = 0; r < repeats; r++) {
      for (const e of ok) {
        // Each engine starts on a quiet machine: the previous engine's threads may still be spinning
        // (onnxruntime's pool spins after a run by default; ours for ~100 µs), and on two cores a spinning
        // thread takes half the machine from whoever runs next.
        await new Promise((resolve) => setTimeout(resolve, settleMs));
        const s = performance.now();
        await e.run(input);
        samples.get(e.engine).push(performance.now() - s);
      }
    }
    for (const e of ok)
      results[e.engine].configs[config.name] = {
        medianMs: median(samples.get(e.engine)),
        samplesMs: samples.get(e.engine).map((t) => Math.round(t * 10) / 10),
        logits: logits.get(e.engine),
      };
  }
  process.stdout.write(`${JSON.stringify({ threads, results })}\n`);
} else if (mode === "rss") {
  const [engine, threadsArg, configsArg] = args;
  const t0 = performance.now();
  const e = await loadEngine(engine, Number(threadsArg));
  const loadMs = performance.now() - t0;
  const rssAfterLoadBytes = process.memoryUsage().rss;
  for (const config of parseConfigs(configsArg)) await e.run(syntheticInput(config.batch, config.length));
  const peakRssBytes = process.resourceUsage().maxRSS * 1024;
  process.stdout.write(
    `${JSON.stringify({ engine, threads: Number(threadsArg), configs: configsArg, loadMs, rssAfterLoadBytes, peakRssBytes, ...e.info })}\n`,
  );
} else {
  throw new Error(
    "usage: worker.mjs time <threads> <BxL,...> <repeats> <engines> | rss <engine> <threads> <BxL,...>",
  );
}
process.exit(0);
