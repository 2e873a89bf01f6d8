// Every DeBERTa-v2 checkpoint of ../shared/fixtures/deberta-v2/models on "cuda" against the float64 reference:
// float32 with the CPU backend's checks and tolerances (scale 1), float16 and bfloat16 (the tensor-core attention, the
// default for half storage) with them scaled as fixtures-half.test.ts scales them (@deberta/heads/fixture-check).
// Where the model runs its attention as the fused op, this is the attention kernels with v2's key bias and
// log-bucket relative index table on real checkpoints. Skipped where there is no GPU.
import { afterAll, describe, expect, it } from "vitest";
import { checkCheckpoint, failedChecks, v2FixtureCheckpoints } from "../test/fixtures.js";
import { gpuTitle, skipNoGpu } from "../test/gpu.js";
import { createCudaBackend } from "./create.js";
import { CUDA_DTYPES } from "./cuda-backend.js";

it("finds all nine DeBERTa-v2 checkpoints", () => {
  expect(v2FixtureCheckpoints()).toHaveLength(9);
});

for (const dtype of ["float32", "float16", "bfloat16"] as const) {
  const backend = skipNoGpu ? undefined : await createCudaBackend({ dtype });
  afterAll(() => backend?.close());
  describe.skipIf(skipNoGpu).each(v2FixtureCheckpoints())(
    gpuTitle(`deberta-v2 %s on cuda ${dtype}`),
    (name) => {
      it("matches the float64 reference", async () => {
        const checks = await checkCheckpoint(
          backend!,
          name,
          { toleranceScale: CUDA_DTYPES[dtype].toleranceScale },
          "v2",
        );
        expect(checks.length).toBeGreaterThan(0);
        expect(failedChecks(checks)).toEqual([]);
      });
    },
  );
}
