// Loading the native GEMM addon (dist/native/deberta_cpu.node, built by scripts/build-native.mjs from
// native/*.cc). Node only, and never through a literal import: browser bundlers must not see it (the module
// and node:module are reached through variable specifiers, as src/wasm/worker-pool.ts does for its
// built-ins). Every failure (not Node, file missing, wrong architecture, missing symbol) becomes a reason
// string, never an exception: the backend then runs on WebAssembly and reports why.
import { BackendError, type BackendErrorCode } from "@deberta/tensor";

/** Opaque handles owned by the addon (Node-API externals). */
export type NativeEngineHandle = { readonly __nativeEngine: unique symbol };
export type NativePackedHandle = { readonly __nativePacked: unique symbol };

export type NativeIsa = "avx512" | "avx2" | "portable";

/** The addon's exports (native/binding.cc). Calls return a status code (0: ok) or a handle. */
export interface NativeAddon {
  info(): { compiled: NativeIsa[]; supported: NativeIsa[]; best: NativeIsa };
  createEngine(isa: string, threads: number): NativeEngineHandle | number;
  engineInfo(engine: NativeEngineHandle): {
    isa: NativeIsa;
    mr: number;
    nr: number;
    kc: number;
    mc: number;
    threads: number;
  };
  destroyEngine(engine: NativeEngineHandle): number;
  matmul(
    engine: NativeEngineHandle,
    a: Float32Array,
    aOffset: number,
    b: Float32Array,
    bOffset: number,
    c: Float32Array,
    cOffset: number,
    m: number,
    n: number,
    k: number,
    transposeB: boolean,
  ): number;
  packWeight(
    engine: NativeEngineHandle,
    w: Float32Array,
    wOffset: number,
    n: number,
    k: number,
  ): NativePackedHandle | number;
  packedBytes(packed: NativePackedHandle): number;
  freePacked(packed: NativePackedHandle): number;
  matmulPacked(
    engine: NativeEngineHandle,
    packed: NativePackedHandle,
    a: Float32Array,
    aOffset: number,
    c: Float32Array,
    cOffset: number,
    m: number,
    bias: Float32Array | null,
    activation: number,
  ): number;
  /**
   * Runs a recorded program (src/native/program.ts): synchronously (returns 0, or status + 16 × the failing
   * command's index), or, with `async`, on a libuv worker thread (a Promise of that number). A program
   * that fails its checks returns the number at once, even with `async`.
   */
  runProgram(
    engine: NativeEngineHandle,
    buffers: readonly (Float32Array | Int32Array)[],
    packed: readonly NativePackedHandle[],
    code: Float64Array,
    async: boolean,
  ): number | Promise<number>;
}

/** The addon's status codes (native/engine.h, Status) and the typed error each becomes. */
export const NATIVE_STATUS: Record<number, { code: BackendErrorCode; what: string }> = {
  1: { code: "BACKEND_DTYPE", what: "an argument of the wrong type (expected Float32Array / integer)" },
  2: { code: "BACKEND_SHAPE", what: "a dimension, offset or length that does not fit the arrays" },
  3: { code: "BACKEND_OUT_OF_MEMORY", what: "native allocation failed" },
  4: { code: "BACKEND_UNAVAILABLE", what: "instruction-set path not supported by this CPU" },
  5: { code: "BACKEND_DISPOSED", what: "engine or packed weight already disposed" },
};

/** The typed error for a non-zero status from an addon call made by `op`. */
export function nativeStatusError(op: string, status: number): BackendError {
  const known = NATIVE_STATUS[status];
  return new BackendError(
    known?.code ?? "BACKEND_UNAVAILABLE",
    `cpu native ${op}: ${known?.what ?? `unknown native status ${status}`}`,
    { op },
  );
}

/** Throws the typed error for a non-zero status from an addon call made by `op`. */
export function checkStatus(op: string, status: number): void {
  if (status !== 0) throw nativeStatusError(op, status);
}

export type AddonLoad = { addon: NativeAddon; path: string } | { addon?: undefined; reason: string };

const ADDON_FILE = "deberta_cpu.node";
const EXPORTS: (keyof NativeAddon)[] = [
  "info",
  "createEngine",
  "engineInfo",
  "destroyEngine",
  "matmul",
  "packWeight",
  "packedBytes",
  "freePacked",
  "matmulPacked",
  "runProgram",
];

/** A Node built-in through a variable specifier (browser bundlers neither resolve nor polyfill it). */
export function importNodeBuiltin<T>(specifier: string): Promise<T> {
  return import(/* webpackIgnore: true */ /* @vite-ignore */ specifier) as Promise<T>;
}

/** Where the addon may be: next to the bundle (dist/native/), or, running from src/, the package's dist/. */
function candidatePaths(): string[] {
  const override = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env
    ?.DEBERTA_CPU_NATIVE_PATH;
  if (override !== undefined && override !== "") return [override];
  const here = (import.meta as { url?: string }).url;
  if (typeof here === "string" && here.startsWith("file:")) {
    return [new URL(`./native/${ADDON_FILE}`, here), new URL(`../../dist/native/${ADDON_FILE}`, here)].map(
      (u) => decodeURIComponent(u.pathname),
    );
  }
  if (typeof __dirname === "string") return [`${__dirname}/native/${ADDON_FILE}`];
  return [];
}

const loads = new Map<string, Promise<AddonLoad>>();

/**
 * Loads the addon once per process and path (a Node-API module cannot be unloaded anyway); the path is
 * $DEBERTA_CPU_NATIVE_PATH when set (tests point it at bad files), else the package's own.
 */
export function loadNativeAddon(): Promise<AddonLoad> {
  const paths = candidatePaths();
  const key = paths.join("\n");
  let load = loads.get(key);
  if (load === undefined) {
    load = loadFrom(paths);
    loads.set(key, load);
  }
  return load;
}

async function loadFrom(paths: string[]): Promise<AddonLoad> {
  const proc = (globalThis as { process?: { versions?: { node?: string } } }).process;
  if (typeof proc?.versions?.node !== "string") return { reason: "not running in Node (no Node-API)" };
  if (proc.versions.node.split(".").map(Number)[0]! < 16)
    return { reason: `Node ${proc.versions.node} lacks Node-API 8` };
  let require: (id: string) => unknown;
  let exists: (path: string) => boolean;
  try {
    const { createRequire } = await importNodeBuiltin<typeof import("node:module")>("node:module");
    const { existsSync } = await importNodeBuiltin<typeof import("node:fs")>("node:fs");
    const here = (import.meta as { url?: string }).url;
    require = createRequire(typeof here === "string" && here !== "" ? here : `${__dirname}/index.cjs`);
    exists = existsSync;
  } catch (error) {
    return { reason: `cannot load Node built-ins: ${(error as Error).message}` };
  }
  const path = paths.find((p) => exists(p));
  if (path === undefined)
    return {
      reason: `native addon not built (no ${paths[0] ?? ADDON_FILE}; a C++ compiler is needed at build time)`,
    };
  try {
    const addon = require(path) as Partial<NativeAddon>;
    const missing = EXPORTS.filter((name) => typeof addon[name] !== "function");
    if (missing.length > 0) return { reason: `native addon ${path} lacks ${missing.join(", ")}` };
    return { addon: addon as NativeAddon, path };
  } catch (error) {
    return { reason: `native addon ${path} failed to load: ${(error as Error).message.split("\n")[0]}` };
  }
}
