// pnpm bench (@deberta/heads): DeBERTa-base-sized synthetic checkpoint, batch 1x128, 2x128, 8x128, 1 and 2
// threads — our CPU backend (default engine: native in Node; BENCH_ENGINES may add "ours-wasm", the
// WebAssembly GEMM), onnxruntime-node and onnxruntime-web (wasm) on the same weights, each engine
// in its own process; writes bench-results/deberta-base.json with ms per forward, ratios, achieved GEMM
// GFLOP/s, weight load time and peak RSS.
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
const batches = (process.env.BENCH_BATCHES ?? "1,2,8").split(",").map(Number);
const threadCounts = (process.env.BENCH_THREADS ?? "1,2").split(",").map(Number);
const engines = (process.env.BENCH_ENGINES ?? "ours,ort-node,ort-web").split(",");
const repeats = process.env.BENCH_REPEATS ?? "3";

const runs = [];
for (const threads of threadCounts) {
  for (const engine of engines) {
    process.stderr.write(`${engine}, ${threads} thread(s), batches ${batches.join(",")} ...\n`);
    const out = execFileSync(
      process.execPath,
      [path.join(here, "worker.mjs"), engine, String(threads), batches.join(","), repeats],
      {
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024,
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    runs.push(JSON.parse(out.trim().split("\n").pop()));
  }
}

const find = (engine, threads) => runs.find((r) => r.engine === engine && r.threads === threads);
const table = [];
for (const threads of threadCounts) {
  for (const batch of batches) {
    const row = { threads, batch, length: 128 };
    for (const engine of engines)
      row[`${engine}Ms`] = Math.round(find(engine, threads).results[batch].medianMs * 10) / 10;
    const ours = find("ours", threads);
    if (ours) {
      row.oursGflops =
        Math.round(forwardFlops(batch, 128, config) / (ours.results[batch].medianMs / 1000) / 1e8) / 10;
      for (const other of engines.filter((e) => e !== "ours")) {
        row[`ours/${other}`] =
          Math.round((ours.results[batch].medianMs / find(other, threads).results[batch].medianMs) * 100) /
          100;
        const a = ours.results[batch].logits;
        const b = find(other, threads).results[batch].logits;
        row[`maxAbsLogitDiffVs${other}`] = Math.max(...a.map((v, i) => Math.abs(v - b[i])));
      }
    }
    table.push(row);
  }
}
const result = {
  benchmark: "DeBERTa-base synthetic checkpoint, sequence classification forward, length 128",
  date: new Date().toISOString(),
  node: process.version,
  cpu: os.cpus()[0]?.model,
  cores: os.cpus().length,
  weightBytes,
  gemm: find("ours", threadCounts[0])?.gemm,
  table,
  load: runs.map((r) => ({
    engine: r.engine,
    threads: r.threads,
    loadMs: Math.round(r.loadMs),
    peakRssBytes: r.peakRssBytes,
    peakRssOverWeights: Math.round((r.peakRssBytes / weightBytes) * 100) / 100,
  })),
  targets: {
    "2 threads, 2x128: ours <= 0.75x onnxruntime-web": table.find((r) => r.threads === 2 && r.batch === 2)?.[
      "ours/ort-web"
    ],
    "2 threads, 2x128: ours <= 3x onnxruntime-node": table.find((r) => r.threads === 2 && r.batch === 2)?.[
      "ours/ort-node"
    ],
    "ours' peak RSS (over batches 1, 2 and 8 in one process) <= 1.5x weight bytes": runs
      .filter((r) => r.engine === "ours")
      .map((r) => Math.round((r.peakRssBytes / weightBytes) * 100) / 100),
  },
};
mkdirSync(path.join(here, "..", "bench-results"), { recursive: true });
writeFileSync(
  path.join(here, "..", "bench-results", "deberta-base.json"),
  `${JSON.stringify(result, null, 2)}\n`,
);
console.table(
  table.map(({ ...r }) => Object.fromEntries(Object.entries(r).filter(([k]) => !k.startsWith("maxAbs")))),
);
console.log(JSON.stringify(result.targets, null, 2));
console.table(result.load);
