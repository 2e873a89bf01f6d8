// Activations beyond float16's range on cuda float16, as on the WebGPU f16 path (backend-webgpu's
// fp16-overflow-f16.test.ts): float16 stores saturate at ±65504, so an overflow would come back finite and
// wrong; instead the call rejects with ModelError MODEL_FP16_OVERFLOW naming the layer. A v1 and a v2 fixture
// with weights scaled so that, in a float32 run on the CPU backend, a hidden state exceeds 65504 (asserted on
// output_hidden_states) or a feed-forward layer's output does while the hidden states stay small (asserted with
// the CPU run's own float32 checks). As they are, both run without error in float16; scaled, they run without
// error in bfloat16 (float32's range: nothing is checked there). Skipped, with the reason in the titles, where
// there is no GPU.
import path from "node:path";
import { CpuBackend } from "@deberta/backend-cpu";
import { type DebertaPreTrainedModel, type HeadCallInputs, headRegistry, ModelError } from "@deberta/heads";
import { fixtureCallInputs, type ReferenceTensor } from "@deberta/heads/fixture-check";
import { readWeightsFile, readWeightsFromDir } from "@deberta/hub";
import type { Backend, Tensor } from "@deberta/tensor";
import { type Fp16OverflowCase, fp16OverflowCases, scaledWeights } from "@deberta/testing";
import { afterAll, describe, expect, it } from "vitest";
import { gpuTitle, skipNoGpu } from "../test/gpu.js";
import { createCudaBackend } from "./create.js";

const FLOAT16_MAX = 65504;
const half = skipNoGpu ? undefined : await createCudaBackend({ dtype: "float16" });
const bf16 = skipNoGpu ? undefined : await createCudaBackend({ dtype: "bfloat16" });
const cpu = new CpuBackend();
afterAll(() => {
  half?.close();
  bf16?.close();
  cpu.close();
});

type Case = Fp16OverflowCase;
const CASES = fp16OverflowCases();

async function load(
  backend: Backend,
  c: Case,
  factors: Record<string, number> = {},
): Promise<DebertaPreTrainedModel> {
  return headRegistry.get(c.head)!.from_pretrained(c.dir, {
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

/** Runs `use` on the model loaded on `backend`, then frees it. */
async function withModel<T>(
  backend: Backend,
  c: Case,
  factors: Record<string, number>,
  use: (model: DebertaPreTrainedModel) => Promise<T>,
): Promise<T> {
  const model = await load(backend, c, factors);
  try {
    return await use(model);
  } finally {
    model.dispose();
  }
}

describe.skipIf(skipNoGpu).each(CASES)(gpuTitle("$family on cuda float16"), (c) => {
  it("runs as it is without an overflow", async () => {
    const { logits } = await withModel(half!, c, {}, async (m) => m(await fixtureInputs(c)));
    expect(Array.from(logits!.data as Float32Array).every(Number.isFinite)).toBe(true);
  });

  it("rejects a hidden state beyond 65504 (float32 on the CPU), naming its LayerNorm", async () => {
    const inputs = await fixtureInputs(c);
    const { hidden_states } = await withModel(cpu, c, c.hidden.factors, (m) =>
      m({ ...inputs, output_hidden_states: true }),
    );
    expect(largest(hidden_states!)).toBeGreaterThan(FLOAT16_MAX);
    const error = await withModel(half!, c, c.hidden.factors, (m) => rejection(m(inputs)));
    expect(error.code).toBe("MODEL_FP16_OVERFLOW");
    expect(error.layer).toBe(c.hidden.layer);
  });

  it("rejects a feed-forward output beyond 65504 that no hidden state shows, naming the layer", async () => {
    const inputs = await fixtureInputs(c);
    await withModel(cpu, c, c.inner.factors, async (m) => {
      const out = await m({ ...inputs, output_hidden_states: true });
      expect(largest(out.hidden_states!)).toBeLessThan(FLOAT16_MAX);
      expect((await rejection(m({ ...inputs, check_fp16_overflow: true }))).layer).toBe(c.inner.layer);
    });
    const error = await withModel(half!, c, c.inner.factors, (m) => rejection(m(inputs)));
    expect(error.code).toBe("MODEL_FP16_OVERFLOW");
    expect(error.layer).toBe(c.inner.layer);
  });

  it("runs the scaled checkpoints in bfloat16 without a check (float32's range)", async () => {
    for (const factors of [c.hidden.factors, c.inner.factors]) {
      const { logits } = await withModel(bf16!, c, factors, async (m) => m(await fixtureInputs(c)));
      expect(Array.from(logits!.data as Float32Array).every(Number.isFinite)).toBe(true);
    }
  });
});
