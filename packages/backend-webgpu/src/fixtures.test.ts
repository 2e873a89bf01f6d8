// Every checkpoint of ../shared/fixtures/models on the WebGPU backend in f32 (Node, Dawn), against the
// float64 reference with the same checks and tolerances as the CPU backend (@deberta/heads/fixture-check),
// the attention terms (output_attention_terms) included.
import { afterAll, describe, expect, it } from "vitest";
import { gpuTitle, skipNoGpu } from "../test/adapter.js";
import { checkCheckpoint, failedChecks, fixtureCheckpoints } from "../test/fixtures.js";
import { createWebGpuBackend } from "./create.js";

const backend = skipNoGpu ? undefined : await createWebGpuBackend();
afterAll(() => backend?.close());

describe.skipIf(skipNoGpu).each(fixtureCheckpoints())(gpuTitle("%s on webgpu f32"), (name) => {
  it("matches the float64 reference", async () => {
    const checks = await checkCheckpoint(backend!, name);
    expect(checks.length).toBeGreaterThan(0);
    expect(failedChecks(checks)).toEqual([]);
  });
});
