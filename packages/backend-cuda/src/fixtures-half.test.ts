// Every checkpoint of ../shared/fixtures/models on "cuda" in float16 and bfloat16 (half storage, float32
// accumulation) against the float64 reference, with the CPU backend's tolerances scaled as the WebGPU f16
// path scales them (float16 2⁸; bfloat16 2¹¹, three significand bits fewer) and identical argmax except on
// the reference's near-ties (@deberta/heads/fixture-check). Skipped where there is no GPU.
import { afterAll, describe, expect, it } from "vitest";
import { checkCheckpoint, failedChecks, fixtureCheckpoints } from "../test/fixtures.js";
import { gpuTitle, skipNoGpu } from "../test/gpu.js";
import { createCudaBackend } from "./create.js";
import { CUDA_DTYPES } from "./cuda-backend.js";

for (const dtype of ["float16", "bfloat16"] as const) {
  const backend = skipNoGpu ? undefined : await createCudaBackend({ dtype });
  afterAll(() => backend?.close());
  describe.skipIf(skipNoGpu).each(fixtureCheckpoints())(gpuTitle(`%s on cuda ${dtype}`), (name) => {
    it(`matches the float64 reference within the ${dtype} tolerances`, async () => {
      const checks = await checkCheckpoint(backend!, name, {
        toleranceScale: CUDA_DTYPES[dtype].toleranceScale,
      });
      expect(checks.length).toBeGreaterThan(0);
      expect(failedChecks(checks)).toEqual([]);
    });
  });
}
