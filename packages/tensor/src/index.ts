export { Tensor } from "onnxruntime-common";
export type { Backend, FusedKernels, MemoryInfo } from "./backend.js";
export { DTYPE_BYTES, type DType, type FloatStorage, sizeOf } from "./dtype.js";
export {
  BackendError,
  type BackendErrorCode,
  type BackendFailure,
  BackendResolutionError,
  formatShapes,
  shapeError,
} from "./errors.js";
export { runFused } from "./execute.js";
export { MAGNITUDE_MASK, magnitudeLimitBits } from "./float-bits.js";
export { fromHalfBits, roundToHalf, toHalfBits } from "./half.js";
export type { TensorHandle } from "./handle.js";
export { int64ToInt32, type PrimitiveKernelTable } from "./kernel-table.js";
export type {
  Activation,
  BinaryOp,
  FusedOpName,
  FusedOps,
  OpAttrs,
  OpInputs,
  OpOutput,
  PrimitiveOpName,
  PrimitiveOps,
  ReduceOp,
  UnaryOp,
} from "./ops.js";
export { FLOAT32_LOWEST, referenceKernels } from "./reference/index.js";
export {
  type BackendFactory,
  BackendRegistry,
  backendRegistry,
  registerBackend,
  resolveBackend,
} from "./registry.js";
export { broadcastShapes } from "./shape.js";
