// The fixtures and the conformance suite on WebGPU in headless Chromium (navigator.gpu; SwiftShader where
// the machine has no GPU): the same checks as fixtures.test.ts and conformance.test.ts run on Dawn in
// Node, so a difference between Chromium's WebGPU and Dawn's (WGSL validation, limits, features) shows.
import { existsSync } from "node:fs";
import path from "node:path";
import { conformancePlan } from "@deberta/tensor/conformance";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BrowserHarness, CHROMIUM, openBrowserHarness } from "../test/browser/harness.js";
import {
  NO_TENSOR_LEFT,
  type PageConformanceResult,
  type WeightsFileName,
} from "../test/browser/protocol.js";
import { fixtureCheckpoints, fixturesDir } from "../test/fixtures.js";

const hasChromium = existsSync(CHROMIUM);
// CI installs chromium, so there a missing one is a broken setup, not a reason to skip.
const skip = !hasChromium && !process.env.CI;

// SwiftShader runs every shader on the CPU (two cores on the test machines): far slower than Dawn in Node.
const FIXTURE_TIMEOUT = 300_000;
const CONFORMANCE_TIMEOUT = 600_000;

describe.skipIf(skip)(
  skip
    ? `webgpu in headless Chromium — skipped: ${CHROMIUM} is not installed`
    : "webgpu in headless Chromium",
  () => {
    let harness: BrowserHarness | undefined;
    const page = () => {
      if (harness === undefined) throw new Error("Chromium did not start (see beforeAll)");
      return harness.page;
    };

    beforeAll(async () => {
      if (!hasChromium) throw new Error(`${CHROMIUM} is not installed (CI installs the chromium package)`);
      harness = await openBrowserHarness(path.join(fixturesDir(), "models"));
    }, 180_000);
    afterAll(async () => {
      await harness?.close();
    });

    it("has a WebGPU adapter in Chromium", async () => {
      const info = await page().evaluate(() => window.adapterInfo());
      console.log(`Chromium WebGPU adapter: ${JSON.stringify(info)}`);
      expect(info).not.toBeNull();
    });

    describe.each(fixtureCheckpoints())("%s on webgpu f32 in Chromium", (name) => {
      it(
        "matches the float64 reference",
        async () => {
          const dir = path.join(fixturesDir(), "models", name);
          const weightsFile: WeightsFileName = existsSync(path.join(dir, "model.safetensors"))
            ? "model.safetensors"
            : "pytorch_model.bin";
          const checks = await page().evaluate(([n, w]) => window.runFixture(n, w), [
            name,
            weightsFile,
          ] as const);
          expect(checks.length).toBeGreaterThan(0);
          const failed = checks
            .filter((c) => !c.pass)
            .map((c) => `${c.name}: ${c.maxError} > ${c.tolerance}`);
          expect(failed).toEqual([]);
        },
        FIXTURE_TIMEOUT,
      );
    });

    describe("conformance: webgpu f32 in Chromium", () => {
      // The page runs the whole plan in one evaluate (one round trip, one device); each case's `it` reads
      // its own result, so the report still has one line per case.
      let results: Promise<Map<string, PageConformanceResult>> | undefined;
      const resultOf = async (title: string) => {
        results ??= page()
          .evaluate(() => window.runConformance())
          .then((list) => new Map(list.map((r) => [r.title, r])));
        const r = (await results).get(title);
        if (r === undefined) throw new Error(`the page ran no case titled "${title}"`);
        return r;
      };
      for (const title of [...conformancePlan().map((p) => p.title), NO_TENSOR_LEFT]) {
        it(
          title,
          async () => {
            const result = await resultOf(title);
            expect(result.pass, result.message).toBe(true);
          },
          CONFORMANCE_TIMEOUT,
        );
      }
    });
  },
);
