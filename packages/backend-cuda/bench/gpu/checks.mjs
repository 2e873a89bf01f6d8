// The GPU machine's correctness run, without vitest (the machine gets a bundle, not node_modules): the
// bundled `deberta` CLI as a user runs it (the seed's `deberta run ... --device 0`, and `deberta env`), the
// probe (driver, GPUs, cuBLASLt), then for each GEMM path ("cublaslt", "kernel") the conformance suite and
// every fixture checkpoint (v1 and DeBERTa-v2) through @deberta/heads/fixture-check on the CUDA backend in
// float32 and the half types, float16's overflow error on scaled v1 / v2 fixtures, the synthetic
// DeBERTa-base (batch 2 x 128) against the CPU backend's native engine in this process, then the
// out-of-memory check (allocate until the GPU says no; the backend must still work after). Each step is
// caught and recorded; checks.json is rewritten after every step (a crash leaves what was done). Exits 1
// when anything fails, 2 when CUDA is not available (the CLI steps and the synthetic CPU side still run).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { DebertaForSequenceClassification, headRegistry } from "@deberta/heads";
import { fixtureCallInputs } from "@deberta/heads/fixture-check";
import { readWeightsFile, readWeightsFromDir } from "@deberta/hub";
import { Tensor } from "@deberta/tensor";
import { conformancePlan, runConformanceCase } from "@deberta/tensor/conformance";
import { fp16OverflowCases, scaledWeights } from "@deberta/testing";
import { createCpuBackend } from "../../../backend-cpu/dist/index.js";
import { syntheticInput } from "../../../heads/bench/synthetic.mjs";
import { CUDA_DTYPES, createCudaBackend, probeCuda } from "../../dist/index.js";
import {
  checkCheckpoint,
  failedChecks,
  fixtureCheckpoints,
  v2FixtureCheckpoints,
} from "../../test/fixtures.ts";

const outDir = process.env.DEBERTA_BENCH_OUT;
if (!process.env.DEBERTA_FIXTURES || !outDir) throw new Error("set DEBERTA_FIXTURES and DEBERTA_BENCH_OUT");
mkdirSync(outDir, { recursive: true });
const report = {
  startedAt: new Date().toISOString(),
  cli: undefined,
  probe: undefined,
  paths: {},
  synthetic: undefined,
  oom: undefined,
  fp16Overflow: undefined,
  errors: [],
};
const save = () => writeFileSync(path.join(outDir, "checks.json"), `${JSON.stringify(report, null, 2)}\n`);
const log = (line) => process.stderr.write(`${line}\n`);
const message = (e) =>
  e instanceof Error ? `${e.name}${e.code ? ` ${e.code}` : ""}: ${e.message}` : String(e);

// The bundled CLI (DEBERTA_CLI: pack.mjs's deberta-cli.mjs) as a user runs it, each call time-bounded.
const SEED_INPUT =
  '{"text": "A soccer game with multiple males playing.", "text_pair": "Some men are playing a sport."}\n';
function cli(args, input = "") {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [process.env.DEBERTA_CLI, ...args], {
    input,
    encoding: "utf8",
    timeout: Number(process.env.DEBERTA_CLI_TIMEOUT_MS ?? 120_000),
    env: { ...process.env, HF_HUB_OFFLINE: "1" },
  });
  return {
    command: `deberta ${args.join(" ")}`,
    exitCode: r.status,
    ...(r.signal ? { signal: r.signal } : {}),
    ...(r.error ? { error: r.error.message } : {}),
    stdout: r.stdout,
    stderr: r.stderr,
    ms: Math.round(performance.now() - t0),
  };
}
const demoModel = process.env.DEBERTA_DEMO_MODEL;
if (process.env.DEBERTA_CLI && existsSync(process.env.DEBERTA_CLI) && demoModel && existsSync(demoModel)) {
  const args = ["run", "--task", "text-classification", "--model", demoModel, "--device", "0"];
  const run = cli(args, SEED_INPUT);
  let parsed;
  try {
    parsed = JSON.parse(run.stdout.trim().split("\n")[0]);
  } catch {}
  run.pass = run.exitCode === 0 && typeof parsed?.label === "string" && typeof parsed?.score === "number";
  const env = cli(["env"]);
  try {
    env.json = JSON.parse(env.stdout);
    env.cuda = env.json.backends?.cuda;
  } catch {}
  env.pass = env.exitCode === 0 && env.cuda !== undefined;
  report.cli = { run, env };
  log(`cli: ${run.command} -> exit ${run.exitCode}: ${run.stdout.trim()}${run.stderr.trim()}`);
  log(`cli: deberta env -> exit ${env.exitCode}, cuda: ${JSON.stringify(env.cuda)}`);
} else {
  report.cli = { skipped: "DEBERTA_CLI or DEBERTA_DEMO_MODEL not set or missing (run.sh sets them)" };
  log(`cli: ${report.cli.skipped}`);
}
save();

report.probe = await probeCuda();
save();
log(`probe: ${JSON.stringify(report.probe)}`);
const cudaAvailable = report.probe.available;
if (!cudaAvailable) log(`CUDA not available: ${report.probe.reason}`);

const only = process.env.DEBERTA_CUDA_GEMMS?.split(",") ?? ["cublaslt", "kernel"];
// Half storage on the cuBLASLt path: "<gemm>-<dtype>" entries, the fixtures with the dtype's scaled
// tolerances, the conformance suite in float16 with its float16 tolerances (it has none for bfloat16);
// half entries use the backend's default attention (the tensor-core kernel); "-tiled" entries the tiled one.
const halves = (
  process.env.DEBERTA_CUDA_DTYPES?.split(",") ?? ["float16", "bfloat16", "float16-tiled", "bfloat16-tiled"]
).filter(Boolean);
const pathsToRun = [...only, ...halves.map((dtype) => `cublaslt-${dtype}`)];
for (const gemmPath of cudaAvailable ? pathsToRun : []) {
  const [gemm, dtype = "float32", attention] = gemmPath.split("-");
  const entry = {
    created: false,
    conformance: { passed: 0, failed: [] },
    fixtures: [],
    memoryAfter: undefined,
  };
  report.paths[gemmPath] = entry;
  let backend;
  try {
    const t0 = performance.now();
    backend = await createCudaBackend({ gemm, dtype, attention });
    entry.created = true;
    entry.createMs = Math.round(performance.now() - t0);
  } catch (e) {
    entry.error = message(e);
    log(`${gemmPath}: cannot create: ${entry.error}`);
    save();
    continue;
  }
  for (const planned of dtype === "bfloat16" ? [] : conformancePlan()) {
    try {
      const r = await runConformanceCase(
        backend,
        planned.case,
        dtype === "float16" ? { dtype: "float16" } : undefined,
      );
      if (r.pass) entry.conformance.passed += 1;
      else entry.conformance.failed.push({ title: planned.title, message: r.message });
      if (!r.pass) log(`${gemmPath} FAIL ${planned.title}: ${r.message}`);
    } catch (e) {
      entry.conformance.failed.push({ title: planned.title, message: message(e) });
      log(`${gemmPath} ERROR ${planned.title}: ${message(e)}`);
    }
  }
  log(`${gemmPath} conformance: ${entry.conformance.passed}/${conformancePlan().length}`);
  save();
  const checkpoints = [
    ...fixtureCheckpoints().map((name) => ({ name, family: "v1" })),
    ...v2FixtureCheckpoints().map((name) => ({ name: `deberta-v2/${name}`, checkpoint: name, family: "v2" })),
  ];
  for (const { name, checkpoint = name, family } of checkpoints) {
    const t0 = performance.now();
    try {
      const checks = await checkCheckpoint(
        backend,
        checkpoint,
        dtype === "float32" ? {} : { toleranceScale: CUDA_DTYPES[dtype].toleranceScale },
        family,
      );
      const failed = failedChecks(checks);
      entry.fixtures.push({
        name,
        pass: failed.length === 0 && checks.length > 0,
        failed,
        ms: Math.round(performance.now() - t0),
        checks,
      });
      log(`${gemmPath} ${name}: ${failed.length === 0 ? "ok" : failed.join("; ")}`);
    } catch (e) {
      entry.fixtures.push({ name, pass: false, failed: [message(e)] });
      log(`${gemmPath} ${name}: ERROR ${message(e)}`);
    }
    save();
  }
  entry.memoryAfter = backend.memory();
  try {
    await backend.sync();
    entry.deviceMemory = backend.deviceMemory();
  } catch (e) {
    entry.syncError = message(e);
  }
  backend.close();
  save();
}

// Float16 overflow (issue 13): a v1 and a v2 fixture with weights scaled past float16's range (the cases of
// src/fp16-overflow.test.ts, whose CPU float32 side asserts the range is passed) must reject with
// MODEL_FP16_OVERFLOW naming the layer on cuda float16; as they are, they must run with finite logits.
if (cudaAvailable) {
  const cases = fp16OverflowCases();
  const result = { pass: true, cases: [] };
  report.fp16Overflow = result;
  let half;
  try {
    half = await createCudaBackend({ dtype: "float16" });
    for (const c of cases) {
      const expected = await readWeightsFile(path.join(c.dir, "expected.safetensors"));
      const { input_ids, attention_mask } = fixtureCallInputs(expected);
      const inputs = { input_ids, attention_mask };
      const run = async (factors) => {
        const model = await headRegistry.get(c.head).from_pretrained(c.dir, {
          backend: half,
          weights: scaledWeights(await readWeightsFromDir(c.dir), factors),
        });
        try {
          return await model(inputs).then(
            (out) => ({ finite: Array.from(out.logits.data).every(Number.isFinite) }),
            (e) => ({ code: e.code, layer: e.layer, message: message(e) }),
          );
        } finally {
          model.dispose();
        }
      };
      const plain = await run({});
      const entry = { name: c.family, plain, scaled: [] };
      let pass = plain.finite === true;
      for (const { layer, factors } of [c.hidden, c.inner]) {
        const got = await run(factors);
        const ok = got.code === "MODEL_FP16_OVERFLOW" && got.layer === layer;
        entry.scaled.push({ expectedLayer: layer, ...got, pass: ok });
        pass &&= ok;
      }
      entry.pass = pass;
      result.cases.push(entry);
      result.pass &&= pass;
      log(`fp16 overflow ${c.family}: ${pass ? "ok" : JSON.stringify(entry)}`);
      save();
    }
  } catch (e) {
    result.pass = false;
    result.error = message(e);
    log(`fp16 overflow: ERROR ${result.error}`);
  } finally {
    half?.close();
  }
  save();
}

// The synthetic DeBERTa-base (run.sh writes it with ../shared/tools/make-synthetic-base.mjs into
// DEBERTA_SYNTHETIC_DIR): float32 logits of batch 2 x 128 (heads' syntheticInput(2): the second row 100 tokens
// then padding) on cuda, per GEMM path, against the CPU backend's native engine in this process: max abs
// difference within 1e-5 and the same argmax per row.
const SYNTHETIC_TOLERANCE = 1e-5;
async function syntheticLogits(backend, dir, input) {
  const model = await DebertaForSequenceClassification.from_pretrained(dir, { backend });
  const { logits } = await model({
    input_ids: new Tensor("int64", input.ids, input.dims),
    attention_mask: new Tensor("int64", input.mask, input.dims),
  });
  return logits;
}
const argmaxRows = (data, cols) =>
  Array.from({ length: data.length / cols }, (_, r) => {
    const row = Array.from(data.slice(r * cols, (r + 1) * cols));
    return row.indexOf(Math.max(...row));
  });
const syntheticDir = process.env.DEBERTA_SYNTHETIC_DIR;
if (process.env.DEBERTA_CUDA_SKIP_SYNTHETIC === "1")
  report.synthetic = { skipped: "DEBERTA_CUDA_SKIP_SYNTHETIC=1" };
else if (!syntheticDir) report.synthetic = { skipped: "DEBERTA_SYNTHETIC_DIR unset (run.sh sets it)" };
else if (!existsSync(path.join(syntheticDir, "model.safetensors")))
  report.synthetic = {
    error: `no synthetic checkpoint at ${syntheticDir} (see run.log: make-synthetic-base.mjs)`,
  };
else {
  const syn = {
    dir: syntheticDir,
    input: "syntheticInput(2): [2, 128]",
    tolerance: SYNTHETIC_TOLERANCE,
    paths: {},
  };
  report.synthetic = syn;
  const input = syntheticInput(2);
  try {
    const t0 = performance.now();
    const cpu = await createCpuBackend({ engine: "native" });
    syn.cpuEngine = cpu.engine;
    try {
      const logits = await syntheticLogits(cpu, syntheticDir, input);
      syn.dims = logits.dims;
      syn.cpu = Array.from(logits.data);
      syn.cpuArgmax = argmaxRows(logits.data, logits.dims[1]);
      syn.cpuMs = Math.round(performance.now() - t0);
    } finally {
      cpu.close();
    }
    log(`synthetic cpu (${syn.cpuEngine.name}): ${JSON.stringify(syn.cpu)}`);
  } catch (e) {
    syn.cpuError = message(e);
    log(`synthetic cpu: ERROR ${syn.cpuError}`);
  }
  save();
  for (const gemm of only) {
    if (!cudaAvailable) {
      syn.paths[gemm] = { pass: false, skipped: `cuda unavailable: ${report.probe.reason}` };
      continue;
    }
    const entry = {};
    syn.paths[gemm] = entry;
    let backend;
    try {
      const t0 = performance.now();
      backend = await createCudaBackend({ gemm });
      const logits = await syntheticLogits(backend, syntheticDir, input);
      entry.ms = Math.round(performance.now() - t0);
      entry.dims = logits.dims;
      entry.logits = Array.from(logits.data);
      entry.argmax = argmaxRows(logits.data, logits.dims[1]);
      if (syn.cpu !== undefined) {
        entry.maxAbsDiff = Math.max(...entry.logits.map((v, i) => Math.abs(v - syn.cpu[i])));
        entry.argmaxSame = JSON.stringify(entry.argmax) === JSON.stringify(syn.cpuArgmax);
        entry.pass =
          JSON.stringify(entry.dims) === JSON.stringify(syn.dims) &&
          entry.maxAbsDiff <= SYNTHETIC_TOLERANCE &&
          entry.argmaxSame;
      } else entry.pass = false;
      log(
        `synthetic ${gemm}: max abs diff ${entry.maxAbsDiff}, argmax same ${entry.argmaxSame}: ${entry.pass ? "ok" : "FAIL"}`,
      );
    } catch (e) {
      entry.pass = false;
      entry.error = message(e);
      log(`synthetic ${gemm}: ERROR ${entry.error}`);
    } finally {
      backend?.close();
    }
    save();
  }
}
save();

// Out of memory: 8 GiB tensors (gather of one 4 MiB row, 2047 times) until allocation fails; the error must be
// BACKEND_OUT_OF_MEMORY, and after disposing them the backend must still compute.
if (cudaAvailable && process.env.DEBERTA_CUDA_SKIP_OOM !== "1") {
  const oom = { tensors: 0 };
  report.oom = oom;
  let backend;
  try {
    backend = await createCudaBackend({ gemm: "kernel" });
    const width = 2 ** 20;
    const table = backend.upload(new Tensor("float32", new Float32Array(width).fill(1), [1, width]));
    const ids = backend.upload(new Tensor("int32", new Int32Array(2047), [2047]));
    const held = [];
    try {
      for (let i = 0; i < 64; i++) {
        held.push(backend.run("gather", { table, indices: ids }, {}));
        oom.tensors = held.length;
      }
      oom.error = "no out-of-memory error after 64 x 8 GiB";
    } catch (e) {
      oom.code = e.code;
      oom.error = message(e);
    }
    await backend.sync();
    for (const h of held) backend.dispose(h);
    const y = backend.run("affine", { x: table }, { scale: 2, shift: 1 });
    const back = await backend.download(y);
    oom.worksAfter = back.data[0] === 3 && back.data[width - 1] === 3;
    oom.pass = oom.code === "BACKEND_OUT_OF_MEMORY" && oom.worksAfter;
    backend.close();
  } catch (e) {
    oom.pass = false;
    oom.failure = message(e);
  }
  log(`oom: ${JSON.stringify(oom)}`);
  save();
}

report.finishedAt = new Date().toISOString();
save();
const cliLine =
  report.cli.run === undefined
    ? "cli skipped"
    : `cli run --device 0 exit ${report.cli.run.exitCode}, env exit ${report.cli.env.exitCode}`;
const synLine =
  report.synthetic.skipped !== undefined
    ? "synthetic skipped"
    : report.synthetic.error !== undefined
      ? "synthetic FAIL (no checkpoint)"
      : `synthetic cpu ${report.synthetic.cpu === undefined ? "FAIL" : "ok"}, ${Object.entries(
          report.synthetic.paths,
        )
          .map(
            ([gemm, e]) =>
              `${gemm} ${e.skipped !== undefined ? "skipped" : e.pass ? "ok" : "FAIL"}${e.maxAbsDiff === undefined ? "" : ` (max abs diff ${e.maxAbsDiff.toExponential(2)})`}`,
          )
          .join(", ")}`;
if (!cudaAvailable) {
  console.log(`SUMMARY: cuda unavailable (${report.probe.reason}); ${cliLine}; ${synLine}`);
  process.exit(2);
}
const lines = Object.entries(report.paths).map(
  ([gemm, e]) =>
    `${gemm}: ${e.created ? `conformance ${gemm.includes("bfloat16") ? "n/a (no bfloat16 tolerances)" : `${e.conformance.passed}/${conformancePlan().length}`}, fixtures ${e.fixtures.filter((f) => f.pass).length}/${e.fixtures.length}` : `not created (${e.error})`}`,
);
const ok =
  Object.values(report.paths).every(
    (e) =>
      e.created &&
      e.conformance.failed.length === 0 &&
      e.fixtures.length > 0 &&
      e.fixtures.every((f) => f.pass),
  ) &&
  (report.oom === undefined || report.oom.pass === true) &&
  (report.fp16Overflow === undefined || report.fp16Overflow.pass === true) &&
  (report.cli.run === undefined || (report.cli.run.pass && report.cli.env.pass)) &&
  (report.synthetic.skipped !== undefined ||
    (report.synthetic.error === undefined &&
      Object.keys(report.synthetic.paths).length > 0 &&
      Object.values(report.synthetic.paths).every((e) => e.pass)));
console.log(
  `SUMMARY: ${lines.join("; ")}; ${cliLine}; ${synLine}; oom ${report.oom?.pass ?? "skipped"}; fp16 overflow ${report.fp16Overflow?.pass ?? "skipped"}: ${ok ? "ALL PASS" : "FAILURES"}`,
);
process.exit(ok ? 0 : 1);
