// The benchmark's child processes (started by run-bench.mjs for bench/deberta-base.mjs and
// bench/deberta-v3-base.mjs; <model> is a key of models.mjs):
//   node bench/worker.mjs time <model> <threads> <BxL,BxL,...> <repeats> <engine,engine,...>
//     loads every engine in this one process (the anchors beside ours, on the same machine state) and times
//     one forward per configuration, the engines interleaved repeat by repeat; one JSON line: per engine and
//     configuration the median ms, the samples and, for each engine but ours, the largest difference of its
//     output from ours (computed here: v3's hidden states are megabytes).
//   node bench/worker.mjs rss <model> <engine> <threads> <BxL,BxL,...>
//     one engine alone in a fresh process: load, one forward per configuration; one JSON line with the RSS
//     after loading and the peak RSS (honest memory: nothing else was ever loaded here).
// Engines: "ours" (the CPU backend's default engine: native in Node where its addon is built), "ours-avx2"
// (native, AVX2 path forced), "ours-wasm" (the WebAssembly GEMM), "ort-node", "ort-web" (wasm).
import { readFileSync } from "node:fs";
import path from "node:path";
import { benchModel } from "./models.mjs";
import { syntheticInput } from "./synthetic.mjs";

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const parseConfigs = (arg) =>
  arg.split(",").map((c) => {
    const [batch, length] = c.split("x").map(Number);
    return { name: `${batch}x${length}`, batch, length };
  });

let ortWebThreads;

/**
 * Loads `engine` with `threads` for `model` (models.mjs); returns { run(input) -> { data, dims }, info }:
 * the model's compared output (v1: logits, v3: last_hidden_state) as a Float32Array and its dims.
 */
async function loadEngine(model, engine, threads) {
  if (engine === "ours" || engine === "ours-avx2" || engine === "ours-wasm") {
    const { createCpuBackend } = await import("@deberta/backend-cpu");
    const heads = await import("../dist/index.js");
    const { Tensor } = await import("@deberta/tensor");
    const options =
      engine === "ours-wasm"
        ? { engine: "wasm" }
        : engine === "ours-avx2"
          ? { engine: "native", isa: "avx2" }
          : {};
    const backend = await createCpuBackend({ threads, ...options });
    const network = await heads[model.head].from_pretrained(model.dir, { backend });
    return {
      info: {
        gemm: backend.gemm.name,
        ...(backend.engine?.fallbackReason ? { fallbackReason: backend.engine.fallbackReason } : {}),
      },
      run: async ({ ids, mask, dims }) => {
        const out = await network({
          input_ids: new Tensor("int64", ids, dims),
          attention_mask: new Tensor("int64", mask, dims),
        });
        return { data: out[model.output].data, dims: out[model.output].dims };
      },
    };
  }
  if (engine === "ort-node" || engine === "ort-web") {
    const ort =
      engine === "ort-node" ? (await import("onnxruntime-node")).default : await import("onnxruntime-web");
    let session;
    if (engine === "ort-node") {
      session = await ort.InferenceSession.create(model.onnx, {
        intraOpNumThreads: threads,
        interOpNumThreads: 1,
      });
    } else {
      // One wasm thread count per process: onnxruntime-web reads it once, at its first session.
      if (ortWebThreads !== undefined && ortWebThreads !== threads)
        throw new Error("onnxruntime-web: one thread count per process");
      ortWebThreads = threads;
      ort.env.wasm.numThreads = threads;
      const graph = readFileSync(model.onnx);
      const external = model.onnxExternalData
        ? [{ path: path.basename(model.onnxExternalData), data: readFileSync(model.onnxExternalData) }]
        : undefined;
      session = await ort.InferenceSession.create(graph, {
        executionProviders: ["wasm"],
        ...(external ? { externalData: external } : {}),
      });
    }
    return {
      info: {},
      run: async ({ ids, mask, dims }) => {
        const out = await session.run({
          input_ids: new ort.Tensor("int64", ids, dims),
          attention_mask: new ort.Tensor("int64", mask, dims),
        });
        return { data: out[model.output].data, dims: out[model.output].dims };
      },
    };
  }
  throw new Error(`unknown engine ${engine}`);
}

/**
 * The largest |a - b| over the compared elements (with `realTokensOnly`, rows of [batch, length, ...] whose
 * token is padding are left out) and the largest |a|; null where the dims differ or a value is NaN.
 */
function compareOutputs(a, b, input, realTokensOnly) {
  if (a.dims.join("x") !== b.dims.join("x")) return { maxAbsDiff: null, why: `dims ${a.dims} vs ${b.dims}` };
  const tokens = input.dims[0] * input.dims[1];
  const width = realTokensOnly ? a.data.length / tokens : a.data.length;
  let maxAbsDiff = 0;
  let maxAbs = 0;
  for (let row = 0; row < a.data.length / width; row++) {
    if (realTokensOnly && input.mask[row] === 0n) continue;
    for (let i = row * width; i < (row + 1) * width; i++) {
      const d = Math.abs(a.data[i] - b.data[i]);
      // A NaN fails the comparison by name: as a number it would reach the JSON as null.
      if (Number.isNaN(d)) return { maxAbsDiff: null, why: `NaN at element ${i}` };
      if (d > maxAbsDiff) maxAbsDiff = d;
      maxAbs = Math.max(maxAbs, Math.abs(a.data[i]));
    }
  }
  return { maxAbsDiff, maxAbs };
}

const [mode, modelName, ...args] = process.argv.slice(2);
const model = modelName === undefined ? undefined : benchModel(modelName);
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
      const e = await loadEngine(model, engine, threads);
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
    const outputs = new Map();
    for (const e of ok) outputs.set(e.engine, await e.run(input)); // warm-up
    const ours = outputs.get("ours");
    const compared = new Map(
      ours === undefined
        ? []
        : ok
            .filter((e) => e.engine !== "ours")
            .map((e) => [e.engine, compareOutputs(ours, outputs.get(e.engine), input, model.realTokensOnly)]),
    );
    const oursMaxAbs =
      ours === undefined ? undefined : compareOutputs(ours, ours, input, model.realTokensOnly).maxAbs;
    outputs.clear();
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
        ...(e.engine === "ours" ? { maxAbsOutput: oursMaxAbs } : {}),
        ...(compared.has(e.engine)
          ? {
              maxAbsDiffVsOurs: compared.get(e.engine).maxAbsDiff,
              ...(compared.get(e.engine).why ? { diffFailure: compared.get(e.engine).why } : {}),
            }
          : {}),
      };
  }
  process.stdout.write(`${JSON.stringify({ threads, results })}\n`);
} else if (mode === "rss") {
  const [engine, threadsArg, configsArg] = args;
  const t0 = performance.now();
  const e = await loadEngine(model, engine, Number(threadsArg));
  const loadMs = performance.now() - t0;
  const rssAfterLoadBytes = process.memoryUsage().rss;
  for (const config of parseConfigs(configsArg)) await e.run(syntheticInput(config.batch, config.length));
  const peakRssBytes = process.resourceUsage().maxRSS * 1024;
  process.stdout.write(
    `${JSON.stringify({ engine, threads: Number(threadsArg), configs: configsArg, loadMs, rssAfterLoadBytes, peakRssBytes, ...e.info })}\n`,
  );
} else {
  throw new Error(
    "usage: worker.mjs time <model> <threads> <BxL,...> <repeats> <engines> | rss <model> <engine> <threads> <BxL,...>",
  );
}
process.exit(0);
