// The GPU machine's correctness run, without vitest (the machine gets a bundle, not node_modules): every
// fixture checkpoint through @deberta/heads/fixture-check and the conformance suite, on the WebGPU backend
// in f32, and in f16 too where the adapter has shader-f16. Writes checks.json to
// $DEBERTA_BENCH_OUT; exits 1 when anything fails.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { DebertaConfig } from "@deberta/config";
import { headRegistry } from "@deberta/heads";
import { checkFixture } from "@deberta/heads/fixture-check";
import { readWeightsFile } from "@deberta/hub";
import { conformancePlan, runConformanceCase } from "@deberta/tensor/conformance";
import { createWebGpuBackend, findGpu } from "../../dist/index.js";

const shared = process.env.DEBERTA_SHARED;
const outDir = process.env.DEBERTA_BENCH_OUT;
if (!shared || !outDir) throw new Error("set DEBERTA_SHARED (the shared folder) and DEBERTA_BENCH_OUT");
const models = path.join(shared, "fixtures", "models");

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
  for (const variant of readdirSync(models, { withFileTypes: true }).filter((e) => e.isDirectory())) {
    for (const name of readdirSync(path.join(models, variant.name)).sort()) {
      const dir = path.join(models, variant.name, name);
      const hasWeights =
        existsSync(path.join(dir, "model.safetensors")) || existsSync(path.join(dir, "pytorch_model.bin"));
      if (!hasWeights || !existsSync(path.join(dir, "expected.safetensors"))) continue;
      const config = DebertaConfig.from_json_string(readFileSync(path.join(dir, "config.json"), "utf8"));
      const Head = headRegistry.get(config.architectures?.[0] ?? "DebertaModel");
      const model = await Head.from_pretrained(dir, { backend, config });
      const expected = await readWeightsFile(path.join(dir, "expected.safetensors"));
      const checks = await checkFixture(model, expected, { toleranceScale: dtype === "fp16" ? 256 : 1 });
      model.dispose();
      const failed = checks.filter((c) => !c.pass);
      report.fixtures.push({
        dtype,
        name: `${variant.name}/${name}`,
        pass: failed.length === 0,
        failed,
        checks,
      });
      process.stderr.write(
        `${dtype} ${variant.name}/${name}: ${failed.length === 0 ? "ok" : JSON.stringify(failed)}\n`,
      );
    }
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
