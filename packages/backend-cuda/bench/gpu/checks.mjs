// The GPU machine's correctness run, without vitest (the machine gets a bundle, not node_modules): the probe
// (driver, GPUs, cuBLASLt), then for each GEMM path ("cublaslt", "kernel") the conformance suite and every
// fixture checkpoint through @deberta/heads/fixture-check on the CUDA backend in float32, then the
// out-of-memory check (allocate until the GPU says no; the backend must still work after). Each step is
// caught and recorded; checks.json is rewritten after every step (a crash leaves what was done). Exits 1
// when anything fails.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Tensor } from "@deberta/tensor";
import { conformancePlan, runConformanceCase } from "@deberta/tensor/conformance";
import { createCudaBackend, probeCuda } from "../../dist/index.js";
import { checkCheckpoint, failedChecks, fixtureCheckpoints } from "../../test/fixtures.ts";

const outDir = process.env.DEBERTA_BENCH_OUT;
if (!process.env.DEBERTA_FIXTURES || !outDir) throw new Error("set DEBERTA_FIXTURES and DEBERTA_BENCH_OUT");
mkdirSync(outDir, { recursive: true });
const report = {
  startedAt: new Date().toISOString(),
  probe: undefined,
  paths: {},
  oom: undefined,
  errors: [],
};
const save = () => writeFileSync(path.join(outDir, "checks.json"), `${JSON.stringify(report, null, 2)}\n`);
const log = (line) => process.stderr.write(`${line}\n`);
const message = (e) =>
  e instanceof Error ? `${e.name}${e.code ? ` ${e.code}` : ""}: ${e.message}` : String(e);

report.probe = await probeCuda();
save();
log(`probe: ${JSON.stringify(report.probe)}`);
if (!report.probe.available) {
  log(`CUDA not available: ${report.probe.reason}`);
  console.log(`SUMMARY: cuda unavailable (${report.probe.reason})`);
  process.exit(2);
}

const only = process.env.DEBERTA_CUDA_GEMMS?.split(",") ?? ["cublaslt", "kernel"];
for (const gemm of only) {
  const entry = {
    created: false,
    conformance: { passed: 0, failed: [] },
    fixtures: [],
    memoryAfter: undefined,
  };
  report.paths[gemm] = entry;
  let backend;
  try {
    const t0 = performance.now();
    backend = await createCudaBackend({ gemm });
    entry.created = true;
    entry.createMs = Math.round(performance.now() - t0);
  } catch (e) {
    entry.error = message(e);
    log(`${gemm}: cannot create: ${entry.error}`);
    save();
    continue;
  }
  for (const planned of conformancePlan()) {
    try {
      const r = await runConformanceCase(backend, planned.case);
      if (r.pass) entry.conformance.passed += 1;
      else entry.conformance.failed.push({ title: planned.title, message: r.message });
      if (!r.pass) log(`${gemm} FAIL ${planned.title}: ${r.message}`);
    } catch (e) {
      entry.conformance.failed.push({ title: planned.title, message: message(e) });
      log(`${gemm} ERROR ${planned.title}: ${message(e)}`);
    }
  }
  log(`${gemm} conformance: ${entry.conformance.passed}/${conformancePlan().length}`);
  save();
  for (const name of fixtureCheckpoints()) {
    const t0 = performance.now();
    try {
      const checks = await checkCheckpoint(backend, name);
      const failed = failedChecks(checks);
      entry.fixtures.push({
        name,
        pass: failed.length === 0 && checks.length > 0,
        failed,
        ms: Math.round(performance.now() - t0),
        checks,
      });
      log(`${gemm} ${name}: ${failed.length === 0 ? "ok" : failed.join("; ")}`);
    } catch (e) {
      entry.fixtures.push({ name, pass: false, failed: [message(e)] });
      log(`${gemm} ${name}: ERROR ${message(e)}`);
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

// Out of memory: 8 GiB tensors (gather of one 4 MiB row, 2047 times) until allocation fails; the error must be
// BACKEND_OUT_OF_MEMORY, and after disposing them the backend must still compute.
if (process.env.DEBERTA_CUDA_SKIP_OOM !== "1") {
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
const lines = Object.entries(report.paths).map(
  ([gemm, e]) =>
    `${gemm}: ${e.created ? `conformance ${e.conformance.passed}/${conformancePlan().length}, fixtures ${e.fixtures.filter((f) => f.pass).length}/${e.fixtures.length}` : `not created (${e.error})`}`,
);
const ok =
  Object.values(report.paths).every(
    (e) =>
      e.created &&
      e.conformance.failed.length === 0 &&
      e.fixtures.length > 0 &&
      e.fixtures.every((f) => f.pass),
  ) &&
  (report.oom === undefined || report.oom.pass === true);
console.log(
  `SUMMARY: ${lines.join("; ")}; oom ${report.oom?.pass ?? "skipped"}: ${ok ? "ALL PASS" : "FAILURES"}`,
);
process.exit(ok ? 0 : 1);
