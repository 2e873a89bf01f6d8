// Every checkpoint of ../shared/fixtures/models on "cuda" in float32 against the float64 reference, with
// the CPU backend's checks and tolerances (@deberta/heads/fixture-check). Skipped where there is no GPU.
import { afterAll, describe, expect, it } from "vitest";
import { checkCheckpoint, failedChecks, fixtureCheckpoints } from "../test/fixtures.js";
import { gpuTitle, skipNoGpu } from "../test/gpu.js";
import { createCudaBackend } from "./create.js";

const backend = skipNoGpu ? undefined : await createCudaBackend();
afterAll(() => backend?.close());

describe.skipIf(skipNoGpu).each(fixtureCheckpoints())(gpuTitle("%s on cuda float32"), (name) => {
  it("matches the float64 reference", async () => {
    const checks = await checkCheckpoint(backend!, name);
    expect(checks.length).toBeGreaterThan(0);
    expect(failedChecks(checks)).toEqual([]);
  });
});
