import { registerBackend } from "@deberta/tensor";
import { CpuBackend } from "./cpu-backend.js";
import { jsGemm } from "./gemm.js";
import { createWasmGemm } from "./wasm-gemm.js";

export interface CreateCpuBackendOptions {
  /** Worker threads for the WebAssembly GEMM (default: the cores available). */
  threads?: number;
  /** "auto" (default): WebAssembly SIMD when the engine validates it, else plain JavaScript. */
  gemm?: "auto" | "wasm" | "js";
}

/**
 * Creates the CPU backend with the fastest GEMM this runtime offers: WebAssembly SIMD (relaxed-SIMD FMA
 * where it validates), multi-threaded over shared memory when SharedArrayBuffer is available; plain
 * JavaScript as the last fallback.
 */
export async function createCpuBackend(options: CreateCpuBackendOptions = {}): Promise<CpuBackend> {
  const choice = options.gemm ?? "auto";
  if (choice !== "js") {
    const gemm = await createWasmGemm(options.threads, choice === "wasm");
    if (gemm !== undefined) return new CpuBackend({ gemm });
  }
  return new CpuBackend({ gemm: jsGemm });
}

/** Registers "cpu" in the backend registry (explicitly: importing this package registers nothing). */
export function registerCpuBackend(options: CreateCpuBackendOptions = {}, priority = 10): void {
  registerBackend("cpu", () => createCpuBackend(options), priority);
}
