// A head call's float16 overflow checks, on the CPU backend where they are asked for
// (`check_fp16_overflow: true`; by default they run only where the backend stores float16): the head's own
// layers are checked with the encoder's, a tied decoder is named after its own module (not the embeddings
// whose matrix it uses), the call rejects before returning any output, and nothing is left on the backend.
import path from "node:path";
import { readWeightsFromDir } from "@deberta/hub";
import { ModelError } from "@deberta/model";
import { resolveBackend, Tensor } from "@deberta/tensor";
import { modelsDir, scaledWeights } from "@deberta/testing";
import { afterAll, describe, expect, it } from "vitest";
import { DebertaForMaskedLM } from "./masked-lm.js";
import { DebertaForSequenceClassification } from "./sequence-classification.js";

const backend = await resolveBackend("cpu");
afterAll(() => backend.close());

const inputs = { input_ids: new Tensor("int64", BigInt64Array.of(1n, 17n, 250n, 9n, 2n), [1, 5]) };

async function rejection(promise: Promise<unknown>): Promise<ModelError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ModelError);
  return error as ModelError;
}

describe("head calls and float16 overflow (CPU, checks asked for)", () => {
  it("reject an overflow in the head's classifier before returning outputs; off by default on float32", async () => {
    const dir = path.join(modelsDir(), "base-like", "seqcls");
    const model = await DebertaForSequenceClassification.from_pretrained(dir, {
      backend,
      weights: scaledWeights(await readWeightsFromDir(dir), { "classifier.weight": 1e9 }),
    });
    try {
      // Without checks the float32 logits are simply large: float32 holds them.
      const { logits } = await model(inputs);
      expect(Math.max(...Array.from(logits!.data as Float32Array, Math.abs))).toBeGreaterThan(65504);
      await expect(model({ ...inputs, check_fp16_overflow: false })).resolves.toBeDefined();
      const error = await rejection(model({ ...inputs, check_fp16_overflow: true }));
      expect(error.code).toBe("MODEL_FP16_OVERFLOW");
      expect(error.layer).toBe("classifier");
      expect(error.message).toMatch(/^fp16 overflow in classifier \(task head\)/);
      // A rejected call leaves nothing behind (the first one also dropped the cached relative projections).
      const live = backend.memory().tensors;
      await rejection(model({ ...inputs, check_fp16_overflow: true }));
      expect(backend.memory().tensors).toBe(live);
    } finally {
      model.dispose();
    }
  });

  it("name a tied MLM decoder after its own module", async () => {
    const dir = path.join(modelsDir(), "base-like", "mlm");
    const plain = await DebertaForMaskedLM.from_pretrained(dir, { backend });
    try {
      await expect(plain({ ...inputs, check_fp16_overflow: true })).resolves.toBeDefined();
    } finally {
      plain.dispose();
    }
    const model = await DebertaForMaskedLM.from_pretrained(dir, {
      backend,
      weights: scaledWeights(await readWeightsFromDir(dir), { "lm_predictions.lm_head.bias": 1e6 }),
    });
    try {
      const error = await rejection(model({ ...inputs, check_fp16_overflow: true }));
      expect(error.layer).toBe("lm_predictions.lm_head");
    } finally {
      model.dispose();
    }
  });
});
