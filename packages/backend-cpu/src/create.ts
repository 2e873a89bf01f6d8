import { BackendError, registerBackend } from "@deberta/tensor";
import { CpuBackend } from "./cpu-backend.js";
import { jsGemm } from "./gemm.js";
import type { NativeIsa } from "./native/addon.js";
import { createNativeGemm } from "./native/native-gemm.js";
import { createWasmGemm } from "./wasm-gemm.js";

export type CpuEngineChoice = "auto" | "native" | "wasm" | "js";

export interface CreateCpuBackendOptions {
  /**
   * Threads for the GEMM (native pool or WebAssembly workers). Default: the native pool, the machine's
   * physical cores (Linux; capped by os.availableParallelism()); WebAssembly, the cores available.
   */
  threads?: number;
  /**
   * The matrix-multiply engine. "auto" (default): native (Node, when the addon loads), else WebAssembly
   * SIMD, else plain JavaScript. "native" / "wasm" require that engine (a typed error says why it is
   * unavailable).
   */
  engine?: CpuEngineChoice;
  /** @deprecated Use `engine`; "auto" here means what it meant before the native engine: wasm, else js. */
  gemm?: "auto" | "wasm" | "js";
  /** The native engine's instruction-set path (default: $DEBERTA_CPU_ISA, else the best this CPU runs). */
  isa?: NativeIsa;
}

/**
 * Creates the CPU backend with the fastest GEMM this runtime offers: the native engine in Node (AVX-512,
 * AVX2+FMA or portable, own thread pool), else WebAssembly SIMD (relaxed-SIMD FMA where it validates),
 * multi-threaded over shared memory when SharedArrayBuffer is available; plain JavaScript as the last
 * fallback. `backend.engine` names the engine and, when native is not used, why.
 */
export async function createCpuBackend(options: CreateCpuBackendOptions = {}): Promise<CpuBackend> {
  const choice: CpuEngineChoice = options.engine ?? options.gemm ?? "auto";
  let fallbackReason: string | undefined;
  if (
    options.engine === "auto" ||
    options.engine === "native" ||
    (options.engine === undefined && options.gemm === undefined)
  ) {
    const native = await createNativeGemm({
      ...(options.threads === undefined ? {} : { threads: options.threads }),
      ...(options.isa === undefined ? {} : { isa: options.isa }),
    });
    if (native.gemm !== undefined) return new CpuBackend({ gemm: native.gemm });
    if (choice === "native")
      throw new BackendError(
        "BACKEND_UNAVAILABLE",
        `cpu: the native engine is unavailable: ${native.reason}`,
      );
    fallbackReason = native.reason;
  } else {
    fallbackReason = `engine "${choice}" requested`;
  }
  if (choice !== "js") {
    const gemm = await createWasmGemm(options.threads, choice === "wasm");
    if (gemm !== undefined)
      return new CpuBackend({ gemm, ...(fallbackReason === undefined ? {} : { fallbackReason }) });
    fallbackReason = `${fallbackReason}; no WebAssembly SIMD`;
  }
  return new CpuBackend({ gemm: jsGemm, ...(fallbackReason === undefined ? {} : { fallbackReason }) });
}

/** Registers "cpu" in the backend registry (explicitly: importing this package registers nothing). */
export function registerCpuBackend(options: CreateCpuBackendOptions = {}, priority = 10): void {
  registerBackend("cpu", () => createCpuBackend(options), priority);
}
