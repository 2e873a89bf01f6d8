import { GEMM_WASM_BASE64 } from "./generated/kernels.js";

/** Which instruction set a GEMM module uses. */
export type SimdKind = "simd128" | "relaxed-simd";

/**
 * The four builds of assembly/gemm.ts (see scripts/build-wasm.mjs): SIMD128 or relaxed-SIMD FMA, each for
 * a shared memory (worker pool) and for a non-shared memory (single thread).
 */
export type GemmVariant = "simd128Shared" | "simd128" | "relaxedShared" | "relaxed";

/** Exports of the compiled assembly/gemm.ts (pointers are byte offsets into the imported memory). */
export interface GemmExports {
  tileRows(): number;
  panelWidth(): number;
  usesRelaxedSimd(): number;
  packedBSize(K: number, N: number): number;
  packBStrided(src: number, ld: number, K: number, N: number, transposed: number, dst: number): void;
  packB(src: number, K: number, N: number, transposed: number, dst: number): void;
  gemm(
    a: number,
    lda: number,
    packedB: number,
    c: number,
    ldc: number,
    M: number,
    N: number,
    K: number,
    bias: number,
    beta: number,
    rowStart: number,
    rowEnd: number,
    colStart: number,
    colEnd: number,
    activation: number,
  ): void;
  /** In place over `n` floats; `activation` as in gemm (0 none, 1 exact GELU, 2 ReLU, 3 tanh GELU). */
  activationInPlace(ptr: number, n: number, activation: number): void;
  geluInPlace(ptr: number, n: number): void;
  /** erf / exp (x <= 0) in place: the kernels' approximations, exported for tests. */
  erfInPlace(ptr: number, n: number): void;
  expInPlace(ptr: number, n: number): void;
  softmaxRows(ptr: number, rows: number, cols: number, ld: number): void;
}

const bytesCache = new Map<GemmVariant, Uint8Array<ArrayBuffer>>();

function decodeBase64(b64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** The WebAssembly binary of one variant. */
export function gemmWasmBytes(variant: GemmVariant): Uint8Array<ArrayBuffer> {
  let bytes = bytesCache.get(variant);
  if (!bytes) {
    bytes = decodeBase64(GEMM_WASM_BASE64[variant]);
    bytesCache.set(variant, bytes);
  }
  return bytes;
}

/** The variant for an instruction set and memory kind. */
export function gemmVariant(simd: SimdKind, shared: boolean): GemmVariant {
  if (simd === "relaxed-simd") return shared ? "relaxedShared" : "relaxed";
  return shared ? "simd128Shared" : "simd128";
}

let simdOk: boolean | undefined;
let relaxedOk: boolean | undefined;

/**
 * True when this engine runs WebAssembly SIMD128 (validates the actual SIMD128 GEMM module). Where it is
 * false the backend needs a plain-JavaScript fallback.
 */
export function wasmSimdSupported(): boolean {
  if (simdOk === undefined) {
    try {
      simdOk = typeof WebAssembly === "object" && WebAssembly.validate(gemmWasmBytes("simd128"));
    } catch {
      simdOk = false;
    }
  }
  return simdOk;
}

/**
 * True when this engine runs relaxed SIMD (validates the FMA GEMM module). Current browsers do; Node 20
 * (V8 11.3) only with `--experimental-wasm-relaxed-simd`.
 */
export function relaxedSimdSupported(): boolean {
  if (relaxedOk === undefined) {
    try {
      relaxedOk = typeof WebAssembly === "object" && WebAssembly.validate(gemmWasmBytes("relaxed"));
    } catch {
      relaxedOk = false;
    }
  }
  return relaxedOk;
}
