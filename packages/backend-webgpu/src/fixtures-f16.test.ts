// Every checkpoint of ../shared/fixtures/models on the WebGPU backend's f16 path, against the float64
// reference with the tolerances scaled by 2⁸ as the conformance suite's float16 ones are (hidden states and
// attentions 2.56e-2, logits and losses 2.56e-3), argmax identical except on the reference's near-ties.
// Runs in the "f16" test project (an adapter with shader-f16 where one is installed); skipped otherwise.
import path from "node:path";
import { DebertaConfig } from "@deberta/config";
import { headRegistry } from "@deberta/heads";
import { checkFixture, type ReferenceTensor } from "@deberta/heads/fixture-check";
import { readWeightsFile } from "@deberta/hub";
import { afterAll, describe, expect, it } from "vitest";
import { hasF16 } from "../test/adapter.js";
import { fixtureCheckpoints, fixturesDir } from "../test/fixtures.js";
import { createWebGpuBackend } from "./create.js";

const backend = hasF16 ? await createWebGpuBackend({ dtype: "fp16" }) : undefined;
afterAll(() => backend?.close());

describe.skipIf(!hasF16).each(fixtureCheckpoints())(
  "%s on webgpu f16 — skipped where the adapter has no shader-f16",
  (name) => {
    it("matches the float64 reference within the float16 tolerances", async () => {
      const dir = path.join(fixturesDir(), "models", name);
      const config = await DebertaConfig.from_pretrained(dir);
      const Head = headRegistry.get(config.architectures?.[0] ?? "DebertaModel");
      if (Head === undefined) throw new Error(`no head for ${config.architectures?.[0]}`);
      const model = await Head.from_pretrained(dir, { backend: backend!, config });
      const expected = (await readWeightsFile(path.join(dir, "expected.safetensors"))) as Map<
        string,
        ReferenceTensor
      >;
      const checks = await checkFixture(model, expected, { toleranceScale: 256 });
      model.dispose();
      expect(checks.length).toBeGreaterThan(0);
      const failed = checks.filter((c) => !c.pass).map((c) => `${c.name}: ${c.maxError} > ${c.tolerance}`);
      expect(failed).toEqual([]);
    });
  },
);
