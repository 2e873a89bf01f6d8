// The shared backend conformance suite (@deberta/tensor/conformance) on the WebGPU backend in f32, with and
// without subgroup reductions (the f16 path: conformance-f16.test.ts).
import { conformancePlan, runConformanceCase } from "@deberta/tensor/conformance";
import { afterAll, describe, expect, it } from "vitest";
import { gpuTitle, hasSubgroups, skipNoGpu } from "../test/adapter.js";
import { createWebGpuBackend } from "./create.js";

describe.skipIf(skipNoGpu)(gpuTitle("conformance: webgpu f32"), async () => {
  const backend = skipNoGpu ? undefined : await createWebGpuBackend();
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

describe.skipIf(!hasSubgroups)(
  hasSubgroups
    ? "conformance: webgpu f32 without subgroups (checks the workgroup-memory reductions)"
    : "conformance: webgpu f32 without subgroups — skipped: the adapter has no subgroups, so the suite above already ran without them",
  async () => {
    const backend = hasSubgroups ? await createWebGpuBackend({ subgroups: false }) : undefined;
    afterAll(() => backend?.close());
    for (const planned of conformancePlan()) {
      it(planned.title, async () => {
        const result = await runConformanceCase(backend!, planned.case);
        expect(result.pass, result.message).toBe(true);
      });
    }
  },
);
