// Prepares `.device-cuda/` at the repository root for a GPU machine that has no Node.js and no network: the
// Node binary (xz), one bundle of the checks (bench/gpu/checks.mjs with everything but the addon), the
// addon (dist/native/deberta_cuda.node, built here: it needs no CUDA to build) and the fixture checkpoints
// (xz), within the 64 MiB the device tool carries. Run after `pnpm build`; then, with the device tool:
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
if (!existsSync(addon)) throw new Error(`pack: ${addon} is missing; run pnpm build first (it needs g++)`);
rmSync(out, { recursive: true, force: true });
mkdirSync(stage, { recursive: true });
const sh = (cmd) => execFileSync("sh", ["-c", cmd], { stdio: ["ignore", "inherit", "inherit"] });

sh(`xz -T2 -6 -c "${process.execPath}" > "${path.join(out, "node.xz")}"`);
await build({
  entryPoints: [path.join(here, "checks.mjs"), path.join(here, "bench.mjs")],
  outdir: out,
  outExtension: { ".js": ".mjs" },
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  banner: {
    js: 'import { createRequire as __cr } from "node:module"; const require = __cr(import.meta.url);',
  },
  logLevel: "warning",
});
copyFileSync(addon, path.join(out, "deberta_cuda.node"));
cpSync(path.join(shared, "fixtures", "models"), path.join(stage, "shared", "fixtures", "models"), {
  recursive: true,
});
for (const p of ["tools/make-synthetic-base.mjs", "fixtures/deberta-base-synthetic"])
  cpSync(path.join(shared, p), path.join(stage, "shared", p), { recursive: true, force: false });
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
