// Every head checkpoint of the fixtures against its float64 reference, through the checks every backend
// shares (fixture-check.ts): logits (start/end for QA) and loss within 1e-5, argmax identical, hidden
// states and attentions within 1e-4 — at non-padding positions for per-token outputs.
import { registerCpuBackend } from "@deberta/backend-cpu";
import { backendRegistry, resolveBackend, Tensor } from "@deberta/tensor";
import { afterAll, describe, expect, it } from "vitest";
import { HeadError } from "./errors.js";
import { checkFixture, type ReferenceTensor } from "./fixture-check.js";
import type { DebertaPreTrainedModel, HeadCallOutputs } from "./pretrained.js";
import { headRegistry } from "./registry.js";
import { expectedTensor, type Fixture, loadFixture } from "./test-support.js";

const CHECKPOINTS = [
  "base-like/seqcls",
  "base-like/seqcls-bin",
  "base-like/seqcls-f16",
  "base-like/seqcls-bf16",
  "base-like/seqcls-regression",
  "base-like/seqcls-multilabel",
  "base-like/tokcls",
  "base-like/qa",
  "base-like/mlm",
  "base-like/mlm-bin",
  "base-like/mlm-bin-legacy",
  "base-like/mlm-legacy",
  "base-like/mlm-legacy-bin",
  "span8-types/seqcls",
  "span8-types/mlm",
  "absolute-only/seqcls",
  "p2c-only/seqcls",
  // DebertaModel checkpoints (no head): last_hidden_state, hidden states and attentions.
  "base-like/model",
  "base-like/model-bin",
  "base-like/model-bin-legacy",
  "absolute-only/model",
  "p2c-only/model",
  "span8-types/model",
];

const backend = await resolveBackend("cpu");
afterAll(() => backend.close());

function asInput(t: { shape: number[]; data: Float64Array }, dtype: "int64" | "float32"): Tensor {
  return dtype === "int64"
    ? new Tensor(
        "int64",
        BigInt64Array.from(t.data, (v) => BigInt(v)),
        t.shape,
      )
    : new Tensor("float32", Float32Array.from(t.data), t.shape);
}

async function run(
  name: string,
): Promise<{ f: Fixture; out: HeadCallOutputs; model: DebertaPreTrainedModel }> {
  const f = await loadFixture(name);
  const architecture = f.config.architectures?.[0] ?? "";
  const Head = headRegistry.get(architecture);
  if (Head === undefined) throw new Error(`no head for ${architecture}`);
  const model = await Head.from_pretrained(f.dir, { backend, config: f.config });
  const labelOf = (key: string) => {
    const t = f.expected.get(key);
    if (t === undefined) return undefined;
    return asInput(expectedTensor(f, key), t.data instanceof Float32Array ? "float32" : "int64");
  };
  const hasStates = f.expected.has("hidden_states.0");
  const out = await model({
    input_ids: asInput(expectedTensor(f, "input_ids"), "int64"),
    attention_mask: asInput(expectedTensor(f, "attention_mask"), "int64"),
    token_type_ids: asInput(expectedTensor(f, "token_type_ids"), "int64"),
    ...(labelOf("labels.labels") ? { labels: labelOf("labels.labels")! } : {}),
    ...(labelOf("labels.start_positions")
      ? {
          start_positions: labelOf("labels.start_positions")!,
          end_positions: labelOf("labels.end_positions")!,
        }
      : {}),
    output_hidden_states: hasStates,
    output_attentions: hasStates,
  });
  return { f, out, model };
}

describe.each(CHECKPOINTS)("%s", (name) => {
  it("matches the float64 reference", async () => {
    const f = await loadFixture(name);
    const Head = headRegistry.get(f.config.architectures?.[0] ?? "");
    if (Head === undefined) throw new Error(`no head for ${f.config.architectures?.[0]}`);
    const model = await Head.from_pretrained(f.dir, { backend, config: f.config });
    expect(model.loading_info.unexpected_keys).toEqual([]);
    const checks = await checkFixture(model, f.expected as Map<string, ReferenceTensor>);
    model.dispose();
    expect(checks.length).toBeGreaterThan(0);
    expect(checks.filter((c) => !c.pass).map((c) => `${c.name}: ${c.maxError} > ${c.tolerance}`)).toEqual([]);
  });
});

describe("output_attention_terms", () => {
  // Every head's call (the fixture checks above compare the terms with the reference on every checkpoint).
  it.each([
    ["base-like/model", ["c2c", "c2p", "p2c"]],
    ["base-like/seqcls", ["c2c", "c2p", "p2c"]],
    ["base-like/tokcls", ["c2c", "c2p", "p2c"]],
    ["base-like/qa", ["c2c", "c2p", "p2c"]],
    ["base-like/mlm", ["c2c", "c2p", "p2c"]],
    ["p2c-only/seqcls", ["c2c", "p2c"]],
    ["absolute-only/seqcls", ["c2c"]],
  ])("%s returns %j per layer as float32 Tensors and frees them on the backend", async (name, terms) => {
    const f = await loadFixture(name);
    const model = await headRegistry
      .get(f.config.architectures![0]!)!
      .from_pretrained(f.dir, { backend, config: f.config });
    try {
      const inputs = {
        input_ids: asInput(expectedTensor(f, "input_ids"), "int64"),
        attention_mask: asInput(expectedTensor(f, "attention_mask"), "int64"),
      };
      const [batch, length] = inputs.input_ids.dims as [number, number];
      // A first call fills the model's cache of relative-position projections; the second leaves nothing.
      expect((await model(inputs)).attention_terms).toBeUndefined();
      const before = backend.memory().tensors;
      const out = await model({ ...inputs, output_attention_terms: true });
      expect(backend.memory().tensors).toBe(before);
      expect(out.attention_terms).toHaveLength(f.config.num_hidden_layers);
      for (const layer of out.attention_terms!) {
        expect(Object.keys(layer).sort()).toEqual(terms);
        for (const t of Object.values(layer)) {
          expect(t.type).toBe("float32");
          expect(t.dims).toEqual([batch, f.config.num_attention_heads, length, length]);
        }
      }
      expect(out.attentions).toBeUndefined();
    } finally {
      model.dispose();
    }
  });
});

describe("head inputs", () => {
  it("labels of the wrong size name the argument", async () => {
    const { model, f } = await run("base-like/tokcls");
    try {
      await model({
        input_ids: asInput(expectedTensor(f, "input_ids"), "int64"),
        labels: new Tensor("int64", BigInt64Array.of(1n, 2n), [2]),
      });
      throw new Error("expected a HeadError");
    } catch (e) {
      expect(e).toBeInstanceOf(HeadError);
      expect((e as HeadError).argument).toBe("labels");
    }
  });

  it("a disposed model fails clearly", async () => {
    const { model, f } = await run("base-like/qa");
    model.dispose();
    await expect(model({ input_ids: asInput(expectedTensor(f, "input_ids"), "int64") })).rejects.toThrow(
      /disposed/,
    );
  });
});

describe("device", () => {
  it("with no backend registered, device 'cpu' fails naming the package to install and the line that registers it", async () => {
    backendRegistry.unregister("cpu");
    try {
      const f = await loadFixture("base-like/seqcls");
      const Head = headRegistry.get("DebertaForSequenceClassification")!;
      const error = await Head.from_pretrained(f.dir, { device: "cpu" }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(HeadError);
      expect(error).toMatchObject({ code: "HEAD_NO_BACKEND", argument: "device" });
      expect((error as HeadError).message).toContain(
        'import { registerCpuBackend } from "@deberta/backend-cpu"; registerCpuBackend();',
      );
      expect((error as HeadError).message).toContain("npm install @deberta/backend-cpu");
      const webgpu = await Head.from_pretrained(f.dir, { device: "webgpu" }).catch((e: unknown) => e);
      expect((webgpu as HeadError).message).toContain("registerWebGpuBackend();");
    } finally {
      registerCpuBackend();
    }
  });

  it("device 'cpu' resolves the backend the application registered", async () => {
    const f = await loadFixture("base-like/seqcls");
    const model = await headRegistry
      .get("DebertaForSequenceClassification")!
      .from_pretrained(f.dir, { device: "cpu" });
    expect(model.backend.name).toBe("cpu");
    model.dispose();
  });

  it("dispose frees the model's weights on a shared backend and leaves the backend open", async () => {
    const before = backend.memory();
    const { model, f } = await run("base-like/mlm");
    expect(backend.memory().tensors).toBeGreaterThan(before.tensors);
    model.dispose();
    expect(backend.memory()).toMatchObject({ tensors: before.tensors, bytesInUse: before.bytesInUse });
    const again = await run("base-like/mlm");
    expect(again.f.dir).toBe(f.dir);
    again.model.dispose();
  });

  it("a model whose backend from_pretrained created closes it on dispose", async () => {
    const f = await loadFixture("base-like/seqcls");
    const model = await headRegistry
      .get("DebertaForSequenceClassification")!
      .from_pretrained(f.dir, { device: "cpu" });
    model.dispose();
    expect(() => model.backend.upload(new Tensor("float32", Float32Array.of(1), [1]))).toThrow(/closed/);
  });
});
