// The shared backend conformance suite (@deberta/tensor/conformance) on "cuda" in float32, with cuBLASLt
// and with the package's GEMM kernel, and in float16. Skipped, with the reason in the titles, where there is no GPU.
import { conformancePlan, runConformanceCase } from "@deberta/tensor/conformance";
import { afterAll, describe, expect, it } from "vitest";
import { gpuTitle, skipNoGpu } from "../test/gpu.js";
import { createCudaBackend } from "./create.js";

for (const gemm of ["cublaslt", "kernel"] as const) {
  describe.skipIf(skipNoGpu)(gpuTitle(`conformance: cuda float32, ${gemm} GEMM`), async () => {
    const backend = skipNoGpu ? undefined : await createCudaBackend({ gemm });
    afterAll(() => backend?.close());
    for (const planned of conformancePlan()) {
      it(planned.title, async () => {
        const result = await runConformanceCase(backend!, planned.case);
        expect(result.pass, result.message).toBe(true);
      });
    }
    it("leaves no tensor behind", () => {
      expect(backend!.memory().tensors).toBe(0);
    });
  });
}

// float16 storage with the suite's float16 tolerances (the WebGPU f16 path's); the suite has no bfloat16
// tolerances, so bfloat16 is checked on the fixtures (fixtures-half.test.ts) and the synthetic base.
describe.skipIf(skipNoGpu)(gpuTitle("conformance: cuda float16, cublaslt GEMM"), async () => {
  const backend = skipNoGpu ? undefined : await createCudaBackend({ dtype: "float16" });
  afterAll(() => backend?.close());
  for (const planned of conformancePlan()) {
    it(planned.title, async () => {
      const result = await runConformanceCase(backend!, planned.case, { dtype: "float16" });
      expect(result.pass, result.message).toBe(true);
    });
  }
});
