// `device: 0` / "cuda" / "cuda:N" through the umbrella. Without a usable NVIDIA GPU (this machine kind: no
// driver), pipeline() and from_pretrained reject with the registry's typed error carrying the CUDA backend's
// reason; a missing @deberta/backend-cuda gives "package not installed". With a GPU the pipeline on device 0
// gives the CPU's answer (those tests are skipped here with the reason in their titles).
import path from "node:path";
import { fileURLToPath } from "node:url";
import { probeCuda } from "@deberta/backend-cuda";
import { describe, expect, it } from "vitest";
import {
  BackendError,
  BackendRegistry,
  BackendResolutionError,
  backendRegistry,
  cudaBackendFactory,
  DebertaForSequenceClassification,
  pipeline,
  registerDefaultBackends,
} from "./index.js";

const demo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../examples/demo-model");
const probe = await probeCuda();
const input = {
  text: "A soccer game with multiple males playing.",
  text_pair: "Some men are playing a sport.",
};

describe("cuda registration", () => {
  it('registers "cuda" and "cuda:0" .. "cuda:7" beside cpu and webgpu; cpu stays the default', async () => {
    registerDefaultBackends();
    const names = backendRegistry.names();
    for (const name of ["cpu", "webgpu", "cuda", ...Array.from({ length: 8 }, (_, n) => `cuda:${n}`)])
      expect(names, name).toContain(name);
    const classifier = await pipeline("text-classification", demo);
    expect(classifier.model.backend.name).toBe("cpu");
    await classifier.dispose();
  });

  it("a missing @deberta/backend-cuda is BACKEND_UNAVAILABLE saying the package is not installed", async () => {
    const missing = () => Promise.reject(new Error("Cannot find package '@deberta/backend-cuda'"));
    const error = await Promise.resolve()
      .then(cudaBackendFactory(0, missing))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendError);
    expect((error as BackendError).code).toBe("BACKEND_UNAVAILABLE");
    expect((error as Error).message).toMatch(
      /^package not installed: @deberta\/backend-cuda could not be loaded \(Cannot find package .*\); npm install @deberta\/backend-cuda$/,
    );
    const registry = new BackendRegistry();
    registry.register("cuda", cudaBackendFactory(0, missing));
    const resolution = await registry.resolve("cuda").catch((e: unknown) => e);
    expect(resolution).toBeInstanceOf(BackendResolutionError);
    expect((resolution as Error).message).toMatch(
      /Could not create backend "cuda": cuda: package not installed/,
    );
  });
});

describe.skipIf(probe.available)(
  probe.available ? "device 0 without a GPU" : `device 0 without a GPU (here: ${probe.reason})`,
  () => {
    for (const [device, name] of [
      [0, "cuda"],
      ["0", "cuda"],
      ["cuda", "cuda"],
      ["cuda:1", "cuda:1"],
      [1, "cuda:1"],
    ] as const) {
      it(`pipeline(..., { device: ${JSON.stringify(device)} }) rejects with the reason`, async () => {
        const error = await pipeline("text-classification", demo, { device }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(BackendResolutionError);
        expect((error as BackendResolutionError).code).toBe("BACKEND_UNAVAILABLE");
        expect((error as Error).message).toBe(`Could not create backend "${name}": ${name}: ${probe.reason}`);
        expect((error as BackendResolutionError).failures).toEqual([{ name, reason: probe.reason }]);
      });
    }

    it("DebertaFor*.from_pretrained(dir, { device: 0 }) rejects with the reason", async () => {
      const error = await DebertaForSequenceClassification.from_pretrained(demo, { device: 0 }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(BackendResolutionError);
      expect((error as Error).message).toContain(probe.reason);
    });
  },
);

describe.skipIf(!probe.available)(
  probe.available ? "device 0 on the GPU" : `device 0 on the GPU — skipped: ${probe.reason}`,
  () => {
    it("classifies a sentence pair as the CPU does", async () => {
      const onGpu = await pipeline("text-classification", demo, { device: 0 });
      const onCpu = await pipeline("text-classification", demo, { device: "cpu" });
      expect(onGpu.model.backend.name).toBe("cuda");
      const gpu = await onGpu(input, { top_k: null });
      const cpu = await onCpu(input, { top_k: null });
      expect(gpu.map((r) => r.label)).toEqual(cpu.map((r) => r.label));
      for (const [i, r] of gpu.entries()) expect(Math.abs(r.score - cpu[i]!.score)).toBeLessThan(1e-5);
      await onGpu.dispose();
      await onCpu.dispose();
    });
  },
);
