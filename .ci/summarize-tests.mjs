// Sums the vitest JSON reports of every workspace package into one closing line ("N passed, N failed"),
// so that a run that executed no test is visible as such.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
let passed = 0;
let failed = 0;
let skipped = 0;
const perPackage = [];
const durations = [];
for (const group of ["packages", "apps", "examples"]) {
  const dir = path.join(root, group);
  if (!existsSync(dir)) continue;
  for (const name of readdirSync(dir)) {
    const report = path.join(dir, name, "test-results", "vitest.json");
    if (!existsSync(report)) continue;
    const r = JSON.parse(readFileSync(report, "utf8"));
    passed += r.numPassedTests;
    failed += r.numFailedTests;
    skipped += r.numPendingTests + r.numTodoTests;
    for (const file of r.testResults ?? []) {
      for (const t of file.assertionResults ?? []) {
        if (typeof t.duration === "number") {
          durations.push({ ms: t.duration, name: `${group}/${name} > ${t.fullName ?? t.title}` });
        }
      }
    }
    perPackage.push(`${group}/${name}: ${r.numPassedTests} passed, ${r.numFailedTests} failed`);
  }
}
// The slowest tests, to see which ones come near their timeouts on a loaded machine.
console.log("Slowest tests:");
for (const t of durations.sort((a, b) => b.ms - a.ms).slice(0, 10)) {
  console.log(`  ${(t.ms / 1000).toFixed(1).padStart(6)} s  ${t.name}`);
}
for (const line of perPackage) console.log(line);
console.log(`Tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
