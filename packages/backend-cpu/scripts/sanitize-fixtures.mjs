#!/usr/bin/env node
// Four fixture checkpoints (two v1, two DeBERTa-v2: log buckets and the convolution layer) on the CPU
// backend's native engine, on every instruction-set path this CPU runs
// (forced one at a time), compared with their float64 references
// (logits 1e-5, hidden states and attentions 1e-4, @deberta/heads/fixture-check). Run by scripts/sanitize.mjs
// in a process with the ASan runtime preloaded and DEBERTA_CPU_NATIVE_PATH pointing at the sanitizer build;
// exits 1 on a failed check. Uses the built packages of this monorepo (`pnpm build` first): @deberta/heads
// depends on this package, so it cannot be a dependency here, and is imported from its dist/ by path.
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const packages = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const load = (pkg, file = "index.js") => import(pathToFileURL(path.join(packages, pkg, "dist", file)).href);
const { createCpuBackend } = await load("backend-cpu");
const { headRegistry } = await load("heads");
const { checkFixture } = await load("heads", "fixture-check.js");
const { readWeightsFile } = await load("hub");
const { loadDebertaConfig } = await load("config");

const fixtures = process.env.DEBERTA_FIXTURES
  ? path.resolve(process.env.DEBERTA_FIXTURES)
  : path.resolve(packages, "../../shared/fixtures");
// v1 names are under models/, v2 ones under deberta-v2/models/.
const names = (
  process.env.SANITIZE_FIXTURES ??
  "base-like/seqcls,span8-types/mlm,deberta-v2/v3-like/ForSequenceClassification,deberta-v2/v2-xlarge-like/ForSequenceClassification"
).split(",");
const dirOf = (name) =>
  name.startsWith("deberta-v2/")
    ? path.join(fixtures, "deberta-v2", "models", name.slice("deberta-v2/".length))
    : path.join(fixtures, "models", name);

// The point of the run: the sanitizer runtime is in this process and the addon is the sanitizer build.
const maps = () => readFileSync("/proc/self/maps", "utf8");
if (!/libasan\.so/.test(maps())) throw new Error("sanitize-fixtures: libasan is not loaded (LD_PRELOAD)");
let failed = 0;
let paths = 0;
for (const isa of ["avx512", "avx2", "portable"]) {
  let backend;
  try {
    backend = await createCpuBackend({ engine: "native", threads: 2, isa });
  } catch (error) {
    console.log(`sanitize-fixtures: ${isa} path skipped: ${error.message}`);
    continue;
  }
  paths++;
  if (!maps().includes("/dist/native-asan/"))
    throw new Error(`sanitize-fixtures: the addon loaded is not dist/native-asan (${backend.engine.name})`);
  try {
    for (const name of names) {
      const dir = dirOf(name);
      const config = await loadDebertaConfig(dir);
      const expected = new Map(await readWeightsFile(path.join(dir, "expected.safetensors")));
      const Head = headRegistry.get(config.architectures[0]);
      const model = await Head.from_pretrained(dir, { backend, config });
      const checks = await checkFixture(model, expected);
      const bad = checks.filter((c) => !c.pass);
      const worst = Math.max(...checks.filter((c) => Number.isFinite(c.tolerance)).map((c) => c.maxError));
      console.log(
        `sanitize-fixtures: ${name} on ${backend.engine.name}: ${checks.length - bad.length}/${checks.length} checks pass (largest error ${worst.toExponential(2)})`,
      );
      for (const c of bad) console.log(`  FAIL ${c.name}: ${c.maxError} > ${c.tolerance}`);
      failed += bad.length;
      model.dispose();
    }
  } finally {
    await backend.close();
  }
}
// The portable path runs everywhere: no path at all means the native engine did not load.
if (paths === 0) throw new Error("sanitize-fixtures: no native instruction-set path could be created");
process.exitCode = failed > 0 ? 1 : 0;
