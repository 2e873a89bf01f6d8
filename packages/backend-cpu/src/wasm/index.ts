export {
  DEFAULT_MAX_THREADS,
  GEMM_PANEL_WIDTH,
  GEMM_TILE_ROWS,
  type GemmActivation,
  GemmEngine,
  type GemmEngineOptions,
  type GemmInfo,
  type MatmulOptions,
  type MatmulUnpackedOptions,
  PackedMatrix,
  packedBFloats,
  type SoftmaxOptions,
} from "./gemm.js";
export {
  HEAP_ALIGN,
  HEAP_BASE,
  MAX_PAGES,
  sharedMemorySupported,
  WASM_PAGE,
  WasmHeap,
  type WasmHeapOptions,
} from "./heap.js";
export {
  type GemmExports,
  type GemmVariant,
  gemmVariant,
  gemmWasmBytes,
  relaxedSimdSupported,
  type SimdKind,
  wasmSimdSupported,
} from "./kernels.js";
