// Every DeBERTa-v2 fixture checkpoint (../shared/fixtures/deberta-v2/models: v3-like — Model, sequence /
// token classification, QA, masked LM in both layouts, multiple choice — and v2-xlarge-like with the
// convolution layer — Model, sequence classification) against its float64 reference, loaded through the
// heads registry from config.json's architecture, on the CPU backend's JavaScript and native engines, with
// the checks every backend shares (fixture-check.ts): logits and loss within 1e-5, argmax identical, hidden
// states and attentions (and the softmax of the returned attention terms) within 1e-4 at non-padding positions.
import { readdirSync } from "node:fs";
import path from "node:path";
import { type CpuBackend, createCpuBackend } from "@deberta/backend-cpu";
import { DebertaV2Config, loadDebertaConfig } from "@deberta/config";
import { readWeightsFile } from "@deberta/hub";
import { Tensor } from "@deberta/tensor";
import { fixturesDir } from "@deberta/testing";
import { afterAll, describe, expect, it } from "vitest";
import { HeadError } from "./errors.js";
import { checkFixture, fixtureCallInputs } from "./fixture-check.js";
import { bceWithLogits, meanSquaredError, softCrossEntropy } from "./losses.js";
import { DebertaV2ForMultipleChoice } from "./multiple-choice.js";
import { headRegistry } from "./registry.js";
import { DebertaForSequenceClassification } from "./sequence-classification.js";
import { DebertaV2ForSequenceClassification } from "./v2-heads.js";

const MODELS = path.join(fixturesDir(), "deberta-v2", "models");
const CHECKPOINTS = readdirSync(MODELS)
  .sort()
  .flatMap((variant) =>
    readdirSync(path.join(MODELS, variant))
      .sort()
      .map((head) => `${variant}/${head}`),
  );
const ENGINES = ["js", "native"] as const;

const backends = new Map<string, CpuBackend>();
for (const engine of ENGINES) backends.set(engine, await createCpuBackend({ engine, threads: 2 }));
afterAll(() => {
  for (const b of backends.values()) b.close();
});

const expectedOf = async (dir: string) =>
  new Map(await readWeightsFile(path.join(dir, "expected.safetensors")));

it("finds all nine DeBERTa-v2 fixture checkpoints", () => {
  expect(CHECKPOINTS).toHaveLength(9);
});

describe.each(ENGINES)("CPU backend, %s engine", (engine) => {
  describe.each(CHECKPOINTS)("%s", (name) => {
    it("loads by its architecture and matches the float64 reference", async () => {
      const dir = path.join(MODELS, name);
      const config = await loadDebertaConfig(dir);
      expect(config).toBeInstanceOf(DebertaV2Config);
      const Head = headRegistry.get(config.architectures![0]!);
      expect(Head, config.architectures![0]).toBeDefined();
      const model = await Head!.from_pretrained(dir, { backend: backends.get(engine)!, config });
      try {
        expect(model.loading_info.missing_keys).toEqual([]);
        expect(model.loading_info.unexpected_keys).toEqual([]);
        const checks = await checkFixture(model, await expectedOf(dir));
        expect(checks.length).toBeGreaterThan(0);
        for (const c of checks) expect(c.maxError, c.name).toBeLessThanOrEqual(c.tolerance);
      } finally {
        model.dispose();
      }
    });
  });
});

describe("DeBERTa-v2 heads", () => {
  const backend = () => backends.get("js")!;

  it("reads config.json itself as a DebertaV2Config in from_pretrained", async () => {
    const dir = path.join(MODELS, "v3-like", "ForSequenceClassification");
    const model = await DebertaV2ForSequenceClassification.from_pretrained(dir, { backend: backend() });
    try {
      expect(model.config).toBeInstanceOf(DebertaV2Config);
      const out = await model(fixtureCallInputs(await expectedOf(dir), { attentionTerms: false }));
      expect(out.logits!.dims).toEqual([4, 3]);
    } finally {
      model.dispose();
    }
  });

  it.each([
    ["multi_label_classification", "bce"],
    ["regression", "mse"],
    [null, "soft"],
  ] as const)(
    "sequence classification: problem_type %s computes the v1 head's %s loss on its logits",
    async (problem, kind) => {
      const dir = path.join(MODELS, "v3-like", "ForSequenceClassification");
      const base = await DebertaV2Config.from_pretrained(dir);
      const config = DebertaV2Config.from_dict({ ...base.to_dict(), problem_type: problem });
      const model = await DebertaV2ForSequenceClassification.from_pretrained(dir, {
        backend: backend(),
        config,
      });
      try {
        const inputs = fixtureCallInputs(await expectedOf(dir), { attentionTerms: false });
        const labels = Float32Array.from({ length: 4 * 3 }, (_, i) =>
          kind === "soft" ? [0.2, 0.5, 0.3][i % 3]! : (i * 7) % 3,
        );
        const out = await model({ ...inputs, labels: new Tensor("float32", labels, [4, 3]) });
        const z = out.logits!.data as Float32Array;
        const y = Array.from(labels);
        const want =
          kind === "bce"
            ? bceWithLogits(z, y)
            : kind === "mse"
              ? meanSquaredError(z, y)
              : softCrossEntropy(z, y, 3);
        expect((out.loss!.data as Float32Array)[0]).toBeCloseTo(want, 5);
      } finally {
        model.dispose();
      }
    },
  );

  it("refuses a v2 config on a v1 head with a typed error naming the config", async () => {
    const dir = path.join(MODELS, "v3-like", "ForSequenceClassification");
    const config = await DebertaV2Config.from_pretrained(dir);
    await expect(
      DebertaForSequenceClassification.from_pretrained(dir, { backend: backend(), config }),
    ).rejects.toSatisfy(
      (error: unknown) =>
        error instanceof HeadError && error.code === "HEAD_ARCHITECTURE" && error.argument === "config",
    );
  });

  it("multiple choice: names the argument whose dims do not fit [batch, choices, length]", async () => {
    const dir = path.join(MODELS, "v3-like", "ForMultipleChoice");
    const model = await DebertaV2ForMultipleChoice.from_pretrained(dir, { backend: backend() });
    try {
      const ids = new Tensor("int64", new BigInt64Array(2 * 2 * 5).fill(5n), [2, 2, 5]);
      await expect(model({ input_ids: ids.reshape([4, 5]) })).rejects.toSatisfy(
        (error: unknown) => error instanceof HeadError && error.argument === "input_ids",
      );
      await expect(
        model({
          input_ids: ids,
          attention_mask: new Tensor("int64", new BigInt64Array(20).fill(1n), [4, 5]),
        }),
      ).rejects.toSatisfy(
        (error: unknown) => error instanceof HeadError && error.argument === "attention_mask",
      );
      const out = await model({ input_ids: ids, labels: new Tensor("int64", BigInt64Array.of(0n, 1n), [2]) });
      expect(out.logits!.dims).toEqual([2, 2]);
      expect(Number.isFinite((out.loss!.data as Float32Array)[0])).toBe(true);
    } finally {
      model.dispose();
    }
  });
});
