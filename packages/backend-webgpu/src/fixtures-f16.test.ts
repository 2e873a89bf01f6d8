// Every checkpoint of ../shared/fixtures/models on the WebGPU backend's f16 path, against the float64
// reference with the tolerances scaled by 2⁸ as the conformance suite's float16 ones are (hidden states,
// attentions and the softmax of the attention terms 2.56e-2, logits, losses and the summed attention terms
// against log attentions 2.56e-3), argmax identical except on the reference's near-ties.
// Runs in the "f16" test project (an adapter with shader-f16 where one is installed); skipped otherwise.
import { afterAll, describe, expect, it } from "vitest";
import { hasF16 } from "../test/adapter.js";
import { checkCheckpoint, failedChecks, fixtureCheckpoints } from "../test/fixtures.js";
import { createWebGpuBackend } from "./create.js";

const backend = hasF16 ? await createWebGpuBackend({ dtype: "fp16" }) : undefined;
afterAll(() => backend?.close());

describe.skipIf(!hasF16).each(fixtureCheckpoints())(
  hasF16 ? "%s on webgpu f16" : "%s on webgpu f16 — skipped: the adapter has no shader-f16",
  (name) => {
    it("matches the float64 reference within the float16 tolerances", async () => {
      const checks = await checkCheckpoint(backend!, name, { toleranceScale: 256 });
      expect(checks.length).toBeGreaterThan(0);
      expect(failedChecks(checks)).toEqual([]);
    });
  },
);
