// Activations beyond float16's range on the WebGPU f16 path. Its stores saturate at ±65504, so an overflow
// would come back finite and wrong; instead the call rejects with ModelError MODEL_FP16_OVERFLOW naming the
// layer. A v1 and a v2 fixture (base-like/seqcls, v3-like/ForSequenceClassification), each with weights scaled
// so that, in a float32 run on the CPU backend, either a hidden state exceeds 65504 (asserted on
// output_hidden_states) or a feed-forward layer's output does while every hidden state stays small (asserted
// with the CPU run's own float32 checks); as they are, both run without error (and the v1 fixtures match their
// reference in fixtures-f16.test.ts, checks included). Runs in the "f16" test project (an adapter with
// shader-f16 where one is installed); skipped with that reason otherwise.
import path from "node:path";
import { CpuBackend } from "@deberta/backend-cpu";
import { type DebertaPreTrainedModel, type HeadCallInputs, headRegistry, ModelError } from "@deberta/heads";
import { fixtureCallInputs, LOGIT_TOLERANCE, type ReferenceTensor } from "@deberta/heads/fixture-check";
import { readWeightsFile, readWeightsFromDir } from "@deberta/hub";
import type { Backend, Tensor } from "@deberta/tensor";
import { type Fp16OverflowCase, fp16OverflowCases, scaledWeights } from "@deberta/testing";
import { afterAll, describe, expect, it } from "vitest";
import { hasF16 } from "../test/adapter.js";
import { createWebGpuBackend } from "./create.js";

const FLOAT16_MAX = 65504;
const gpu = hasF16 ? await createWebGpuBackend({ dtype: "fp16" }) : undefined;
const cpu = new CpuBackend();
afterAll(() => {
  gpu?.close();
  cpu.close();
});

type Case = Fp16OverflowCase;
const CASES = fp16OverflowCases();

async function load(
  backend: Backend,
  c: Case,
  factors: Record<string, number> = {},
): Promise<DebertaPreTrainedModel> {
  const Head = headRegistry.get(c.head)!;
  return Head.from_pretrained(c.dir, {
    backend,
    weights: scaledWeights(await readWeightsFromDir(c.dir), factors),
  });
}

/** The fixture's ids and mask, as its reference was computed (the overflow checks need no other output). */
async function fixtureInputs(c: Case): Promise<HeadCallInputs> {
  const expected = await readWeightsFile(path.join(c.dir, "expected.safetensors"));
  const { input_ids, attention_mask } = fixtureCallInputs(expected as Map<string, ReferenceTensor>);
  return { input_ids, attention_mask };
}

const largest = (tensors: readonly Tensor[]): number =>
  Math.max(...tensors.map((t) => Math.max(...Array.from(t.data as Float32Array, Math.abs))));

async function rejection(promise: Promise<unknown>): Promise<ModelError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ModelError);
  return error as ModelError;
}

describe.skipIf(!hasF16).each(CASES)(
  hasF16 ? "$family on webgpu f16" : "$family on webgpu f16 — skipped: the adapter has no shader-f16",
  (c) => {
    it("runs as it is without an overflow", async () => {
      const model = await load(gpu!, c);
      try {
        const { logits } = await model(await fixtureInputs(c));
        expect(Array.from(logits!.data as Float32Array).every(Number.isFinite)).toBe(true);
      } finally {
        model.dispose();
      }
    });

    it("rejects a hidden state beyond 65504 (float32 on the CPU), naming its LayerNorm", async () => {
      const inputs = await fixtureInputs(c);
      const reference = await load(cpu, c, c.hidden.factors);
      try {
        const { hidden_states } = await reference({ ...inputs, output_hidden_states: true });
        expect(largest(hidden_states!)).toBeGreaterThan(FLOAT16_MAX);
      } finally {
        reference.dispose();
      }
      const model = await load(gpu!, c, c.hidden.factors);
      try {
        const error = await rejection(model(inputs));
        expect(error.code).toBe("MODEL_FP16_OVERFLOW");
        expect(error.layer).toBe(c.hidden.layer);
        expect(error.message).toContain(`fp16 overflow in ${c.hidden.layer}`);
      } finally {
        model.dispose();
      }
    });

    it("rejects a feed-forward output beyond 65504 that no hidden state shows, naming the layer", async () => {
      const inputs = await fixtureInputs(c);
      const reference = await load(cpu, c, c.inner.factors);
      let cpuLogits: Float32Array;
      try {
        const out = await reference({ ...inputs, output_hidden_states: true });
        expect(largest(out.hidden_states!)).toBeLessThan(FLOAT16_MAX);
        cpuLogits = out.logits!.data as Float32Array;
        // The float32 value is there: the CPU run's own checks (asked for) find it at the same layer.
        const inFloat32 = await rejection(reference({ ...inputs, check_fp16_overflow: true }));
        expect(inFloat32.layer).toBe(c.inner.layer);
      } finally {
        reference.dispose();
      }
      const model = await load(gpu!, c, c.inner.factors);
      try {
        const error = await rejection(model(inputs));
        expect(error.code).toBe("MODEL_FP16_OVERFLOW");
        expect(error.layer).toBe(c.inner.layer);
        // What the check prevents: without it the saturated pass returns finite logits, further from float32's
        // than float16's rounding allows (the fixture checks' float16 logit tolerance).
        const { logits } = await model({ ...inputs, check_fp16_overflow: false });
        const unchecked = logits!.data as Float32Array;
        expect(Array.from(unchecked).every(Number.isFinite)).toBe(true);
        const diff = Math.max(...Array.from(unchecked, (v, i) => Math.abs(v - cpuLogits[i]!)));
        expect(diff).toBeGreaterThan(LOGIT_TOLERANCE * 256);
      } finally {
        model.dispose();
      }
    });
  },
);
