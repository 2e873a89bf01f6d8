// The shared backend conformance suite (@deberta/tensor/conformance) on the CPU backend with the
// plain-JavaScript GEMM, with the WebAssembly SIMD GEMM on two threads and with the native engine on two
// threads (where the addon is built): every primitive against the float64 oracle, every fused kernel against the oracle
// and against its reference built from this backend's primitives.
import { conformancePlan, runConformanceCase } from "@deberta/tensor/conformance";
import { afterAll, describe, expect, it } from "vitest";
import { CpuBackend } from "./cpu-backend.js";
import { createCpuBackend } from "./create.js";
import { jsGemm } from "./gemm.js";
import { loadNativeAddon } from "./native/addon.js";

describe("conformance: cpu backend, plain-JS GEMM", () => {
  const backend = new CpuBackend({ gemm: jsGemm });
  for (const planned of conformancePlan()) {
    it(planned.title, async () => {
      const result = await runConformanceCase(backend, planned.case);
      expect(result.pass, result.message).toBe(true);
    });
  }
  it("leaves no tensor behind", () => {
    expect(backend.memory().tensors).toBe(0);
  });
});

describe("conformance: cpu backend, WebAssembly SIMD GEMM, 2 threads", async () => {
  const backend = await createCpuBackend({ gemm: "wasm", threads: 2 });
  afterAll(() => backend.close());
  it("uses the WebAssembly GEMM", () => {
    expect(backend.gemm.name).toMatch(/^wasm-/);
  });
  for (const planned of conformancePlan()) {
    it(planned.title, async () => {
      const result = await runConformanceCase(backend, planned.case);
      expect(result.pass, result.message).toBe(true);
    });
  }
});

const native = await loadNativeAddon();

// Every instruction-set path this CPU runs (AVX-512, AVX2, portable), forced one at a time: the native GEMM
// and the native attention / layer norm / softmax / activation kernels of each path.
for (const isa of native.addon?.info().supported ?? []) {
  describe(`conformance: cpu backend, native engine, ${isa} path, 2 threads`, async () => {
    const backend = await createCpuBackend({ engine: "native", threads: 2, isa });
    afterAll(() => backend.close());
    it("uses the native GEMM", () => {
      expect(backend.engine.name).toBe(`native-${isa}-2-threads`);
      expect(backend.engine.fallbackReason).toBeUndefined();
    });
    for (const planned of conformancePlan()) {
      it(planned.title, async () => {
        const result = await runConformanceCase(backend, planned.case);
        expect(result.pass, result.message).toBe(true);
      });
    }
  });
}
