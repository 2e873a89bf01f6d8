// What the vmath suites share: the engines they run on (created once per instruction set by
// defineVmathSuite in vmath-suite.ts), the in-place runner of the raw exports, and the float64 references and
// tolerances of the activations, used by both the in-place and the epilogue cases. Test-only, not exported by
// the package.
import { expect } from "vitest";
import type { GemmActivation, GemmEngine } from "./gemm.js";
import type { GemmExports } from "./kernels.js";
import { gelu64, geluTanh64 } from "./test-math.js";

/**
 * The engines of one instruction set. defineVmathSuite fills them in its beforeAll, so the suites read them
 * inside their tests and hooks only, never while their describe blocks are being collected.
 */
export interface VmathEngines {
  single: GemmEngine;
  multi: GemmEngine;
  /** Splits every call, however small, over 3 threads. */
  eager: GemmEngine;
  /** A second instance of the single-thread engine's module over its memory: the raw exports. */
  raw: GemmExports;
}

/** Runs an in-place export over a copy of `x` in the single-thread engine's heap. */
export function inPlace(
  single: GemmEngine,
  x: Float32Array,
  fn: (ptr: number, n: number) => void,
): Float32Array {
  const heap = single.heap;
  const ptr = heap.allocF32(x.length, x);
  fn(ptr, x.length);
  const out = heap.f32(ptr, x.length).slice();
  heap.free(ptr);
  return out;
}

/** GELU's largest slope (at x ≈ 1.5 it is 1.129): how much an error of the GEMM moves its output. */
export const GELU_SLOPE = 1.13;
/** The tolerance the epilogue must meet against float64: 3e-7 · max(1, |x|). */
export const ACT_TOL = 3e-7;

export const REFERENCES: Record<GemmActivation, (x: number) => number> = {
  gelu: gelu64,
  "gelu-tanh": geluTanh64,
  relu: (x) => Math.max(x, 0),
};
export const CODES: Record<GemmActivation, number> = { gelu: 1, relu: 2, "gelu-tanh": 3 };

/** Largest |got − want| / max(1, |x|) over the inputs, with where it happened. */
export function worstActivationError(
  x: Float32Array,
  got: Float32Array,
  ref: (x: number) => number,
): { worst: number; where: string } {
  let worst = 0;
  let where = "";
  for (let i = 0; i < x.length; i++) {
    const err = Math.abs(got[i]! - ref(x[i]!)) / Math.max(1, Math.abs(x[i]!));
    if (!(err <= worst)) {
      worst = Number.isNaN(err) ? Number.POSITIVE_INFINITY : err;
      where = `x = ${x[i]}: got ${got[i]}, float64 ${ref(x[i]!)}`;
    }
  }
  return { worst, where };
}

/** GELU's limits: exactly x from 12 on, exactly 0 from -12 down. */
export function expectGeluLimits(x: Float32Array, got: Float32Array): void {
  for (let i = 0; i < x.length; i++) {
    const xi = x[i]!;
    if (xi >= 12 && got[i] !== xi) expect.fail(`GELU(${xi}) = ${got[i]}, expected exactly x`);
    if (xi <= -12 && got[i] !== 0) expect.fail(`GELU(${xi}) = ${got[i]}, expected exactly 0`);
  }
}
