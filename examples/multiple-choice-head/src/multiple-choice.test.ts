// DebertaForMultipleChoice against a float64 computation, on every backend.
//
// The checkpoint is built here from the base-like/seqcls fixture: its encoder and pooler weights, and a
// one-unit classifier, with architectures ["DebertaForMultipleChoice"]. The fixture's four input rows become
// 2 examples × 2 choices. The reference: the fixture's last hidden states (transformers, in float64, for
// these weights and inputs), then the pooler (token 0 → dense → gelu), the classifier and the cross-entropy
// computed here in float64.
//
// The classifier: the fixture's 3-label one (row 2 − row 0) would give logits that differ between rows by
// about the tolerance (a tiny random model pools its [CLS] states almost alike), so a head that mixed up its
// choices could pass. Its weight is instead 20 × the unit vector from row 0's pooled state to row 3's
// (float64, then rounded to float32 as stored), its bias bias[2] − bias[0] of the fixture's classifier: the
// choices' logits then differ by over a hundred tolerances (the test checks it).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createCpuBackend } from "@deberta/backend-cpu";
import { createWebGpuBackend } from "@deberta/backend-webgpu";
import { DebertaConfig } from "@deberta/config";
import { type HeadCallInputs, HeadError, HeadRegistry, headRegistry } from "@deberta/heads";
import { checkConcurrentCalls } from "@deberta/heads/fixture-check";
import { readWeightsFile, type WeightTensor, writeSafetensors } from "@deberta/hub";
import { type Backend, Tensor } from "@deberta/tensor";
import { afterAll, describe, expect, it } from "vitest";
import { DebertaForMultipleChoice, registerMultipleChoiceHead } from "./index.js";

const TOLERANCE = 1e-5;
const CHOICES = 2;
const LABELS = [1, 0];

/** ../shared/fixtures beside the repository root (or $DEBERTA_FIXTURES). */
function fixturesDir(): string {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
  return process.env.DEBERTA_FIXTURES ?? path.resolve(root, "../shared/fixtures");
}

const source = path.join(fixturesDir(), "models", "base-like", "seqcls");
const weights = await readWeightsFile(path.join(source, "model.safetensors"));
const expected = await readWeightsFile(path.join(source, "expected.safetensors"));

const f64 = (t: WeightTensor | undefined, name: string): Float64Array => {
  if (t === undefined) throw new Error(`missing ${name}`);
  return Float64Array.from(t.data as ArrayLike<number>, Number);
};
const weight = (name: string) => f64(weights.get(name), name);

// The float64 reference, part 1: the pooled state of each row, from the last hidden states.
const sourceConfig = await DebertaConfig.from_pretrained(source);
expect(sourceConfig.pooler_hidden_act).toBe("gelu");
const lastState = `hidden_states.${sourceConfig.num_hidden_layers}`;
const hidden = expected.get(lastState);
if (hidden === undefined) throw new Error(`${source}/expected.safetensors has no ${lastState}`);
const [rows, length, width] = hidden.shape as [number, number, number];
const states = f64(hidden, lastState);

function erf(x: number): number {
  // Taylor series below 2.5, Laplace's continued fraction for erfc above: float64-accurate.
  const ax = Math.abs(x);
  let r: number;
  if (ax < 2.5) {
    let sum = ax;
    let term = ax;
    for (let n = 1; n < 80; n++) {
      term *= (-ax * ax) / n;
      sum += term / (2 * n + 1);
    }
    r = (2 / Math.sqrt(Math.PI)) * sum;
  } else {
    let f = 0;
    for (let n = 60; n >= 1; n--) f = n / 2 / (ax + f);
    r = 1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + f);
  }
  return x < 0 ? -r : r;
}
const gelu = (x: number) => 0.5 * x * (1 + erf(x / Math.SQRT2));

const poolerW = weight("pooler.dense.weight");
const poolerB = weight("pooler.dense.bias");
const pooled = poolerB.length;
const pooledStates = Array.from({ length: rows }, (_, r) => {
  const token = states.subarray(r * length * width, r * length * width + width);
  return Float64Array.from({ length: pooled }, (_, o) => {
    let z = poolerB[o]!;
    for (let i = 0; i < width; i++) z += poolerW[o * width + i]! * token[i]!;
    return gelu(z);
  });
});

// The one-unit classifier (see the top), as stored: float32.
const direction = pooledStates[rows - 1]!.map((v, j) => v - pooledStates[0]![j]!);
const norm = Math.hypot(...direction);
const classifierW = Float64Array.from(direction, (v) => Math.fround((20 * v) / norm));
const seqclsB = weight("classifier.bias");
const classifierB = Math.fround(seqclsB[2]! - seqclsB[0]!);

// The checkpoint, in a temporary folder.
const dir = mkdtempSync(path.join(tmpdir(), "deberta-multiple-choice-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
{
  const tensors = new Map<string, { dtype: "F32"; shape: number[]; data: ArrayLike<number> }>();
  for (const [name, t] of weights) {
    if (!name.startsWith("classifier."))
      tensors.set(name, { dtype: "F32", shape: t.shape, data: f64(t, name) });
  }
  tensors.set("classifier.weight", { dtype: "F32", shape: [1, pooled], data: classifierW });
  tensors.set("classifier.bias", { dtype: "F32", shape: [1], data: [classifierB] });
  writeFileSync(path.join(dir, "model.safetensors"), writeSafetensors(tensors));
  const json = JSON.parse(await readFile(path.join(source, "config.json"), "utf8"));
  delete json.id2label;
  delete json.label2id;
  json.architectures = ["DebertaForMultipleChoice"];
  writeFileSync(path.join(dir, "config.json"), JSON.stringify(json, null, 2));
}
const config = await DebertaConfig.from_pretrained(dir);

// The float64 reference, part 2: logits [rows] (= [examples, choices] row-major) and the loss.
const referenceLogits = pooledStates.map((p) => p.reduce((z, v, j) => z + classifierW[j]! * v, classifierB));
const referenceLoss =
  LABELS.reduce((total, y, b) => {
    const z = referenceLogits.slice(b * CHOICES, (b + 1) * CHOICES);
    const max = Math.max(...z);
    const logSum = max + Math.log(z.reduce((s, v) => s + Math.exp(v - max), 0));
    return total + logSum - z[y]!;
  }, 0) / LABELS.length;
// Every two rows' logits differ by far more than the tolerance: a head that mixed up rows or choices fails.
const closest = Math.min(
  ...referenceLogits.flatMap((a, i) => referenceLogits.slice(i + 1).map((b) => Math.abs(a - b))),
);
expect(closest).toBeGreaterThan(100 * TOLERANCE);

// The fixture's [4, length] inputs as [2, 2, length].
const perChoice = (name: string) => {
  const t = expected.get(name)!;
  return new Tensor("int64", BigInt64Array.from(t.data as ArrayLike<bigint>), [
    rows / CHOICES,
    CHOICES,
    length,
  ]);
};
const inputs = {
  input_ids: perChoice("input_ids"),
  attention_mask: perChoice("attention_mask"),
  token_type_ids: perChoice("token_type_ids"),
  labels: new Tensor("int64", BigInt64Array.from(LABELS, BigInt), [LABELS.length]),
};

const maxDifference = (got: ArrayLike<number>, want: readonly number[]) =>
  want.reduce((m, w, i) => Math.max(m, Math.abs(got[i]! - w)), 0);

/** Loads the checkpoint through the registry (as code dispatching on config.architectures does) and runs it. */
async function check(backend: Backend): Promise<void> {
  const registry = new HeadRegistry();
  registerMultipleChoiceHead(registry);
  const Head = registry.get(config.architectures![0]!);
  expect(Head).toBe(DebertaForMultipleChoice);
  // Found by model_type + task too, as the Auto classes and pipelines look heads up.
  expect(registry.resolve({ model_type: "deberta" }, "multiple-choice")).toBe(DebertaForMultipleChoice);
  const model = await Head!.from_pretrained(dir, { backend, config });
  try {
    expect(model.loading_info.unexpected_keys).toEqual([]);
    const out = await model(inputs);
    expect(out.logits!.dims).toEqual([rows / CHOICES, CHOICES]);
    expect(maxDifference(out.logits!.data as Float32Array, referenceLogits)).toBeLessThanOrEqual(TOLERANCE);
    expect(out.loss!.dims).toEqual([]);
    expect(Math.abs((out.loss!.data as Float32Array)[0]! - referenceLoss)).toBeLessThanOrEqual(TOLERANCE);
    // The pooled logits differ between choices: the check above compares something that could be wrong.
    expect(new Set(referenceLogits.map((z) => z.toFixed(4))).size).toBe(rows);
  } finally {
    model.dispose();
  }
}

describe("DebertaForMultipleChoice on the CPU backend", () => {
  it.each(["wasm", "js"] as const)(
    "%s GEMM: logits and loss within 1e-5 of float64",
    {
      timeout: 120_000,
    },
    async (gemm) => {
      const backend = await createCpuBackend({ gemm });
      try {
        await check(backend);
      } finally {
        backend.close();
      }
    },
  );

  it("names the argument at fault", { timeout: 120_000 }, async () => {
    const backend = await createCpuBackend({ gemm: "js" });
    const model = await DebertaForMultipleChoice.from_pretrained(dir, { backend, config });
    try {
      const wrong = async (call: Parameters<typeof model>[0]) => {
        const error = await model(call).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(HeadError);
        return (error as HeadError).argument;
      };
      const flat = new Tensor("int64", BigInt64Array.of(1n, 5n, 2n), [1, 3]);
      expect(await wrong({ input_ids: flat })).toBe("input_ids");
      expect(await wrong({ ...inputs, attention_mask: flat })).toBe("attention_mask");
      expect(await wrong({ ...inputs, labels: new Tensor("int64", BigInt64Array.of(0n), [1]) })).toBe(
        "labels",
      );
      expect(await wrong({ ...inputs, labels: new Tensor("int64", BigInt64Array.of(0n, 2n), [2]) })).toBe(
        "labels",
      );
    } finally {
      model.dispose();
      backend.close();
    }
  });

  it("overlapping calls with different numbers of choices each return what they return alone", {
    timeout: 120_000,
  }, async () => {
    const backend = await createCpuBackend({ gemm: "wasm", threads: 2 });
    const model = await DebertaForMultipleChoice.from_pretrained(dir, { backend, config });
    try {
      // The fixture's four rows as 1 × 4, 2 × 2 and 4 × 1 choices, with labels, several times over.
      const ids = expected.get("input_ids")!.data as BigInt64Array;
      const mask = expected.get("attention_mask")!.data as BigInt64Array;
      const shaped = (examples: number): HeadCallInputs => ({
        input_ids: new Tensor("int64", ids, [examples, rows / examples, length]),
        attention_mask: new Tensor("int64", mask, [examples, rows / examples, length]),
        labels: new Tensor("int64", new BigInt64Array(examples), [examples]),
      });
      const calls = Array.from({ length: 12 }, (_, i) => shaped([1, 2, 4][i % 3]!));
      const { mismatches, compared } = await checkConcurrentCalls(model, calls);
      expect(mismatches).toEqual([]);
      expect(compared).toBe(2 * calls.length);
    } finally {
      model.dispose();
      backend.close();
    }
  });

  it("registers in the shared registry only when asked", () => {
    expect(headRegistry.get("DebertaForMultipleChoice")).toBeUndefined();
    registerMultipleChoiceHead();
    expect(headRegistry.get("DebertaForMultipleChoice")).toBe(DebertaForMultipleChoice);
  });
});

// WebGPU where an adapter exists (Dawn on a Vulkan driver; see vitest.config.ts). A machine without one
// skips with the reason in the title; in CI, which installs the drivers, a missing adapter fails instead.
const gpu = await createWebGpuBackend().then(
  (backend) => ({ backend, reason: undefined }),
  (e: unknown) => ({ backend: undefined, reason: (e as Error).message }),
);
afterAll(() => gpu.backend?.close());
const skipGpu = gpu.backend === undefined && !process.env.CI;

describe("DebertaForMultipleChoice on the WebGPU backend", () => {
  it.skipIf(skipGpu)(
    skipGpu
      ? `f32: logits and loss within 1e-5 of float64 — skipped: ${gpu.reason}`
      : "f32: logits and loss within 1e-5 of float64",
    { timeout: 120_000 },
    async () => {
      if (gpu.backend === undefined) throw new Error(`no WebGPU backend: ${gpu.reason}`);
      await check(gpu.backend);
    },
  );
});
