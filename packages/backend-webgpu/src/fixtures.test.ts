// Every checkpoint of ../shared/fixtures/models on the WebGPU backend in f32 (Node, Dawn), against the
// float64 reference with the same checks and tolerances as the CPU backend (@deberta/heads/fixture-check).
import path from "node:path";
import { DebertaConfig } from "@deberta/config";
import { headRegistry } from "@deberta/heads";
import { checkFixture, type ReferenceTensor } from "@deberta/heads/fixture-check";
import { readWeightsFile } from "@deberta/hub";
import { afterAll, describe, expect, it } from "vitest";
import { gpuTitle, skipNoGpu } from "../test/adapter.js";
import { fixtureCheckpoints, fixturesDir } from "../test/fixtures.js";
import { createWebGpuBackend } from "./create.js";

const backend = skipNoGpu ? undefined : await createWebGpuBackend();
afterAll(() => backend?.close());

describe.skipIf(skipNoGpu).each(fixtureCheckpoints())(gpuTitle("%s on webgpu f32"), (name) => {
  it("matches the float64 reference", async () => {
    const dir = path.join(fixturesDir(), "models", name);
    const config = await DebertaConfig.from_pretrained(dir);
    const Head = headRegistry.get(config.architectures?.[0] ?? "DebertaModel");
    if (Head === undefined) throw new Error(`no head for ${config.architectures?.[0]}`);
    const model = await Head.from_pretrained(dir, { backend: backend!, config });
    const expected = (await readWeightsFile(path.join(dir, "expected.safetensors"))) as Map<
      string,
      ReferenceTensor
    >;
    const checks = await checkFixture(model, expected);
    model.dispose();
    expect(checks.length).toBeGreaterThan(0);
    const failed = checks.filter((c) => !c.pass).map((c) => `${c.name}: ${c.maxError} > ${c.tolerance}`);
    expect(failed).toEqual([]);
  });
});
