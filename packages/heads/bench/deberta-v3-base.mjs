// pnpm bench (@deberta/heads), after deberta-base.mjs: the DeBERTa-v3-base-sized synthetic checkpoint
// (make-synthetic-v3-base.mjs: hidden 768, 12 layers, 12 heads, 128,100-token vocabulary, 256 position
// buckets), transformers' DebertaV2Model forward (last_hidden_state) at batch x length 1x128, 2x128 and
// 8x512 with 2 threads: our CPU backend's default engine (native in Node) against onnxruntime-node on the
// same weights (exported by PyTorch). Writes bench-results/deberta-v3-base.json.
//
// The method is v1's, in the same code (run-bench.mjs, worker.mjs): per thread count one process loads every
// engine and times them interleaved, each run after a pause of BENCH_SETTLE_MS (onnxruntime's pool threads
// spin after a run), median of BENCH_REPEATS after a warm-up; then each engine alone in a fresh process for
// its RSS after loading and peak RSS over the weight bytes.
//
// Correctness: the warm-up outputs of every engine are compared with ours on the real tokens; a difference of
// 1e-3 or more, or an engine that cannot load, fails the run (exit code 1, after the JSON is written).
// Without Python, torch or a working export there is no ONNX graph: the run says so on the console and in
// the JSON (`onnxruntimeAnchor.skipped`), times ours alone, and exits 0.
//
// Environment: as deberta-base.mjs (BENCH_QUICK, BENCH_CONFIGS, BENCH_THREADS, BENCH_ENGINES, BENCH_REPEATS,
// BENCH_SETTLE_MS, BENCH_RSS_CONFIGS), with this run's defaults: threads "2", engines "ours,ort-node"
// (ours-avx2, ours-wasm and ort-web may be named); BENCH_V3_OUT (file name under bench-results/, default
// deberta-v3-base.json); DEBERTA_PYTHON (the interpreter that makes .synthetic/venv; default python3).
import { readFileSync } from "node:fs";
import path from "node:path";
import { ensureSyntheticV3 } from "./make-synthetic-v3-base.mjs";
import { runBenchmark } from "./run-bench.mjs";

const { dir, onnxSkipped } = ensureSyntheticV3();
const config = JSON.parse(readFileSync(path.join(dir, "config.json"), "utf8"));

/**
 * Multiply-adds x2 of one forward, GEMMs only, as transformers computes it: the projections and the feed-forward
 * block, softmax(QKᵀ)V, and the c2p / p2c scores against all 2 x position_buckets relative embeddings
 * (projected once, cached: not counted).
 */
function forwardFlops(batch, length) {
  const h = config.hidden_size;
  const tokens = batch * length;
  const perLayer =
    2 * tokens * h * (3 * h) + 2 * tokens * h * h + 2 * 2 * tokens * h * config.intermediate_size;
  const span =
    config.position_buckets > 0 ? config.position_buckets : Math.min(length, config.max_position_embeddings);
  const attention = 2 * batch * h * length * length * 2 + 2 * 2 * batch * h * length * 2 * span;
  return config.num_hidden_layers * (perLayer + attention);
}

runBenchmark({
  model: "deberta-v3-base",
  title: "DeBERTa-v3-base synthetic checkpoint, DebertaV2Model forward, last_hidden_state (batch x length)",
  defaults: { configs: "1x128,2x128,8x512", threads: "2", engines: "ours,ort-node" },
  flops: forwardFlops,
  diffKey: "maxAbsHiddenDiffVs",
  maxAbsDiff: 1e-3,
  anchorSkipped: onnxSkipped,
  outEnv: "BENCH_V3_OUT",
  outDefault: "deberta-v3-base.json",
  targets: (at, oursMemory) => ({
    // Issue 13: v1's targets on the CPU (issue 9): at most onnxruntime-node's time, 2 threads.
    // null where not measured (no anchor, other configurations): the keys stay, so a reader sees what is missing.
    "2 threads, 1x128: ours / onnxruntime-node (<= 1)": at(2, "1x128")?.["ours/ort-node"] ?? null,
    "2 threads, 2x128: ours / onnxruntime-node (<= 1)": at(2, "2x128")?.["ours/ort-node"] ?? null,
    "ours' peak RSS / weight bytes, fresh process (<= 1.25)": oursMemory?.peakRssOverWeights ?? null,
  }),
});
