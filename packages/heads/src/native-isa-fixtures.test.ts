// Every fixture checkpoint against its float64 reference on the CPU backend's native engine, once per
// instruction-set path this CPU runs (avx512, avx2, portable), through the checks every backend shares
// (fixture-check.ts): logits (start/end for QA) and loss within 1e-5, argmax identical, hidden states and
// attentions within 1e-4. A path the CPU cannot run is skipped with the reason in its title; the whole file
// is skipped, with the reason, when the native engine is unavailable (e.g. the addon was built without a
// C++ compiler).
import { type CpuBackend, createCpuBackend, loadNativeAddon, type NativeIsa } from "@deberta/backend-cpu";
import { fixtureCheckpoints } from "@deberta/testing";
import { afterAll, describe, expect, it } from "vitest";
import { checkFixture, LOGIT_TOLERANCE, type ReferenceTensor, STATE_TOLERANCE } from "./fixture-check.js";
import { headRegistry } from "./registry.js";
import { loadFixture } from "./test-support.js";

const TIMEOUT = 120_000;
const THREADS = 2;
const PATHS: NativeIsa[] = ["avx512", "avx2", "portable"];

const CHECKPOINTS = fixtureCheckpoints();

const loaded = await loadNativeAddon();
const unavailable = loaded.addon === undefined ? loaded.reason : undefined;

// One backend per path for the whole file, or the reason the path cannot run here.
const paths: { isa: NativeIsa; backend?: CpuBackend; reason?: string }[] = [];
if (unavailable === undefined) {
  for (const isa of PATHS) {
    try {
      paths.push({ isa, backend: await createCpuBackend({ engine: "native", threads: THREADS, isa }) });
    } catch (error) {
      paths.push({ isa, reason: (error as Error).message });
    }
  }
}
afterAll(async () => {
  for (const p of paths) await p.backend?.close();
});

describe.skipIf(unavailable !== undefined)(
  `fixture checkpoints on the native engine${unavailable === undefined ? "" : ` (skipped: ${unavailable})`}`,
  () => {
    it("finds the fixture checkpoints and at least the portable path", () => {
      expect(CHECKPOINTS.length).toBeGreaterThanOrEqual(20);
      expect(paths.find((p) => p.isa === "portable")?.backend).toBeDefined();
      expect([LOGIT_TOLERANCE, STATE_TOLERANCE]).toEqual([1e-5, 1e-4]);
    });

    for (const { isa, backend, reason } of paths) {
      const title = `${isa} path, ${THREADS} threads${reason === undefined ? "" : ` (skipped: ${reason})`}`;
      describe.skipIf(backend === undefined)(title, () => {
        it(
          "runs the requested path",
          () => {
            expect(backend!.engine.name).toBe(`native-${isa}-${THREADS}-threads`);
            expect(backend!.engine.fallbackReason).toBeUndefined();
          },
          TIMEOUT,
        );

        it.each(CHECKPOINTS)(
          "%s matches the float64 reference",
          async (name) => {
            const f = await loadFixture(name);
            const Head = headRegistry.get(f.config.architectures?.[0] ?? "DebertaModel");
            if (Head === undefined) throw new Error(`no head for ${f.config.architectures?.[0]}`);
            const model = await Head.from_pretrained(f.dir, { backend: backend!, config: f.config });
            try {
              expect(model.loading_info.unexpected_keys).toEqual([]);
              const checks = await checkFixture(model, f.expected as Map<string, ReferenceTensor>);
              expect(checks.length).toBeGreaterThan(0);
              expect(
                checks.filter((c) => !c.pass).map((c) => `${c.name}: ${c.maxError} > ${c.tolerance}`),
              ).toEqual([]);
            } finally {
              model.dispose();
            }
          },
          TIMEOUT,
        );
      });
    }
  },
);
