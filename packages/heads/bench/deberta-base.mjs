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
// run, default 200); BENCH_OUT (file name under bench-results/, default deberta-base.json).
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ensureSynthetic, forwardFlops } from "./synthetic.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const dir = ensureSynthetic();
const config = JSON.parse(readFileSync(path.join(dir, "config.json"), "utf8"));
const weightBytes = statSync(path.join(dir, "model.safetensors")).size;
const quick = process.env.BENCH_QUICK === "1";
const configs = process.env.BENCH_CONFIGS ?? (quick ? "1x128" : "1x128,2x128,8x512");
const threadCounts = (process.env.BENCH_THREADS ?? (quick ? "2" : "1,2")).split(",").map(Number);
const engines = (process.env.BENCH_ENGINES ?? "ours,ours-avx2,ort-node,ort-web").split(",");
const rssConfigs = process.env.BENCH_RSS_CONFIGS ?? configs;
const repeats = process.env.BENCH_REPEATS ?? "3";
const worker = path.join(here, "worker.mjs");
const child = (args) => {
  const out = execFileSync(process.execPath, [worker, ...args], {
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
    stdio: ["ignore", "pipe", "inherit"],
  });
  return JSON.parse(out.trim().split("\n").pop());
};
const round = (x, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

const timing = [];
for (const threads of threadCounts) {
  process.stderr.write(`timing, ${threads} thread(s), one process: ${engines.join(", ")}\n`);
  timing.push(child(["time", String(threads), configs, repeats, engines.join(",")]));
}

const table = [];
for (const { threads, results } of timing) {
  for (const name of configs.split(",")) {
    const [batch, length] = name.split("x").map(Number);
    const row = { threads, config: name };
    const ms = (engine) => results[engine]?.configs?.[name]?.medianMs;
    for (const engine of engines) row[`${engine}Ms`] = ms(engine) === undefined ? null : round(ms(engine));
    if (ms("ours") !== undefined) {
      row.oursGflops = round(forwardFlops(batch, length, config) / (ms("ours") / 1000) / 1e9);
      for (const other of engines.filter((e) => e !== "ours" && ms(e) !== undefined)) {
        row[`ours/${other}`] = round(ms("ours") / ms(other), 2);
        const a = results.ours.configs[name].logits;
        const b = results[other].configs[name].logits;
        row[`maxAbsLogitDiffVs${other}`] = Math.max(...a.map((v, i) => Math.abs(v - b[i])));
      }
    }
    table.push(row);
  }
}

const memory = [];
const rssThreads = Math.max(...threadCounts);
for (const engine of rssConfigs === "none" ? [] : engines) {
  process.stderr.write(`memory, ${engine} alone in a fresh process (${rssThreads} threads, ${rssConfigs})\n`);
  try {
    const r = child(["rss", engine, String(rssThreads), rssConfigs]);
    memory.push({
      engine,
      threads: r.threads,
      forwards: r.configs,
      loadMs: Math.round(r.loadMs),
      rssAfterLoadBytes: r.rssAfterLoadBytes,
      peakRssBytes: r.peakRssBytes,
      rssAfterLoadOverWeights: round(r.rssAfterLoadBytes / weightBytes, 2),
      peakRssOverWeights: round(r.peakRssBytes / weightBytes, 2),
    });
  } catch (error) {
    memory.push({ engine, error: String(error.message).split("\n")[0] });
  }
}

const at = (threads, name) => table.find((r) => r.threads === threads && r.config === name);
const oursMemory = memory.find((m) => m.engine === "ours");
const result = {
  benchmark: "DeBERTa-base synthetic checkpoint, sequence classification forward (batch x length)",
  date: new Date().toISOString(),
  node: process.version,
  cpu: os.cpus()[0]?.model,
  cores: os.cpus().length,
  loadAverage: os.loadavg().map((l) => round(l, 2)),
  quick,
  repeats: Number(repeats),
  weightBytes,
  engines: Object.fromEntries(
    timing.map(({ threads, results }) => [
      `${threads} thread(s)`,
      Object.fromEntries(
        Object.entries(results).map(([engine, r]) => [
          engine,
          r.error ? { error: r.error } : { gemm: r.gemm, loadMs: r.loadMs, fallbackReason: r.fallbackReason },
        ]),
      ),
    ]),
  ),
  table,
  samplesMs: timing.map(({ threads, results }) => ({
    threads,
    ...Object.fromEntries(
      Object.entries(results).map(([engine, r]) => [
        engine,
        Object.fromEntries(Object.entries(r.configs ?? {}).map(([c, v]) => [c, v.samplesMs])),
      ]),
    ),
  })),
  memory,
  targets: {
    "2 threads, 2x128: ours / onnxruntime-web (<= 0.75)": at(2, "2x128")?.["ours/ort-web"],
    // Issue 9's target for the native engine: at most onnxruntime-node's time at 1x128 and 2x128, 2 threads.
    "2 threads, 1x128: ours / onnxruntime-node (<= 1)": at(2, "1x128")?.["ours/ort-node"],
    "2 threads, 2x128: ours / onnxruntime-node (<= 1)": at(2, "2x128")?.["ours/ort-node"],
    "ours' peak RSS / weight bytes, fresh process (<= 1.25)": oursMemory?.peakRssOverWeights,
  },
};
mkdirSync(path.join(here, "..", "bench-results"), { recursive: true });
const outFile = path.join(here, "..", "bench-results", process.env.BENCH_OUT ?? "deberta-base.json");
writeFileSync(outFile, `${JSON.stringify(result, null, 2)}\n`);
console.table(
  table.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !k.startsWith("maxAbs")))),
);
console.table(memory);
console.log(JSON.stringify(result.targets, null, 2));
console.log(`wrote ${path.relative(process.cwd(), outFile)}`);
