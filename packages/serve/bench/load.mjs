// pnpm bench (@deberta/serve): autocannon against `deberta serve` (the built runServer, in its own process) on
// 127.0.0.1 with the DeBERTa-base-sized synthetic checkpoint (@deberta/testing/synthetic) on the CPU backend,
// POST /predict with one text per request. Writes bench-results/load.json:
//
// - short texts (10 to 16 tokens), 1, 8 and 64 concurrent clients, with dynamic batching (the defaults) and
//   without it (--max-batch-tokens equal to the longest text; every text is longer than half of it, so a
//   forward holds exactly one): throughput, p50 / p99 latency, the batch-size histogram (from the server's
//   /metrics), tokens/s, peak RSS;
// - long texts (35 to 65 tokens), 64 clients, with and without batching: on the CPU backend a forward of one
//   such sequence is already compute-bound token by token, which is where batching gains least;
// - 10x overload: ten times the largest number of clients against a small queue (--max-queue 64), short
//   texts: the 429s counted, every 200 checked, peak RSS against the idle RSS.
//
// Every 200 of every run is checked against its text's solo answer (sent alone before the load): same labels,
// scores within 1e-5. Environment: BENCH_DURATION_S (per point, default 10), BENCH_CLIENTS ("1,8,64"),
// BENCH_OUT (file under bench-results/, default load.json).
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ensureSynthetic, sharedDir } from "@deberta/testing/synthetic";
import autocannon from "autocannon";
import { AutoTokenizer } from "deberta";

const here = path.dirname(fileURLToPath(import.meta.url));
const serveProcess = path.resolve(here, "../test/serve-process.mjs");
const duration = Number(process.env.BENCH_DURATION_S ?? 10);
const clientCounts = (process.env.BENCH_CLIENTS ?? "1,8,64").split(",").map(Number);
const model = ensureSynthetic();
// The synthetic checkpoint has no tokenizer; the fixtures' (1,200 ids, within the model's 50,265) serves.
const tokenizerDir = path.join(process.env.DEBERTA_FIXTURES ?? path.join(sharedDir, "fixtures"), "tokenizer");
const config = JSON.parse(readFileSync(path.join(model, "config.json"), "utf8"));

const tokenizer = await AutoTokenizer.from_pretrained(tokenizerDir);
const words = [
  "the",
  "soccer",
  "game",
  "men",
  "are",
  "playing",
  "a",
  "sport",
  "in",
  "Berlin",
  "with",
  "friends",
];
/** A text of `target` tokens (special tokens included) or just above. */
function textOf(target, seed) {
  const out = [];
  let i = seed;
  while (tokenizer(out.join(" ")).input_ids.length < target) out.push(words[i++ % words.length]);
  return out.join(" ");
}
const workloads = {
  short: [9, 10, 11, 12, 13, 14, 15, 16].map((n, i) => textOf(n, i * 5)),
  long: [34, 38, 42, 46, 50, 54, 58, 62].map((n, i) => textOf(n, i * 5)),
};
const tokensOf = (texts) => texts.map((t) => tokenizer(t).input_ids.length);

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function startServer(options) {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      serveProcess,
      JSON.stringify({ model, tokenizer: tokenizerDir, port, logger: { level: "warn" }, ...options }),
    ],
    { stdio: ["ignore", "inherit", "inherit"] },
  );
  const url = `http://127.0.0.1:${port}`;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}`);
    const status = await fetch(`${url}/health`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    async stop() {
      child.kill("SIGTERM");
      await new Promise((resolve) => (child.exitCode === null ? child.once("exit", resolve) : resolve()));
    },
  };
}

async function metrics(url) {
  const text = await fetch(`${url}/metrics`).then((r) => r.text());
  const samples = {};
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const space = line.lastIndexOf(" ");
    samples[line.slice(0, space)] = Number(line.slice(space + 1));
  }
  return samples;
}

/** Batches per batch-size bucket ("<=1", "<=2", ...) between two /metrics samples. */
function batchHistogram(before, after) {
  const out = {};
  let previous = 0;
  for (const key of Object.keys(after).filter((k) => k.startsWith("deberta_batch_size_bucket"))) {
    const le = /le="([^"]+)"/.exec(key)[1];
    const cumulative = after[key] - (before[key] ?? 0);
    if (cumulative - previous > 0) out[`<=${le}`] = cumulative - previous;
    previous = cumulative;
  }
  return out;
}

function sameAnswer(actual, expected) {
  if (!Array.isArray(actual) || actual.length !== expected.length) return false;
  return expected.every((e, i) => actual[i].label === e.label && Math.abs(actual[i].score - e.score) <= 1e-5);
}

async function soloAnswers(url, texts) {
  const out = [];
  for (const text of texts) {
    const r = await fetch(`${url}/predict`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ inputs: text }),
    });
    out.push(await r.json());
  }
  return out;
}

/** One autocannon run; every response's status counted and every 200 checked against `solo`. */
async function load(url, texts, connections, solo, seconds = duration) {
  const statuses = {};
  let wrong = 0;
  let peakRss = 0;
  let peakQueue = 0;
  const requests = texts.map((text, i) => ({
    method: "POST",
    path: "/predict",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ inputs: text }),
    onResponse(status, body) {
      statuses[status] = (statuses[status] ?? 0) + 1;
      if (status === 200 && !sameAnswer(JSON.parse(body), solo[i])) wrong++;
    },
  }));
  const before = await metrics(url);
  const sampler = setInterval(() => {
    metrics(url).then(
      (m) => {
        peakRss = Math.max(peakRss, m.process_resident_memory_bytes ?? 0);
        peakQueue = Math.max(peakQueue, m.deberta_queue_depth ?? 0);
      },
      () => {},
    );
  }, 500);
  const result = await autocannon({ url, connections, duration: seconds, requests, timeout: 120 });
  clearInterval(sampler);
  const after = await metrics(url);
  peakRss = Math.max(peakRss, after.process_resident_memory_bytes ?? 0);
  const batches = after.deberta_batch_size_count - (before.deberta_batch_size_count ?? 0);
  const rows = after.deberta_batch_size_sum - (before.deberta_batch_size_sum ?? 0);
  const ok = statuses[200] ?? 0;
  return {
    clients: connections,
    durationS: seconds,
    responses: Object.values(statuses).reduce((a, b) => a + b, 0),
    statuses,
    wrong,
    errors: result.errors,
    timeouts: result.timeouts,
    throughputRps: Math.round((ok / seconds) * 10) / 10,
    latencyMs: { p50: result.latency.p50, p99: result.latency.p99, mean: Math.round(result.latency.mean) },
    batches,
    meanBatchSize: batches > 0 ? Math.round((rows / batches) * 10) / 10 : 0,
    batchSizes: batchHistogram(before, after),
    tokensPerSecond: Math.round(
      ((after.deberta_tokens_total ?? 0) - (before.deberta_tokens_total ?? 0)) / seconds,
    ),
    peakQueueDepth: peakQueue,
    peakRssBytes: peakRss,
  };
}

const points = [];
const solos = {};
for (const [workload, texts] of Object.entries(workloads)) {
  const longest = Math.max(...tokensOf(texts));
  const runs = [
    { batching: "on", options: {} },
    // One sequence per forward: any two texts together exceed the token budget.
    { batching: "off", options: { maxBatchTokens: longest } },
  ];
  const clients = workload === "short" ? clientCounts : [Math.max(...clientCounts)];
  for (const run of runs) {
    process.stderr.write(`${workload} texts, batching ${run.batching} ${JSON.stringify(run.options)}\n`);
    const server = await startServer(run.options);
    try {
      solos[workload] ??= await soloAnswers(server.url, texts);
      // Warm-up: the first forwards of each shape.
      await load(server.url, texts, 8, solos[workload], 2);
      for (const n of clients) {
        process.stderr.write(`  ${n} clients, ${duration} s\n`);
        const point = await load(server.url, texts, n, solos[workload]);
        points.push({ workload, batching: run.batching, ...run.options, ...point });
      }
    } finally {
      await server.stop();
    }
  }
}

const overloadClients = 10 * Math.max(...clientCounts);
process.stderr.write(`overload: ${overloadClients} clients, --max-queue 64\n`);
const overloadServer = await startServer({ maxQueue: 64 });
let overload;
try {
  const idle = await metrics(overloadServer.url);
  overload = {
    maxQueue: 64,
    rssBeforeBytes: idle.process_resident_memory_bytes,
    ...(await load(overloadServer.url, workloads.short, overloadClients, solos.short)),
  };
} finally {
  await overloadServer.stop();
}

const at = (workload, batching, clients) =>
  points.find((p) => p.workload === workload && p.batching === batching && p.clients === clients);
const most = Math.max(...clientCounts);
const speedup = (workload) => {
  const on = at(workload, "on", most);
  const off = at(workload, "off", most);
  return on && off ? Math.round((on.throughputRps / off.throughputRps) * 100) / 100 : null;
};
const result = {
  date: new Date().toISOString(),
  machine: {
    cpu: os.cpus()[0]?.model,
    cores: os.availableParallelism(),
    loadAverage: os.loadavg().map((x) => Math.round(x * 10) / 10),
    node: process.version,
  },
  model: `synthetic DeBERTa-base (${config.num_hidden_layers} layers, hidden ${config.hidden_size}), CPU backend`,
  route: "POST /predict, one text per request",
  textTokens: { short: tokensOf(workloads.short), long: tokensOf(workloads.long) },
  durationS: duration,
  points,
  batchingSpeedupAtMostClients: { short: speedup("short"), long: speedup("long") },
  overload,
};
mkdirSync(path.join(here, "..", "bench-results"), { recursive: true });
const outFile = path.join(here, "..", "bench-results", process.env.BENCH_OUT ?? "load.json");
writeFileSync(outFile, `${JSON.stringify(result, null, 2)}\n`);

const row = (p) =>
  `${p.workload.padEnd(5)} ${p.batching.padEnd(4)} ${String(p.clients).padStart(4)} clients  ${String(p.throughputRps).padStart(7)} req/s  p50 ${String(p.latencyMs.p50).padStart(6)} ms  p99 ${String(p.latencyMs.p99).padStart(6)} ms  mean batch ${p.meanBatchSize}  wrong ${p.wrong}  rss ${Math.round(p.peakRssBytes / 2 ** 20)} MiB`;
process.stderr.write(`${points.map(row).join("\n")}\n`);
process.stderr.write(
  `overload: ${overload.clients} clients: ${JSON.stringify(overload.statuses)}, wrong ${overload.wrong}, peak RSS ${Math.round(overload.peakRssBytes / 2 ** 20)} MiB (idle ${Math.round(overload.rssBeforeBytes / 2 ** 20)} MiB)\n`,
);
process.stderr.write(
  `batching speed-up at ${most} clients: ${JSON.stringify(result.batchingSpeedupAtMostClients)}\nwrote ${outFile}\n`,
);
if (points.some((p) => p.wrong > 0) || overload.wrong > 0) {
  process.stderr.write("some 200 answers differed from the solo answers\n");
  process.exitCode = 1;
}
