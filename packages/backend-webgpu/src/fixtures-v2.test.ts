// Every DeBERTa-v2 checkpoint of ../shared/fixtures/deberta-v2/models on the WebGPU backend in f32 (Node,
// Dawn), against the float64 reference with the same checks and tolerances as the CPU backend
// (@deberta/heads/fixture-check), the attention terms included. The v2 attention is built from primitive
// ops, so this runs the backend's existing kernels only.
import { afterAll, describe, expect, it } from "vitest";
import { gpuTitle, skipNoGpu } from "../test/adapter.js";
import { checkCheckpoint, failedChecks, v2FixtureCheckpoints } from "../test/fixtures.js";
import { createWebGpuBackend } from "./create.js";

const backend = skipNoGpu ? undefined : await createWebGpuBackend();
afterAll(() => backend?.close());

it("finds all nine DeBERTa-v2 checkpoints", () => {
  expect(v2FixtureCheckpoints()).toHaveLength(9);
});

describe.skipIf(skipNoGpu).each(v2FixtureCheckpoints())(gpuTitle("deberta-v2 %s on webgpu f32"), (name) => {
  it("matches the float64 reference", async () => {
    const checks = await checkCheckpoint(backend!, name, {}, "v2");
    expect(checks.length).toBeGreaterThan(0);
    expect(failedChecks(checks)).toEqual([]);
  });
});
