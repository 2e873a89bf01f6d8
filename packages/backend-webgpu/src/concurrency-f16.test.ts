// The overlapping-calls check of concurrency.test.ts on the f16 path: 64 callers of one model, each getting,
// bit for bit, what it gets alone. Runs in the "f16" test project (an adapter with shader-f16 where one is
// installed); skipped otherwise, with the reason in the title.
import path from "node:path";
import { DebertaConfig } from "@deberta/config";
import { DebertaForSequenceClassification } from "@deberta/heads";
import { checkConcurrentCalls, randomCalls } from "@deberta/heads/fixture-check";
import { afterAll, describe, expect, it } from "vitest";
import { hasF16 } from "../test/adapter.js";
import { fixturesDir } from "../test/fixtures.js";
import { createWebGpuBackend } from "./create.js";

const dir = path.join(fixturesDir(), "models", "base-like", "seqcls");
const backend = hasF16 ? await createWebGpuBackend({ dtype: "fp16" }) : undefined;
afterAll(() => backend?.close());

describe.skipIf(!hasF16)(
  hasF16 ? "webgpu f16, one model" : "webgpu f16, one model — skipped: the adapter has no shader-f16",
  () => {
    it("64 overlapping calls each return, bit for bit, what the call returns alone", {
      timeout: 180_000,
    }, async () => {
      const config = await DebertaConfig.from_pretrained(dir);
      const model = await DebertaForSequenceClassification.from_pretrained(dir, {
        backend: backend!,
        config,
      });
      try {
        const calls = randomCalls(config, 64, { seed: 16, maxLength: 32, classLabels: true });
        const { mismatches, compared } = await checkConcurrentCalls(model, calls);
        expect(mismatches).toEqual([]);
        expect(compared).toBeGreaterThan(64 + 32 + 3 * 21);
      } finally {
        model.dispose();
      }
    });
  },
);
