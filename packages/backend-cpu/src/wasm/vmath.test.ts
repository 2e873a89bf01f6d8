// Activation epilogue, in-place activations, softmax and their SIMD exp / erf: SIMD128 kernels (the cases are in
// vmath-suite.ts; vmath.relaxed.test.ts runs them on the relaxed-SIMD kernels).
import { defineVmathSuite } from "./vmath-suite.js";

defineVmathSuite("simd128");
