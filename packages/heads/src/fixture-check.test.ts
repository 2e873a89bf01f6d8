// The shared fixture checks must catch what they claim to: an error just past a tolerance, a changed
// argmax, a missing output — not only pass on correct models.
import { resolveBackend, Tensor } from "@deberta/tensor";
import { afterAll, describe, expect, it } from "vitest";
import { compareWithReference, fixtureCallInputs, type ReferenceTensor } from "./fixture-check.js";
import { headRegistry } from "./registry.js";
import { loadFixture } from "./test-support.js";

const backend = await resolveBackend("cpu");
afterAll(() => backend.close());

async function outputs(name: string) {
  const f = await loadFixture(name);
  const Head = headRegistry.get(f.config.architectures![0]!)!;
  const model = await Head.from_pretrained(f.dir, { backend, config: f.config });
  const expected = f.expected as Map<string, ReferenceTensor>;
  return { expected, out: await model(fixtureCallInputs(expected)) };
}

const failing = (checks: { name: string; pass: boolean }[]) =>
  checks.filter((c) => !c.pass).map((c) => c.name);

describe("fixture checks", () => {
  it("pass on the model's own outputs", async () => {
    const { expected, out } = await outputs("base-like/seqcls");
    expect(failing(compareWithReference(expected, out))).toEqual([]);
  });

  it("fail on logits 2e-5 off, and on a hidden state 2e-4 off at a real token", async () => {
    const { expected, out } = await outputs("base-like/seqcls");
    const logits = Float32Array.from(out.logits!.data as Float32Array);
    logits[0]! += 2e-5;
    const state = out.hidden_states![1]!;
    const shifted = Float32Array.from(state.data as Float32Array);
    shifted[0]! += 2e-4;
    const checks = compareWithReference(expected, {
      ...out,
      logits: new Tensor("float32", logits, out.logits!.dims),
      hidden_states: out.hidden_states!.map((h, i) => (i === 1 ? new Tensor("float32", shifted, h.dims) : h)),
    });
    expect(failing(checks)).toEqual(["logits", "hidden_states.1"]);
  });

  it("ask for the attention terms, and fail on a term 1e-3 off at a real token or on terms not returned", async () => {
    const { expected, out } = await outputs("base-like/seqcls");
    expect(fixtureCallInputs(expected).output_attention_terms).toBe(true);
    expect(fixtureCallInputs(expected, { attentionTerms: false }).output_attention_terms).toBe(false);
    expect(out.attention_terms).toHaveLength(2);
    // Token 1 of row 0 is real: 1e-3 on one score moves a probability by ~2e-5 only (attention is near
    // uniform in these checkpoints), under the probabilities' 1e-4, but the scores' check sees it.
    const c2p = out.attention_terms![0]!.c2p!;
    const shifted = Float32Array.from(c2p.data as Float32Array);
    shifted[1]! += 1e-3;
    const terms = out.attention_terms!.map((t, i) =>
      i === 0 ? { ...t, c2p: new Tensor("float32", shifted, c2p.dims) } : t,
    );
    expect(failing(compareWithReference(expected, { ...out, attention_terms: terms }))).toEqual([
      "attention_terms.0 (sum vs log attentions.0)",
    ]);
    // One far off: the probabilities' check fails too.
    shifted[1]! += 1;
    expect(failing(compareWithReference(expected, { ...out, attention_terms: terms }))).toEqual([
      "attention_terms.0 (softmax vs attentions.0)",
      "attention_terms.0 (sum vs log attentions.0)",
    ]);
    const { attention_terms: _, ...without } = out;
    expect(failing(compareWithReference(expected, without))).toEqual([
      "attention_terms.0 (not returned)",
      "attention_terms.1 (not returned)",
    ]);
    expect(failing(compareWithReference(expected, without, { attentionTerms: false }))).toEqual([]);
  });

  it("fail on a changed argmax and on missing outputs", async () => {
    const { expected, out } = await outputs("base-like/tokcls");
    const logits = Float32Array.from(out.logits!.data as Float32Array);
    const width = out.logits!.dims[2]!;
    // Make the last label win the first token's row by far.
    logits[width - 1] = 100;
    const checks = compareWithReference(expected, {
      logits: new Tensor("float32", logits, out.logits!.dims),
      ...(out.loss ? { loss: out.loss } : {}),
    });
    expect(failing(checks)).toEqual(
      expect.arrayContaining([
        "logits",
        "argmax of logits (rows differing)",
        "hidden_states.0 (not returned)",
      ]),
    );
  });

  it("with scaled tolerances, accept errors under the scale and skip only near-tie rows' argmax", async () => {
    const { expected, out } = await outputs("base-like/tokcls");
    const logits = Float32Array.from(out.logits!.data as Float32Array);
    logits[0]! += 2e-3; // over 1e-5, under 2⁸ × 1e-5
    const checks = compareWithReference(
      expected,
      { ...out, logits: new Tensor("float32", logits, out.logits!.dims) },
      { toleranceScale: 256 },
    );
    expect(failing(checks)).toEqual([]);
    // A flipped row that is no near-tie still fails the argmax check.
    const width = out.logits!.dims[2]!;
    logits[width - 1] = 100;
    const flipped = compareWithReference(
      expected,
      { ...out, logits: new Tensor("float32", logits, out.logits!.dims) },
      { toleranceScale: 256 },
    );
    expect(failing(flipped)).toContain("argmax of logits (rows differing)");
  });
});
