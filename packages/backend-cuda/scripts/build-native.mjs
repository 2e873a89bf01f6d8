#!/usr/bin/env node
// Builds the CUDA backend's Node-API addon (native/*.cc, NAPI_VERSION 8, C++17, -fno-exceptions) into
// dist/native/deberta_cuda.node with the system C++ compiler ($CXX or g++) and the Node-API headers of the
// `node-api-headers` package (or /usr/include/node). No CUDA header or library is needed: the addon
// declares the driver-API / cuBLASLt subset it uses (native/cuda_api.h) and dlopen()s libcuda.so.1 and
// cuBLASLt at run time. Where CUDA's cuda.h exists ($CUDA_HOME, $CUDA_PATH, /usr/local/cuda), the
// declared values are checked against it (native/check_api.cc, syntax only). Nothing is downloaded, and
// no -march flag is used (the addon has no hot CPU loops).
//
// No compiler (or not Linux): one line saying so, exit 0; createCudaBackend() then rejects with the
// reason. Skipped when dist/native/build-hash.txt records the same inputs; --force rebuilds. The fresh
// addon is loaded once in a child process before it replaces the previous one.
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
const outDir = join(root, "dist", "native");
const outFile = join(outDir, "deberta_cuda.node");
const hashFile = join(outDir, "build-hash.txt");
const force = process.argv.includes("--force");
const cxx = process.env.CXX || "g++";

const skip = (why) => {
  console.log(`build-native: skipped (${why}); the CUDA backend will report that it is not built`);
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

function cudaInclude() {
  for (const base of [process.env.CUDA_HOME, process.env.CUDA_PATH, "/usr/local/cuda"]) {
    if (base && existsSync(join(base, "include", "cuda.h"))) return join(base, "include");
  }
  return undefined;
}

function run(cmd, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "inherit", "inherit"] });
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} exited with ${code}`))));
  });
}

async function main() {
  if (process.platform !== "linux") skip(`platform ${process.platform} (the CUDA backend is for Linux)`);
  let version;
  try {
    version = execFileSync(cxx, ["--version"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  } catch {
    skip(`no C++ compiler: ${cxx} not found`);
  }
  const include = headersDir();
  if (include === undefined) skip("no Node-API headers (node-api-headers or /usr/include/node)");

  const files = (await readdir(srcDir)).sort();
  const sources = files.filter((f) => f.endsWith(".cc") && f !== "check_api.cc");
  const common = [
    "-std=c++17",
    "-O2",
    "-fPIC",
    "-fno-exceptions",
    "-fvisibility=hidden",
    "-DNAPI_VERSION=8",
    "-Wall",
    `-I${include}`,
  ];
  const cuda = cudaInclude();
  const hasher = createHash("sha256")
    .update(JSON.stringify({ version, common, arch: process.arch, files, cuda: cuda !== undefined }))
    .update(await readFile(fileURLToPath(import.meta.url)));
  for (const f of files) hasher.update(f).update(await readFile(join(srcDir, f)));
  const hash = hasher.digest("hex").slice(0, 16);
  if (!force && existsSync(outFile)) {
    const previous = await readFile(hashFile, "utf8").catch(() => "");
    if (previous.trim() === hash) {
      console.log(`build-native: dist/native/deberta_cuda.node is up to date (input-hash ${hash})`);
      return;
    }
  }

  const t0 = performance.now();
  const tmp = await mkdtemp(join(os.tmpdir(), "deberta-cuda-native-"));
  try {
    if (cuda !== undefined) {
      // The declared driver-API values against CUDA's own header (syntax only; nothing is linked).
      await run(cxx, ["-std=c++17", "-fsyntax-only", `-I${cuda}`, join(srcDir, "check_api.cc")]);
    }
    const queue = [...sources];
    const jobs = Math.max(1, Math.min(os.availableParallelism?.() ?? 2, queue.length));
    const results = await Promise.allSettled(
      Array.from({ length: jobs }, async () => {
        for (let f = queue.shift(); f !== undefined; f = queue.shift())
          await run(cxx, [...common, "-c", join(srcDir, f), "-o", join(tmp, `${f}.o`)]);
      }),
    );
    const failed = results.find((r) => r.status === "rejected");
    if (failed !== undefined) throw failed.reason;
    const linked = join(tmp, "deberta_cuda.node");
    await run(cxx, ["-shared", "-pthread", "-o", linked, ...sources.map((f) => join(tmp, `${f}.o`)), "-ldl"]);
    // Load it once in a child process (a bad binary must not take this build down with it).
    execFileSync(
      process.execPath,
      ["-e", `const a = require(${JSON.stringify(linked)}); console.log(JSON.stringify(a.info()))`],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    await mkdir(outDir, { recursive: true });
    await rename(linked, outFile).catch(async () => {
      await writeFile(outFile, await readFile(linked));
    });
    await writeFile(hashFile, `${hash}\n`);
    const ms = Math.round(performance.now() - t0);
    console.log(
      `build-native: wrote dist/native/deberta_cuda.node (${cxx}, ${ms} ms${cuda ? `; declarations checked against ${cuda}/cuda.h` : ""})`,
    );
  } catch (error) {
    console.error(`build-native: failed: ${error.message}`);
    process.exitCode = 1;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url))
  await main();
