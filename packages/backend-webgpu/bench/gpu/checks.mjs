// The GPU machine's correctness run, without vitest (the machine gets a bundle, not node_modules): every
// fixture checkpoint through @deberta/heads/fixture-check and the conformance suite, on the WebGPU backend
// in f32, and in f16 too where the adapter has shader-f16. Writes checks.json to
// $DEBERTA_BENCH_OUT; exits 1 when anything fails.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { conformancePlan, runConformanceCase } from "@deberta/tensor/conformance";
import { createWebGpuBackend, findGpu } from "../../dist/index.js";
import { checkCheckpoint, failedChecks, fixtureCheckpoints } from "../../test/fixtures.ts";

const outDir = process.env.DEBERTA_BENCH_OUT;
if (!process.env.DEBERTA_FIXTURES || !outDir) throw new Error("set DEBERTA_FIXTURES and DEBERTA_BENCH_OUT");

const adapter = await (await findGpu()).requestAdapter();
if (adapter === null) throw new Error("no WebGPU adapter");
const report = {
  adapter: { ...(adapter.info.toJSON?.() ?? {}), description: adapter.info.description },
  fixtures: [],
  conformance: {},
};

// f32 with the acceptance tolerances; f16 (where the adapter has shader-f16) with them scaled by 2⁸.
for (const dtype of adapter.features.has("shader-f16") ? ["fp32", "fp16"] : ["fp32"]) {
  const backend = await createWebGpuBackend({ dtype });
  for (const name of fixtureCheckpoints()) {
    const checks = await checkCheckpoint(backend, name, { toleranceScale: dtype === "fp16" ? 256 : 1 });
    const failed = failedChecks(checks);
    report.fixtures.push({ dtype, name, pass: failed.length === 0, failed, checks });
    process.stderr.write(`${dtype} ${name}: ${failed.length === 0 ? "ok" : failed.join("; ")}\n`);
  }
  backend.close();
}

for (const dtype of adapter.features.has("shader-f16") ? ["fp32", "fp16"] : ["fp32"]) {
  const b = await createWebGpuBackend({ dtype });
  const results = [];
  for (const planned of conformancePlan()) {
    const r = await runConformanceCase(b, planned.case, { dtype: dtype === "fp16" ? "float16" : "float32" });
    results.push({ title: planned.title, pass: r.pass, message: r.message });
  }
  b.close();
  report.conformance[dtype] = {
    passed: results.filter((r) => r.pass).length,
    failed: results.filter((r) => !r.pass),
  };
  process.stderr.write(`conformance ${dtype}: ${report.conformance[dtype].passed}/${results.length}\n`);
}

mkdirSync(outDir, { recursive: true });
writeFileSync(path.join(outDir, "checks.json"), `${JSON.stringify(report, null, 2)}\n`);
const ok =
  report.fixtures.every((f) => f.pass) &&
  Object.values(report.conformance).every((c) => c.failed.length === 0);
console.log(
  `fixtures ${report.fixtures.filter((f) => f.pass).length}/${report.fixtures.length}, conformance ${JSON.stringify(Object.fromEntries(Object.entries(report.conformance).map(([k, v]) => [k, v.passed])))}: ${ok ? "all pass" : "FAILURES"}`,
);
process.exit(ok ? 0 : 1);
