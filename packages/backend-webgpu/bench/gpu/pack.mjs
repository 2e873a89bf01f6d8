// Prepares `.device/` at the repository root for a GPU machine that has no Node.js and no network: the
// Node binary, one bundle each for the checks and the benchmark, the two native packages they load
// (webgpu = Dawn, onnxruntime-node = the anchor; linux-x64 files only) and the fixtures, all xz-compressed
// to fit the 64 MiB the device tool carries. Run after `pnpm build`; then, with the device tool:
//   run(command: "bash packages/backend-webgpu/bench/gpu/run.sh", carry: [".device", ".gl"])
// (`.gl`: the Vulkan loader .debs, see run.sh).
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, realpathSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = path.dirname(fileURLToPath(import.meta.url));
const pkg = path.resolve(here, "../..");
const root = path.resolve(pkg, "../..");
const shared = process.env.DEBERTA_SHARED ?? path.resolve(root, "../shared");
const out = path.join(root, ".device");
const stage = path.join(out, "stage");
rmSync(out, { recursive: true, force: true });
mkdirSync(stage, { recursive: true });
const xz = (src, dest) => execFileSync("sh", ["-c", `xz -T2 -6 -c "${src}" > "${dest}"`]);
const tarXz = (cwd, entries, dest) =>
  execFileSync("sh", [
    "-c",
    `tar -C "${cwd}" -cf - ${entries.map((e) => `"${e}"`).join(" ")} | xz -T2 -6 > "${dest}"`,
  ]);

xz(process.execPath, path.join(out, "node.xz"));

for (const [entry, name] of [
  [path.join(here, "checks.mjs"), "checks.mjs"],
  [path.join(pkg, "bench", "deberta-base.mjs"), "bench.mjs"],
]) {
  await build({
    entryPoints: [entry],
    outfile: path.join(out, name),
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    external: ["webgpu", "onnxruntime-node"],
    // Bundled CommonJS dependencies call require(); give the ESM bundle one.
    banner: {
      js: 'import { createRequire as __cr } from "node:module"; const require = __cr(import.meta.url);',
    },
    logLevel: "warning",
  });
}

// The native packages, as node_modules/<name>, with only the linux-x64 binaries. Found as Node finds them
// (node_modules folders upward from the importer); their package.json is not always exported.
const findPackage = (name, from) => {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, "node_modules", name);
    if (existsSync(path.join(candidate, "package.json"))) return realpathSync(candidate);
    if (path.dirname(dir) === dir) throw new Error(`pack: ${name} is not installed above ${from}`);
  }
};
const modules = path.join(stage, "node_modules");
const copyPackage = (name, from, keep) => {
  const dir = findPackage(name, from);
  cpSync(dir, path.join(modules, name), { recursive: true, dereference: true, filter: keep });
  return dir;
};
copyPackage("webgpu", pkg, (src) => !/[\\/]dist[\\/](darwin|win32|linux-arm64)/.test(src));
const ortDir = copyPackage(
  "onnxruntime-node",
  pkg,
  (src) => !/[\\/]bin[\\/]napi-v\d+[\\/](darwin|win32|linux[\\/]arm64)/.test(src),
);
copyPackage("onnxruntime-common", ortDir, () => true);
tarXz(stage, ["node_modules"], path.join(out, "node_modules.tar.xz"));

// The fixtures the checks and the benchmark read (the synthetic checkpoint is generated there).
const fixtures = path.join(stage, "shared");
cpSync(path.join(shared, "fixtures", "models"), path.join(fixtures, "fixtures", "models"), {
  recursive: true,
});
cpSync(
  path.join(shared, "fixtures", "deberta-base-synthetic"),
  path.join(fixtures, "fixtures", "deberta-base-synthetic"),
  {
    recursive: true,
  },
);
cpSync(path.join(shared, "tools"), path.join(fixtures, "tools"), { recursive: true });
tarXz(stage, ["shared"], path.join(out, "shared.tar.xz"));
rmSync(stage, { recursive: true, force: true });

let total = 0;
for (const f of readdirSync(out)) {
  const size = statSync(path.join(out, f)).size;
  total += size;
  console.log(`${f}: ${(size / 2 ** 20).toFixed(1)} MiB`);
}
console.log(
  `.device: ${(total / 2 ** 20).toFixed(1)} MiB (the device tool carries at most 64 MiB with the tree)`,
);
