// Prepares `.device-cuda/` at the repository root for a GPU machine that has no Node.js and no network: the
// Node binary (xz), one bundle of the checks (bench/gpu/checks.mjs with everything but the addons), one
// bundle of the `deberta` CLI (apps/cli, for the seed's `deberta run --device 0` and `deberta env`), the
// CUDA addon (dist/native/deberta_cuda.node, built here: it needs no CUDA to build), the CPU backend's native
// engine (the synthetic DeBERTa-base check's reference) and, as xz, the fixture checkpoints plus the
// synthetic-base tool and its description (the 531 MiB of weights are written there, not carried), within
// the 64 MiB the device tool carries. Run after `pnpm build`; then, with the device tool:
//   run(command: "bash packages/backend-cuda/bench/gpu/run.sh", carry: [".device-cuda"], timeout_s: 540)
import { execFileSync } from "node:child_process";
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = path.dirname(fileURLToPath(import.meta.url));
const pkg = path.resolve(here, "../..");
const root = path.resolve(pkg, "../..");
const shared = process.env.DEBERTA_SHARED ?? path.resolve(root, "../shared");
const out = path.join(root, ".device-cuda");
const stage = path.join(out, "stage");
const addon = path.join(pkg, "dist", "native", "deberta_cuda.node");
const cpuAddon = path.join(root, "packages", "backend-cpu", "dist", "native", "deberta_cpu.node");
for (const file of [addon, cpuAddon])
  if (!existsSync(file)) throw new Error(`pack: ${file} is missing; run pnpm build first (it needs g++)`);
rmSync(out, { recursive: true, force: true });
mkdirSync(stage, { recursive: true });
const sh = (cmd) => execFileSync("sh", ["-c", cmd], { stdio: ["ignore", "inherit", "inherit"] });

sh(`xz -T2 -6 -c "${process.execPath}" > "${path.join(out, "node.xz")}"`);
for (const [entry, outfile] of [
  [path.join(here, "checks.mjs"), "checks.mjs"],
  [path.join(here, "bench.mjs"), "bench.mjs"],
  [path.join(root, "apps", "cli", "src", "cli.ts"), "deberta-cli.mjs"],
]) {
  await build({
    entryPoints: [entry],
    outfile: path.join(out, outfile),
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    banner: {
      js: 'import { createRequire as __cr } from "node:module"; const require = __cr(import.meta.url);',
    },
    logLevel: "warning",
  });
}
copyFileSync(addon, path.join(out, "deberta_cuda.node"));
copyFileSync(cpuAddon, path.join(out, "deberta_cpu.node"));
for (const part of [
  ["fixtures", "models"],
  ["fixtures", "deberta-base-synthetic"],
  ["tools", "make-synthetic-base.mjs"],
]) {
  cpSync(path.join(shared, ...part), path.join(stage, "shared", ...part), { recursive: true });
}
sh(`tar -C "${stage}" -cf - shared | xz -T2 -6 > "${path.join(out, "shared.tar.xz")}"`);
rmSync(stage, { recursive: true, force: true });

let total = 0;
for (const f of readdirSync(out)) {
  const size = statSync(path.join(out, f)).size;
  total += size;
  console.log(`${f}: ${(size / 2 ** 20).toFixed(1)} MiB`);
}
console.log(
  `.device-cuda: ${(total / 2 ** 20).toFixed(1)} MiB (the device tool carries at most 64 MiB with the tree)`,
);
if (total > 60 * 2 ** 20) {
  console.error("pack: too large for the device tool");
  process.exit(1);
}
