#!/usr/bin/env node
// Builds the native GEMM engine (native/*.cc, a Node-API addon, NAPI_VERSION 8) into
// dist/native/deberta_cpu.node with the system C++ compiler ($CXX or g++) and the Node-API headers of the
// `node-api-headers` package (or /usr/include/node). Nothing is downloaded.
//
// Every instruction-set path is compiled from its own file with its own flags, never -march=native:
//   isa_avx512.cc  -mavx512f -mavx2 -mfma    (x86-64 only)
//   isa_avx2.cc    -mavx2 -mfma              (x86-64 only)
//   everything else, isa_portable.cc included: the compiler's baseline (SSE2 on x86-64, NEON on arm64)
// and the addon picks one at load time with cpuid (native/cpu_features.cc).
//
// No compiler (or an unsupported platform): one line saying so, exit 0; the package then runs on
// WebAssembly. Skipped when dist/native/build-hash.txt records the same inputs; --force rebuilds. The
// fresh addon is loaded once in a child process before it replaces the previous one.
//
// --sanitize: the same sources built with AddressSanitizer + UndefinedBehaviorSanitizer (-O1 -g, frame
// pointers kept, any UB report fatal) into dist/native-asan/deberta_cpu.node; the normal addon is left
// alone. Loading it needs the ASan runtime first in the process (LD_PRELOAD=$(g++ -print-file-name=libasan.so));
// scripts/sanitize.mjs builds it and runs the native tests and two fixture checkpoints under it.
import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, realpathSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import os from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const srcDir = join(root, "native");
const sanitize = process.argv.includes("--sanitize");
const outName = sanitize ? "native-asan" : "native";
const outDir = join(root, "dist", outName);
const outFile = join(outDir, "deberta_cpu.node");
const hashFile = join(outDir, "build-hash.txt");
const force = process.argv.includes("--force");
const cxx = process.env.CXX || "g++";
const sanitizeFlags = [
  "-fsanitize=address,undefined",
  "-fno-sanitize-recover=undefined",
  "-fno-omit-frame-pointer",
  "-g",
];

const skip = (why) => {
  if (sanitize) {
    // The sanitizer run is asked for explicitly (CI): no compiler there is an error, not a fallback.
    console.error(`build-native --sanitize: cannot build (${why})`);
    process.exit(1);
  }
  console.log(`build-native: skipped (${why}); the CPU backend will use WebAssembly`);
  process.exit(0);
};

function headersDir() {
  try {
    const pkg = createRequire(import.meta.url).resolve("node-api-headers/package.json");
    const dir = join(dirname(pkg), "include");
    if (existsSync(join(dir, "node_api.h"))) return dir;
  } catch {}
  if (existsSync("/usr/include/node/node_api.h")) return "/usr/include/node";
  return undefined;
}

const perFileFlags = (file) => {
  if (process.arch !== "x64") return [];
  if (file === "isa_avx512.cc") return ["-mavx512f", "-mavx2", "-mfma"];
  if (file === "isa_avx2.cc") return ["-mavx2", "-mfma"];
  return [];
};

function run(cmd, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "inherit", "inherit"] });
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} exited with ${code}`))));
  });
}

/**
 * The environment a process needs to load the sanitizer build: the compiler's ASan runtime preloaded (it
 * must come first in the library list), Node's own exit-time leaks not reported, any report fatal.
 */
export function sanitizerEnv(compiler = cxx, base = process.env) {
  const lib = (name) => execFileSync(compiler, [`-print-file-name=${name}`], { encoding: "utf8" }).trim();
  const asan = lib("libasan.so");
  if (!asan.startsWith("/"))
    throw new Error(`${compiler} has no libasan.so (Debian: apt-get install libgcc-12-dev, or g++)`);
  return {
    ...base,
    LD_PRELOAD: [asan, base.LD_PRELOAD].filter(Boolean).join(" "),
    ASAN_OPTIONS: base.ASAN_OPTIONS ?? "detect_leaks=0:abort_on_error=0:halt_on_error=1",
    UBSAN_OPTIONS: base.UBSAN_OPTIONS ?? "print_stacktrace=1:halt_on_error=1",
  };
}

async function main() {
  if (process.platform !== "linux" && process.platform !== "darwin") skip(`platform ${process.platform}`);
  let version;
  try {
    version = execFileSync(cxx, ["--version"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  } catch {
    skip(`no C++ compiler: ${cxx} not found`);
  }
  const include = headersDir();
  if (include === undefined) skip("no Node-API headers (node-api-headers or /usr/include/node)");

  const files = (await readdir(srcDir)).sort();
  const sources = files.filter((f) => f.endsWith(".cc"));
  const common = [
    "-std=c++17",
    ...(sanitize ? ["-O1", ...sanitizeFlags] : ["-O3"]),
    "-fPIC",
    "-fno-exceptions",
    "-fvisibility=hidden",
    "-DNAPI_VERSION=8",
    "-Wall",
    `-I${include}`,
  ];
  const hasher = createHash("sha256")
    .update(JSON.stringify({ version, common, arch: process.arch, platform: process.platform, files }))
    .update(await readFile(fileURLToPath(import.meta.url)));
  for (const f of files) hasher.update(f).update(await readFile(join(srcDir, f)));
  const hash = hasher.digest("hex").slice(0, 16);
  if (!force && existsSync(outFile)) {
    const previous = await readFile(hashFile, "utf8").catch(() => "");
    if (previous.trim() === hash) {
      console.log(`build-native: dist/${outName}/deberta_cpu.node is up to date (input-hash ${hash})`);
      return;
    }
  }

  const t0 = performance.now();
  const tmp = await mkdtemp(join(os.tmpdir(), "deberta-native-"));
  try {
    const queue = [...sources];
    const jobs = Math.max(1, Math.min(os.availableParallelism?.() ?? 2, queue.length));
    const results = await Promise.allSettled(
      Array.from({ length: jobs }, async () => {
        for (let f = queue.shift(); f !== undefined; f = queue.shift())
          await run(cxx, [...common, ...perFileFlags(f), "-c", join(srcDir, f), "-o", join(tmp, `${f}.o`)]);
      }),
    );
    const failed = results.find((r) => r.status === "rejected");
    if (failed !== undefined) throw failed.reason;
    const linked = join(tmp, "deberta_cpu.node");
    const linkFlags = process.platform === "darwin" ? ["-undefined", "dynamic_lookup"] : [];
    await run(cxx, [
      "-shared",
      "-pthread",
      ...(sanitize ? sanitizeFlags : []),
      ...linkFlags,
      "-o",
      linked,
      ...sources.map((f) => join(tmp, `${f}.o`)),
    ]);
    // Load it once in a child process (a bad binary must not take this build down with it).
    execFileSync(
      process.execPath,
      ["-e", `const a = require(${JSON.stringify(linked)}); console.log(JSON.stringify(a.info()))`],
      { stdio: ["ignore", "pipe", "inherit"], ...(sanitize ? { env: sanitizerEnv(cxx) } : {}) },
    );
    await mkdir(outDir, { recursive: true });
    await rename(linked, outFile).catch(async () => {
      await writeFile(outFile, await readFile(linked));
    });
    await writeFile(hashFile, `${hash}\n`);
    const ms = Math.round(performance.now() - t0);
    console.log(`build-native: wrote dist/${outName}/deberta_cpu.node (${cxx}, ${process.arch}, ${ms} ms)`);
  } catch (error) {
    // A compiler that exists but fails is a real error in this package's sources: report it loudly.
    console.error(`build-native: failed: ${error.message}`);
    process.exitCode = 1;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

// Run as a script (not when scripts/sanitize.mjs imports sanitizerEnv); realpath: a checkout reached through
// a symbolic link gives argv[1] unresolved but import.meta.url resolved.
if (process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url))
  await main();
