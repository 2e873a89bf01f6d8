// The CUDA addon (dist/native/deberta_cuda.node, built by scripts/build-native.mjs from native/*.cc): its
// typed surface and its loading. Node only, never through a literal import (bundlers must not see it).
// Every failure to load (not Node, not built, wrong binary) becomes a reason string, never an exception.

/** Opaque handles owned by the addon (Node-API externals). */
export type ContextHandle = { readonly __cudaContext: unique symbol };
export type ModuleHandle = { readonly __cudaModule: unique symbol };
export type FunctionHandle = { readonly __cudaFunction: unique symbol };

export interface DeviceProbe {
  name: string;
  major: number;
  minor: number;
  multiprocessors: number;
  memoryPools: number;
  totalMemory: number;
}

export type ProbeResult =
  | {
      ok: true;
      driverPath: string;
      driverVersion: number;
      poolFunctions: number;
      graphFunctions: number;
      devices: DeviceProbe[];
    }
  | { ok: false; stage: "dlopen" | "cuInit" | "cuDeviceGetCount"; code: number; reason: string };

export type BlasLtLoad = { ok: true; path: string; version: number } | { ok: false; reason: string };

/** The addon's exports (native/binding.cc). Status numbers: 0 ok, a CUresult, or a STATUS_* below. */
export interface CudaAddon {
  info(): { napiVersion: number; driverLoaded: number };
  probe(libcudaCandidates: readonly string[]): ProbeResult;
  describe(code: number): string;
  loadBlasLt(candidates: readonly string[]): BlasLtLoad;
  createContext(ordinal: number): ContextHandle | number;
  closeContext(ctx: ContextHandle): number;
  loadModule(ctx: ContextHandle, ptx: string): ModuleHandle | number | { code: number; log: string };
  getFunction(module: ModuleHandle, name: string): FunctionHandle | number;
  /** A device pointer (> 0), or minus the CUresult. */
  alloc(ctx: ContextHandle, bytes: number): number;
  free(ctx: ContextHandle, ptr: number): number;
  upload(ctx: ContextHandle, dst: number, data: ArrayBufferView): number;
  memsetD32(ctx: ContextHandle, ptr: number, value: number, count: number): number;
  copyDtoD(ctx: ContextHandle, dst: number, src: number, bytes: number): number;
  launch(
    ctx: ContextHandle,
    fn: FunctionHandle,
    gx: number,
    gy: number,
    gz: number,
    bx: number,
    by: number,
    bz: number,
    sharedBytes: number,
    params: Uint8Array,
  ): number;
  memInfo(ctx: ContextHandle): { free: number; total: number } | number;
  blasLtMatmul(
    ctx: ContextHandle,
    transa: number,
    transb: number,
    m: number,
    n: number,
    k: number,
    a: number,
    lda: number,
    strideA: number,
    b: number,
    ldb: number,
    strideB: number,
    d: number,
    ldd: number,
    strideD: number,
    batch: number,
    bias: number,
    /** CUDA_R_32F (0), CUDA_R_16F (2) or CUDA_R_16BF (14): A, B, C, D and bias. */
    dataType: number,
    /** CUBLAS_COMPUTE_32F (68) or CUBLAS_COMPUTE_32F_FAST_TF32 (77). */
    computeType: number,
  ): number;
  /** The index command lists name `fn` by (the same index for the same function), or minus a status. */
  registerFunction(ctx: ContextHandle, fn: FunctionHandle): number;
  /**
   * Issues a command list (src/commands.ts) in one call: mode 0 directly, 1 captured into a CUDA graph
   * stored under `graphId` and launched, 2 the graph stored under `graphId` launched (the commands are not
   * read). A status; a failed capture or replay has enqueued nothing.
   */
  submit(ctx: ContextHandle, commands: Uint8Array, mode: number, graphId: number): number;
  /** The index of the command a failed submit stopped at. */
  lastFailedCommand(ctx: ContextHandle): number;
  destroyGraph(ctx: ContextHandle, graphId: number): number;
  /** 1 when the driver has the CUDA graph entry points (stream capture, instantiate, launch). */
  graphsAvailable(): number;
  /** Resolves with the bytes once the copy is done (waited for on a worker thread); rejects with `cuResult`. */
  download(ctx: ContextHandle, ptr: number, bytes: number): Promise<ArrayBuffer>;
  sync(ctx: ContextHandle): Promise<void>;
}

export const STATUS_BLASLT_BASE = 100000;
export const STATUS_BLASLT_MISSING = 99001;
export const STATUS_NO_ALGORITHM = 99002;
export const STATUS_CLOSED = 99003;
export const STATUS_BAD_TYPE = 99004;
export const STATUS_BAD_COMMANDS = 99005;
export const STATUS_NO_GRAPHS = 99006;
export const STATUS_NO_GRAPH = 99007;

export type AddonLoad = { addon: CudaAddon; path: string } | { addon?: undefined; reason: string };

const ADDON_FILE = "deberta_cuda.node";
const EXPORTS: (keyof CudaAddon)[] = [
  "info",
  "probe",
  "describe",
  "loadBlasLt",
  "createContext",
  "closeContext",
  "loadModule",
  "getFunction",
  "alloc",
  "free",
  "upload",
  "memsetD32",
  "copyDtoD",
  "launch",
  "memInfo",
  "blasLtMatmul",
  "download",
  "sync",
  "registerFunction",
  "submit",
  "lastFailedCommand",
  "destroyGraph",
  "graphsAvailable",
];

/** A Node built-in through a variable specifier (browser bundlers neither resolve nor polyfill it). */
export function importNodeBuiltin<T>(specifier: string): Promise<T> {
  return import(/* webpackIgnore: true */ /* @vite-ignore */ specifier) as Promise<T>;
}

/** Where the addon may be: next to the bundle (dist/native/), or, running from src/, the package's dist/. */
function candidatePaths(): string[] {
  const override = process.env.DEBERTA_CUDA_NATIVE_PATH;
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

/** Loads the addon once per process and path ($DEBERTA_CUDA_NATIVE_PATH when set, else the package's own). */
export function loadCudaAddon(): Promise<AddonLoad> {
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
  if (typeof process?.versions?.node !== "string") return { reason: "not running in Node (no Node-API)" };
  if (process.platform !== "linux")
    return { reason: `platform ${process.platform}: the CUDA backend is for Linux` };
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
      reason: `native addon not built (no ${paths[0] ?? ADDON_FILE}; a C++ compiler is needed when the package is built)`,
    };
  try {
    const addon = require(path) as Partial<CudaAddon>;
    const missing = EXPORTS.filter((name) => typeof addon[name] !== "function");
    if (missing.length > 0) return { reason: `native addon ${path} lacks ${missing.join(", ")}` };
    return { addon: addon as CudaAddon, path };
  } catch (error) {
    return { reason: `native addon ${path} failed to load: ${(error as Error).message.split("\n")[0]}` };
  }
}
