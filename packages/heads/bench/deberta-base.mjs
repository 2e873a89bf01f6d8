// pnpm bench (@deberta/heads): the DeBERTa-base-sized synthetic checkpoint, a sequence classification
// forward at batch x length 1x128, 2x128 and 8x512, with 1 and 2 threads: our CPU backend (default engine:
// native in Node), the native engine with its AVX2 path forced ("ours-avx2"), onnxruntime-node and
// onnxruntime-web (wasm) on the same weights. Writes bench-results/deberta-base.json.
//
// - Speed: per thread count, one process loads every engine and times them interleaved, repeat by repeat
//   (the anchors run beside ours, in the same process, on the same machine state), each run after a pause
//   of BENCH_SETTLE_MS (default 200): onnxruntime's intra-op threads keep spinning after a run, and on a
//   2-core machine they took a third of the CPU from whichever engine ran next (ours: 97 ms at 1x128
//   right after onnxruntime, 68 ms after a pause; onnxruntime itself: 86 ms either way).
// - Memory: each engine alone in a fresh process (load, one forward per configuration): RSS after loading
//   and peak RSS, over the weight bytes (target for ours: peak <= 1.25x).
//
// Environment: BENCH_QUICK=1 (1x128 only, 2 threads); BENCH_CONFIGS="1x128,2x128,8x512";
// BENCH_THREADS="1,2"; BENCH_ENGINES="ours,ours-avx2,ort-node,ort-web" (may add "ours-wasm");
// BENCH_RSS_CONFIGS (the forwards of the memory processes; default: the timed configurations; "none": no
// memory processes); BENCH_REPEATS (default 3, median reported); BENCH_SETTLE_MS (pause before each timed
// run, default 200); BENCH_OUT (file name under bench-results/, default deberta-base.json). `pnpm bench` runs
// deberta-v3-base.mjs next, with the same variables (but its own defaults and BENCH_V3_OUT).
import { readFileSync } from "node:fs";
import path from "node:path";
import { runBenchmark } from "./run-bench.mjs";
import { ensureSynthetic, forwardFlops } from "./synthetic.mjs";

const dir = ensureSynthetic();
const config = JSON.parse(readFileSync(path.join(dir, "config.json"), "utf8"));

runBenchmark({
  model: "deberta-base",
  title: "DeBERTa-base synthetic checkpoint, sequence classification forward (batch x length)",
  defaults: { configs: "1x128,2x128,8x512", threads: "1,2", engines: "ours,ours-avx2,ort-node,ort-web" },
  flops: (batch, length) => forwardFlops(batch, length, config),
  diffKey: "maxAbsLogitDiffVs",
  outEnv: "BENCH_OUT",
  outDefault: "deberta-base.json",
  targets: (at, oursMemory) => ({
    "2 threads, 2x128: ours / onnxruntime-web (<= 0.75)": at(2, "2x128")?.["ours/ort-web"],
    // Issue 9's target for the native engine: at most onnxruntime-node's time at 1x128 and 2x128, 2 threads.
    "2 threads, 1x128: ours / onnxruntime-node (<= 1)": at(2, "1x128")?.["ours/ort-node"],
    "2 threads, 2x128: ours / onnxruntime-node (<= 1)": at(2, "2x128")?.["ours/ort-node"],
    "ours' peak RSS / weight bytes, fresh process (<= 1.25)": oursMemory?.peakRssOverWeights,
  }),
});
