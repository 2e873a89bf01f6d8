// The benchmark's parent process, shared by bench/deberta-base.mjs (v1) and bench/deberta-v3-base.mjs (v3):
// the timing processes (one per thread count, every engine interleaved), the memory processes (one per
// engine, alone), the table of medians and ratios, and the JSON under bench-results/. See deberta-base.mjs
// for why the engines share a process and why each timed run waits BENCH_SETTLE_MS first.
import { execFileSync } from "node:child_process";
import { mkdirSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { benchModel } from "./models.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const worker = path.join(here, "worker.mjs");
const round = (x, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

/**
 * Runs the benchmark of `model` (a key of models.mjs) and writes its JSON; returns the result object.
 * - defaults: { configs, threads, engines } where BENCH_CONFIGS / BENCH_THREADS / BENCH_ENGINES are unset.
 * - flops(batch, length): multiply-adds x2 of one forward (ours' GFLOP/s).
 * - diffKey: the table's column prefix for the largest output difference from ours, per other engine.
 * - targets(at, oursMemory): the JSON's `targets`; at(threads, "BxL") is a table row.
 * - maxAbsDiff: where given, the run fails (exit code 1, after writing the JSON) when an engine could not
 *   load or run, or an engine's output differs from ours by that much or more.
 * - anchorSkipped: why the onnxruntime engines cannot run (their graph could not be made); they are left
 *   out, and the JSON and the console say so.
 * - outEnv / outDefault: the environment variable naming the JSON file under bench-results/, its default.
 */
export function runBenchmark({
  model,
  title,
  defaults,
  flops,
  diffKey,
  targets,
  maxAbsDiff,
  anchorSkipped,
  outEnv,
  outDefault,
}) {
  const spec = benchModel(model);
  const weightBytes = statSync(path.join(spec.dir, "model.safetensors")).size;
  const quick = process.env.BENCH_QUICK === "1";
  const configs = process.env.BENCH_CONFIGS ?? (quick ? "1x128" : defaults.configs);
  const threadCounts = (process.env.BENCH_THREADS ?? (quick ? "2" : defaults.threads)).split(",").map(Number);
  let engines = (process.env.BENCH_ENGINES ?? defaults.engines).split(",");
  if (anchorSkipped) {
    const dropped = engines.filter((e) => e.startsWith("ort-"));
    engines = engines.filter((e) => !e.startsWith("ort-"));
    process.stderr.write(
      `\nNO ONNXRUNTIME ANCHOR for ${model}: ${anchorSkipped}\n` +
        `  timing ${engines.join(", ")} alone (left out: ${dropped.join(", ") || "none"}); no ratio, no correctness check\n\n`,
    );
  }
  const rssConfigs = process.env.BENCH_RSS_CONFIGS ?? configs;
  const repeats = process.env.BENCH_REPEATS ?? "3";
  const child = (args) => {
    const out = execFileSync(process.execPath, [worker, ...args], {
      encoding: "utf8",
      maxBuffer: 256 * 1024 * 1024,
      stdio: ["ignore", "pipe", "inherit"],
    });
    return JSON.parse(out.trim().split("\n").pop());
  };

  const timing = [];
  for (const threads of threadCounts) {
    process.stderr.write(`timing ${model}, ${threads} thread(s), one process: ${engines.join(", ")}\n`);
    timing.push(child(["time", model, String(threads), configs, repeats, engines.join(",")]));
  }

  const failures = [];
  const table = [];
  for (const { threads, results } of timing) {
    for (const [engine, r] of Object.entries(results))
      if (r.error) failures.push(`${engine}, ${threads} thread(s): ${r.error}`);
    for (const name of configs.split(",")) {
      const [batch, length] = name.split("x").map(Number);
      const row = { threads, config: name };
      const ms = (engine) => results[engine]?.configs?.[name]?.medianMs;
      for (const engine of engines) row[`${engine}Ms`] = ms(engine) === undefined ? null : round(ms(engine));
      if (ms("ours") !== undefined) {
        row.oursGflops = round(flops(batch, length) / (ms("ours") / 1000) / 1e9);
        for (const other of engines.filter((e) => e !== "ours" && ms(e) !== undefined)) {
          row[`ours/${other}`] = round(ms("ours") / ms(other), 2);
          const c = results[other].configs[name];
          row[`${diffKey}${other}`] = c.maxAbsDiffVsOurs;
          if (maxAbsDiff !== undefined && !(c.maxAbsDiffVsOurs < maxAbsDiff))
            failures.push(
              `${threads} thread(s), ${name}: ours vs ${other}: max |diff| ${c.diffFailure ?? c.maxAbsDiffVsOurs} (limit ${maxAbsDiff})`,
            );
        }
      }
      table.push(row);
    }
  }

  const memory = [];
  const rssThreads = Math.max(...threadCounts);
  for (const engine of rssConfigs === "none" ? [] : engines) {
    process.stderr.write(
      `memory, ${engine} alone in a fresh process (${rssThreads} threads, ${rssConfigs})\n`,
    );
    try {
      const r = child(["rss", model, engine, String(rssThreads), rssConfigs]);
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
      failures.push(`memory process of ${engine}: ${String(error.message).split("\n")[0]}`);
    }
  }

  const at = (threads, name) => table.find((r) => r.threads === threads && r.config === name);
  const result = {
    benchmark: title,
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
            r.error
              ? { error: r.error }
              : { gemm: r.gemm, loadMs: r.loadMs, fallbackReason: r.fallbackReason },
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
    targets: targets(
      at,
      memory.find((m) => m.engine === "ours"),
    ),
  };
  if (maxAbsDiff !== undefined) {
    const compared = engines.some((e) => e !== "ours") && engines.includes("ours");
    result.settleMs = Number(process.env.BENCH_SETTLE_MS ?? 200);
    result.onnxruntimeAnchor = anchorSkipped ? { skipped: anchorSkipped } : { onnx: spec.onnx };
    result.correctness = {
      // What is compared: the model's output, on real tokens where models.mjs says so.
      output: spec.output,
      realTokensOnly: spec.realTokensOnly,
      maxAbsDiffLimit: maxAbsDiff,
      // The scale the differences are read against: the largest |value| of ours' compared output.
      oursMaxAbsOutput: Object.fromEntries(
        timing.flatMap(({ threads, results }) =>
          Object.entries(results.ours?.configs ?? {}).map(([c, v]) => [
            `${threads} thread(s), ${c}`,
            v.maxAbsOutput,
          ]),
        ),
      ),
      ok: failures.length === 0 ? (compared ? true : null) : false,
      ...(compared
        ? {}
        : {
            why: anchorSkipped
              ? `no onnxruntime anchor: ${anchorSkipped}`
              : "no engine beside ours to compare with",
          }),
      failures,
    };
  }
  mkdirSync(path.join(here, "..", "bench-results"), { recursive: true });
  // path.resolve: an absolute name is taken as it is.
  const outFile = path.resolve(here, "..", "bench-results", process.env[outEnv] ?? outDefault);
  writeFileSync(outFile, `${JSON.stringify(result, null, 2)}\n`);
  console.table(
    table.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !k.startsWith("maxAbs")))),
  );
  console.table(memory);
  console.log(JSON.stringify(result.targets, null, 2));
  if (result.correctness) console.log(JSON.stringify({ correctness: result.correctness }, null, 2));
  console.log(`wrote ${path.relative(process.cwd(), outFile)}`);
  if (maxAbsDiff !== undefined && failures.length > 0) {
    console.error(`FAILED (${model}):\n  ${failures.join("\n  ")}`);
    process.exitCode = 1;
  }
  return result;
}
