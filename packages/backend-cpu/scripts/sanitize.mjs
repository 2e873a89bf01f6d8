#!/usr/bin/env node
// pnpm test:sanitize (CI: .ci/run, after pnpm test). Builds the native addon with AddressSanitizer +
// UndefinedBehaviorSanitizer (scripts/build-native.mjs --sanitize -> dist/native-asan/deberta_cpu.node) and
// runs under it, each in a child process with the ASan runtime preloaded and DEBERTA_CPU_NATIVE_PATH set:
//   1. the native GEMM tests, the native attention / row kernel tests, the program tests (malformed programs,
//      asynchronous runs, close under a waiting download) and the conformance suite's native-engine cases
//      (vitest, `-t native`), each on every instruction-set path this CPU runs;
//   2. four fixture checkpoints (two v1, two DeBERTa-v2) on the native engine against their references, on every path
//      (scripts/sanitize-fixtures.mjs; needs the other packages built: `pnpm build`).
// Any sanitizer report stops the process with a non-zero status, and this script exits 1.
// Needs g++ with its ASan/UBSan runtimes (Debian: g++, or libgcc-12-dev for the runtimes alone).
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { sanitizerEnv } from "./build-native.mjs";

if (process.platform !== "linux") {
  console.error("sanitize: Linux only (the ASan runtime is preloaded with LD_PRELOAD)");
  process.exit(1);
}
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const t0 = performance.now();
const step = (title, cmd, args, env = process.env) => {
  const s = performance.now();
  console.log(`sanitize: ${title}`);
  const r = spawnSync(cmd, args, { cwd: root, env, stdio: "inherit" });
  const secs = ((performance.now() - s) / 1000).toFixed(1);
  if (r.status !== 0) {
    const why = r.signal ? `signal ${r.signal}` : `status ${r.status}`;
    console.error(`sanitize: FAILED: ${title} (${why}, ${secs} s)`);
    process.exit(1);
  }
  console.log(`sanitize: ok: ${title} (${secs} s)`);
};

step("build dist/native-asan/deberta_cpu.node", process.execPath, ["scripts/build-native.mjs", "--sanitize"]);
const env = {
  ...sanitizerEnv(),
  DEBERTA_CPU_NATIVE_PATH: path.join(root, "dist", "native-asan", "deberta_cpu.node"),
};
delete env.DEBERTA_CPU_ISA;
const vitest = path.join(root, "node_modules", "vitest", "vitest.mjs");
step(
  "native GEMM, native kernel and native conformance tests under ASan + UBSan",
  process.execPath,
  [
    vitest,
    "run",
    "--project",
    "default",
    "src/native/native-gemm.test.ts",
    "src/native/native-kernels.test.ts",
    "src/native/program.test.ts",
    "src/conformance.test.ts",
    "-t",
    "native",
  ],
  env,
);
step(
  "fixture checkpoints on the native engine under ASan + UBSan",
  process.execPath,
  ["scripts/sanitize-fixtures.mjs"],
  env,
);
console.log(`sanitize: all passed in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
