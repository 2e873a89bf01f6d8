// Runs in the "relaxed-simd" vitest project (Node 20: with --experimental-wasm-relaxed-simd, see
// vitest.config.ts): the cases of vmath-suite.ts on the relaxed-SIMD (FMA) kernels.
import { describe, it } from "vitest";
import { relaxedSimdSupported } from "./kernels.js";
import { defineVmathSuite } from "./vmath-suite.js";

if (relaxedSimdSupported()) {
  defineVmathSuite("relaxed-simd");
} else {
  describe.skip("relaxed-SIMD activation, softmax and elementary functions — skipped: relaxed SIMD does not validate in this Node, even with the flag", () => {
    it("relaxed-SIMD vmath cases", () => {});
  });
}
