import type { DType } from "./dtype.js";

/**
 * A tensor that lives on a backend (in WebAssembly memory, a GPU buffer, ...). Opaque: only its backend
 * reads its data; everyone else moves it with `upload` / `download`.
 */
export interface TensorHandle {
  readonly dtype: DType;
  readonly shape: readonly number[];
  /** Name of the backend that owns it; passing it to another backend is an error. */
  readonly backend: string;
  /** False once disposed; any op on a disposed handle throws BACKEND_DISPOSED. */
  readonly alive: boolean;
}
