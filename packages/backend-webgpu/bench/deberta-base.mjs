// Benchmark: the DeBERTa-base-sized synthetic checkpoint on the WebGPU backend (f32, and f16 where the
// adapter has shader-f16), batch × 128 tokens, next to onnxruntime-node's WebGPU execution provider on the
// same weights (f32 ONNX graph) in the same process. Writes bench-results/deberta-base-webgpu.json (or
// $DEBERTA_BENCH_OUT/deberta-base-webgpu.json), rewritten after every configuration so a run cut short
// still leaves what it measured.
//
//   node bench/deberta-base.mjs                 batches 1,2 on a software adapter, 1,32 on a GPU
//   DEBERTA_BENCH_BATCHES=1,32 DEBERTA_BENCH_RUNS=20 node bench/deberta-base.mjs
//   VK_ICD_FILENAMES=/usr/share/vulkan/icd.d/lvp_icd.json node bench/deberta-base.mjs   (lavapipe: has f16)
//
// Per configuration: one warm-up forward (pipelines compiled, buffers pooled, relative projections cached),
// then N timed forwards (3 on a software adapter, 20 on a GPU; DEBERTA_BENCH_RUNS), each including the
// read-back of the logits. On a software adapter (SwiftShader, lavapipe) the times measure a CPU emulating a
// GPU: they say nothing about GPUs, and nothing here is tuned to them.
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { vulkanEnv } from "@deberta/testing/vulkan-env";
import { ensureSynthetic, syntheticInput } from "./synthetic.mjs";

// Before anything loads a Vulkan driver (Dawn in `webgpu`, and onnxruntime's own Dawn).
Object.assign(process.env, vulkanEnv());
const here = path.dirname(fileURLToPath(import.meta.url));
const { createWebGpuBackend, findGpu } = await import("../dist/index.js");
const { DebertaForSequenceClassification } = await import("@deberta/heads");
const { Tensor } = await import("@deberta/tensor");
const ort = (await import("onnxruntime-node")).default;

const LENGTH = 128;

/**
 * Multiply-adds ×2 of one forward (GEMMs only; relative projections cached). Mirrors forwardFlops in
 * packages/heads/bench/synthetic.mjs (copied, not imported: no imports across packages); keep them equal.
 */
function forwardFlops(batch, length, config) {
  const h = config.hidden_size;
  const i = config.intermediate_size;
  const tokens = batch * length;
  const perLayer = 2 * tokens * h * (3 * h) + 2 * tokens * h * h + 2 * 2 * tokens * h * i;
  const span = Math.min(length, config.max_position_embeddings);
  const attention = 2 * batch * h * length * length * 2 + 2 * 2 * batch * h * length * 2 * span;
  return config.num_hidden_layers * (perLayer + attention) + 2 * batch * h * h;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const round = (x, digits = 1) => (typeof x === "number" ? Number(x.toFixed(digits)) : undefined);
const log = (msg) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
const errorText = (error) => `${error?.code ?? ""} ${error?.message ?? String(error)}`.trim();
const maxAbsDiff = (a, b) => {
  if (!a || !b || a.length !== b.length) return undefined;
  let m = 0;
  for (let k = 0; k < a.length; k++) m = Math.max(m, Math.abs(Number(a[k]) - Number(b[k])));
  return m;
};

// The adapter the backend's createWebGpuBackend() gets (the same request as its requestDevice).
const adapter = await (await findGpu()).requestAdapter({ powerPreference: "high-performance" });
if (adapter === null) {
  log(
    "no WebGPU adapter (in Node, Dawn needs a Vulkan driver: a GPU's, or SwiftShader via VK_ICD_FILENAMES)",
  );
  process.exit(1);
}
const info = adapter.info;
const isFallbackAdapter = info.isFallbackAdapter ?? adapter.isFallbackAdapter ?? null;
const software =
  isFallbackAdapter === true ||
  /swiftshader|software|llvmpipe|lavapipe/i.test(`${info.architecture} ${info.description} ${info.device}`);
const batches = (process.env.DEBERTA_BENCH_BATCHES ?? (software ? "1,2" : "1,32"))
  .split(",")
  .map((s) => Number(s.trim()))
  .filter((n) => Number.isInteger(n) && n > 0);
const runs = Number(process.env.DEBERTA_BENCH_RUNS ?? (software ? 3 : 20));
const dtypes = adapter.features.has("shader-f16") ? ["fp32", "fp16"] : ["fp32"];
log(
  `adapter: ${info.vendor} / ${info.architecture} / ${info.description}` +
    `${software ? " (software)" : ""}; dtypes ${dtypes.join(",")}; batches ${batches.join(",")} x ${LENGTH};` +
    ` 1 warm-up + ${runs} timed forwards each`,
);

const dir = ensureSynthetic();
const config = JSON.parse(readFileSync(path.join(dir, "config.json"), "utf8"));
const weightBytes = statSync(path.join(dir, "model.safetensors")).size;

async function timed(forward, afterWarmUp = () => {}) {
  await forward(); // warm-up
  afterWarmUp();
  const times = [];
  let last;
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    last = await forward(); // includes the read-back of the logits
    times.push(performance.now() - t0);
  }
  return { medianMs: median(times), minMs: Math.min(...times), times, last };
}

const results = [];
const anchor = { engine: "onnxruntime-node 1.30, WebGPU execution provider (its own Dawn), f32 ONNX graph" };
const outDir = process.env.DEBERTA_BENCH_OUT ?? path.join(here, "..", "bench-results");
const outFile = path.join(outDir, "deberta-base-webgpu.json");

function writeReport(complete) {
  const report = {
    benchmark: "DeBERTa-base synthetic checkpoint, sequence classification forward, WebGPU",
    complete,
    date: new Date().toISOString(),
    node: process.version,
    cpu: os.cpus()[0]?.model,
    cores: os.cpus().length,
    vulkanIcd: process.env.VK_DRIVER_FILES ?? process.env.VK_ICD_FILENAMES ?? null,
    adapter: {
      vendor: info.vendor,
      architecture: info.architecture,
      device: info.device,
      description: info.description,
      isFallbackAdapter,
      software,
      subgroupMinSize: info.subgroupMinSize,
      subgroupMaxSize: info.subgroupMaxSize,
      maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
      maxBufferSize: adapter.limits.maxBufferSize,
      features: [...adapter.features].sort(),
    },
    note: software
      ? "Software adapter: a CPU emulating a GPU. These times say nothing about how the backend runs on a GPU; nothing is tuned to software adapters."
      : "Hardware adapter.",
    method: {
      length: LENGTH,
      batches,
      warmUpForwards: 1,
      timedForwards: runs,
      timing:
        "wall clock per forward, logits read back to the CPU included; median and min over the timed forwards",
      gflops:
        "forwardFlops(batch, 128, config) / median time; GEMM flops only, formula mirrors packages/heads/bench/synthetic.mjs",
      statsPerForward: "backend.stats() deltas over the timed forwards, divided by their count",
      peakGpuBytes:
        "backend.memory().peakBytes: peak bytes of live GPU tensors since the backend was created (weights included)",
      fp16: "fp16 rows are compared (time ratio and max |logit diff|) with onnxruntime's f32 graph: the only one there is",
    },
    weightBytes,
    anchor: anchor.engine,
    anchorError: anchor.error,
    onnxruntimeWebgpu: anchor,
    results,
  };
  mkdirSync(outDir, { recursive: true });
  writeFileSync(outFile, `${JSON.stringify(report, (k, v) => (k === "logits" ? undefined : v), 2)}\n`);
}

// The anchor: onnxruntime-node's WebGPU execution provider on the ONNX graph of the same weights.
log("onnxruntime-node webgpu: creating the session ...");
let session;
try {
  const t0 = performance.now();
  session = await ort.InferenceSession.create(path.join(dir, "onnx", "model.onnx"), {
    executionProviders: ["webgpu"],
  });
  anchor.sessionCreateMs = round(performance.now() - t0);
} catch (error) {
  anchor.error = `onnxruntime-node webgpu: ${errorText(error)}`;
  log(anchor.error);
}
anchor.batches = {};
for (const batch of batches) {
  if (session === undefined) break;
  log(`onnxruntime-node webgpu f32, batch ${batch} x ${LENGTH} ...`);
  const input = syntheticInput(batch, LENGTH);
  try {
    const r = await timed(async () => {
      const out = await session.run({
        input_ids: new ort.Tensor("int64", input.ids, input.dims),
        attention_mask: new ort.Tensor("int64", input.mask, input.dims),
      });
      return Float32Array.from(out.logits.data);
    });
    anchor.batches[batch] = {
      medianMs: round(r.medianMs),
      minMs: round(r.minMs),
      runsMs: r.times.map((t) => round(t)),
      gflops: round(forwardFlops(batch, LENGTH, config) / (r.medianMs * 1e6), 2),
      logits: r.last,
    };
    log(`  median ${round(r.medianMs)} ms, min ${round(r.minMs)} ms`);
  } catch (error) {
    anchor.batches[batch] = { error: errorText(error) };
    log(`  failed: ${errorText(error)}`);
  }
  writeReport(false);
}
try {
  await session?.release();
} catch (error) {
  log(`onnxruntime session release: ${errorText(error)}`);
}

for (const dtype of dtypes) {
  let backend;
  let model;
  let loadMs;
  log(`ours webgpu ${dtype}: from_pretrained ...`);
  try {
    backend = await createWebGpuBackend({ dtype });
    const t0 = performance.now();
    model = await DebertaForSequenceClassification.from_pretrained(dir, { backend });
    await backend.sync(); // the weights are on the GPU
    loadMs = performance.now() - t0;
    log(`  loaded in ${round(loadMs)} ms`);
  } catch (error) {
    results.push({ dtype, error: errorText(error) });
    log(`  failed: ${errorText(error)}`);
    try {
      model?.dispose();
      backend?.close();
    } catch {}
    writeReport(false);
    continue;
  }
  for (const batch of batches) {
    log(`ours webgpu ${dtype}, batch ${batch} x ${LENGTH} ...`);
    const input = syntheticInput(batch, LENGTH);
    try {
      let before = backend.stats();
      const r = await timed(
        async () => {
          const { logits } = await model({
            input_ids: new Tensor("int64", input.ids, input.dims),
            attention_mask: new Tensor("int64", input.mask, input.dims),
          });
          return Float32Array.from(logits.data);
        },
        () => {
          before = backend.stats();
        },
      );
      const after = backend.stats();
      const perForward = (k) => round((after[k] - before[k]) / runs, 2);
      const ortRun = anchor.batches?.[batch];
      const row = {
        dtype,
        batch,
        length: LENGTH,
        oursMs: round(r.medianMs),
        oursMinMs: round(r.minMs),
        oursRunsMs: r.times.map((t) => round(t)),
        onnxruntimeWebgpuMs: ortRun?.medianMs,
        onnxruntimeWebgpuMinMs: ortRun?.minMs,
        ratioVsOnnxruntime: ortRun?.medianMs ? round(r.medianMs / ortRun.medianMs, 2) : undefined,
        onnxruntimeError: ortRun?.error ?? (ortRun === undefined ? anchor.error : undefined),
        gflops: round(forwardFlops(batch, LENGTH, config) / (r.medianMs * 1e6), 2),
        maxAbsDiffVsOnnxruntime: maxAbsDiff(r.last, ortRun?.logits),
        submitsPerForward: perForward("submits"),
        dispatchesPerForward: perForward("dispatches"),
        pipelinesCompiledWhileTimed: after.pipelines - before.pipelines,
        loadMs: round(loadMs),
        peakGpuBytes: backend.memory().peakBytes,
        ...(dtype === "fp16" ? { note: "compared with onnxruntime's f32 graph (the only one)" } : {}),
      };
      results.push(row);
      log(
        `  median ${row.oursMs} ms, min ${row.oursMinMs} ms, x${row.ratioVsOnnxruntime ?? "-"} vs onnxruntime,` +
          ` max |diff| ${row.maxAbsDiffVsOnnxruntime?.toExponential(2) ?? "-"}`,
      );
    } catch (error) {
      results.push({ dtype, batch, length: LENGTH, loadMs: round(loadMs), error: errorText(error) });
      log(`  failed: ${errorText(error)}`);
    }
    writeReport(false);
  }
  try {
    model.dispose();
    backend.close();
  } catch (error) {
    log(`close: ${errorText(error)}`);
  }
}

writeReport(true);
const mib = (b) => (typeof b === "number" ? round(b / 2 ** 20) : undefined);
console.log(
  `\nDeBERTa-base synthetic, WebGPU, batch x ${LENGTH}, 1 warm-up + ${runs} timed forwards (logits read back)`,
);
console.log(
  `adapter: ${info.vendor} / ${info.architecture} / ${info.description}` +
    `${software ? "  [SOFTWARE ADAPTER: these times say nothing about GPUs]" : ""}`,
);
if (anchor.error) console.log(anchor.error);
const measured = results.filter((r) => !r.error);
if (measured.length > 0)
  console.table(
    measured.map((r) => ({
      dtype: r.dtype,
      batch: r.batch,
      "ours ms (median)": r.oursMs,
      "ours ms (min)": r.oursMinMs,
      "ort webgpu f32 ms": r.onnxruntimeWebgpuMs ?? "error",
      "ours/ort": r.ratioVsOnnxruntime ?? "-",
      "GFLOP/s": r.gflops,
      "max |diff|": r.maxAbsDiffVsOnnxruntime?.toExponential(1) ?? "-",
      "submits/fwd": r.submitsPerForward,
      "dispatches/fwd": r.dispatchesPerForward,
      "load ms": r.loadMs,
      "peak GPU MiB": mib(r.peakGpuBytes),
    })),
  );
for (const r of results.filter((r) => r.error))
  console.log(`${r.dtype}${r.batch ? ` batch ${r.batch}` : ""}: ${r.error}`);
for (const [batch, r] of Object.entries(anchor.batches ?? {}))
  if (r.error) console.log(`onnxruntime webgpu batch ${batch}: ${r.error}`);
if (results.some((r) => r.dtype === "fp16" && !r.error))
  console.log("fp16 rows: ratio and max |diff| against onnxruntime's f32 graph (the only one there is)");
console.log(`wrote ${outFile}`);
// Dawn's threads can keep the process alive after the devices are destroyed.
process.exit(0);
