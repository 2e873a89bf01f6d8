// Dynamic batching never changes an answer: requests of different lengths sent together (held in the queue
// with pause() until all are there, so that they share batches for certain) get what each gets alone. "The
// same" is expectSameAnswer's: labels, words and offsets identical, numbers within 1e-5.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  expectSameAnswer,
  fixtureModel,
  metric,
  startServer,
  type TestServer,
  until,
} from "./test-support.js";

interface Call {
  route: string;
  body: unknown;
}

/**
 * Each call alone (nothing else queued), then all at once, held in the queue until all `inputs` are there,
 * so that they share batches for certain.
 */
async function soloAndTogether(s: TestServer, calls: readonly Call[], inputs: number) {
  const solo = [];
  for (const c of calls) {
    const r = await s.post(c.route, c.body);
    expect(r.status, `${c.route} ${JSON.stringify(c.body)}: ${JSON.stringify(r.body)}`).toBe(200);
    solo.push(r.body);
  }
  const before = await s.get("/metrics");
  const count = (text: string) => metric(text, "deberta_batch_size_count") ?? 0;
  const padding = (text: string) =>
    (metric(text, "deberta_batch_padded_tokens_sum") ?? 0) - (metric(text, "deberta_tokens_total") ?? 0);
  s.server.batcher.pause();
  const together = Promise.all(calls.map((c) => s.post(c.route, c.body)));
  await until(() => s.server.batcher.queued === inputs, `${inputs} inputs to be queued`);
  s.server.batcher.resume();
  const answers = await together;
  const after = await s.get("/metrics");
  return {
    solo,
    answers,
    batches: count(after.text) - count(before.text),
    padding: padding(after.text) - padding(before.text),
  };
}

describe("batched answers equal solo answers", () => {
  let s: TestServer;
  beforeAll(async () => {
    // No waiting for company: a request sent alone runs alone.
    s = await startServer({ maxBatchWaitMs: 0 });
  });
  afterAll(() => s.close());

  it("on the demo model: /predict, /embed, /rerank and the pipelines, inputs of many lengths, padded together", async () => {
    const words = (n: number, seed: number) =>
      Array.from(
        { length: n },
        (_, i) => ["soccer", "men", "playing", "a", "game", "with", "sport", "Berlin"][(i * 7 + seed) % 8],
      ).join(" ");
    const calls: Call[] = [];
    for (let i = 0; i < 6; i++) {
      calls.push({ route: "/predict", body: { inputs: words(3 + i * 4, i) } });
      calls.push({ route: "/predict", body: { inputs: [words(2 + i, i), words(9 - i, i + 1)] } });
      calls.push({ route: "/embed", body: { inputs: [words(1 + i * 3, i), words(12 - i, i)] } });
    }
    calls.push({
      route: "/predict",
      body: { inputs: [words(4, 1), [words(3, 2), words(5, 3)], words(15, 4)], raw_scores: true },
    });
    // Over the model's 64 tokens: cut to 64 and batched with the others of its bucket.
    calls.push({ route: "/predict", body: { inputs: words(90, 5), truncate: true } });
    calls.push({ route: "/embed", body: { inputs: words(90, 6), truncate: true } });
    calls.push({
      route: "/rerank",
      body: { query: words(5, 1), texts: [words(3, 2), words(11, 3), words(7, 4)] },
    });
    calls.push({
      route: "/rerank",
      body: { query: words(4, 2), texts: [words(6, 2), words(2, 3)], raw_scores: true },
    });
    calls.push({
      route: "/pipelines/zero-shot-classification",
      body: { text: words(8, 1), candidate_labels: ["sport", "cooking"] },
    });
    calls.push({
      route: "/pipelines/zero-shot-classification",
      body: { text: words(13, 2), candidate_labels: ["sport", "cooking"] },
    });
    calls.push({ route: "/pipelines/feature-extraction", body: { text: words(6, 3) } });
    calls.push({ route: "/pipelines/feature-extraction", body: { text: words(6, 4) } });
    calls.push({ route: "/pipelines/feature-extraction", body: { text: words(9, 4), pooling: "mean" } });
    calls.push({ route: "/pipelines/feature-extraction", body: { text: words(4, 5), pooling: "mean" } });
    calls.push({ route: "/pipelines/text-classification", body: { text: words(10, 1), top_k: 2 } });
    calls.push({ route: "/pipelines/text-classification", body: { text: words(5, 2), top_k: 2 } });

    // A /predict list of two strings is one pair, as in text-embeddings-inference.
    const inputs = calls.reduce((n, c) => {
      const b = c.body as { inputs?: unknown; texts?: unknown[] };
      if (Array.isArray(b.texts)) return n + b.texts.length;
      if (Array.isArray(b.inputs) && !(b.inputs.length === 2 && c.route === "/predict"))
        return n + b.inputs.length;
      return n + 1;
    }, 0);
    const { solo, answers, batches, padding } = await soloAndTogether(s, calls, inputs);
    answers.forEach((r, i) => {
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expectSameAnswer(r.body, solo[i], `${calls[i]!.route} ${JSON.stringify(calls[i]!.body)}`);
    });
    // Far fewer forwards than inputs, and rows of different lengths were padded to share them.
    expect(batches).toBeLessThan(inputs / 2);
    expect(padding).toBeGreaterThan(0);
  });
});

describe("batched answers equal solo answers on the other heads", () => {
  const heads: [string, string, unknown[]][] = [
    [
      "tokcls",
      "token-classification",
      // Two options keys (aggregation_strategy), lengths (in tokens) in a few buckets.
      [
        { text: "My name is Wolfgang and I live in Berlin." }, // 20 tokens
        { text: "Clara and Sarah went to London and to Paris last summer." }, // 30
        { text: "Clara went to Paris." }, // 13
        { text: "Berlin is nice", aggregation_strategy: "simple" }, // 9
        { text: "Wolfgang lives in Berlin", aggregation_strategy: "simple" }, // 14
        { text: "Sarah lives in London.", aggregation_strategy: "simple" }, // 15
      ],
    ],
    [
      "qa",
      "question-answering",
      [
        { question: "Where do I live?", context: "My name is Wolfgang and I live in Berlin." },
        { question: "Who lives in Berlin?", context: "Wolfgang lives in Berlin. Sarah lives in London." },
        {
          question: "Where?",
          // Longer than a 64-token window: several windows, batched with the others.
          context: Array.from({ length: 30 }, (_, i) => `Person ${i} lives in town ${i}.`).join(" "),
        },
      ],
    ],
    [
      "mlm",
      "fill-mask",
      [
        { text: "Paris is the [MASK] of France." }, // 14 tokens
        { text: "Hi [MASK]." }, // 7
        { text: "The [MASK] sat on the mat and then it [MASK] away." }, // 22
        { text: "The [MASK] sat on the mat." },
      ],
    ],
  ];
  for (const [head, task, values] of heads) {
    it(`${head}: /pipelines/${task}`, async () => {
      const s = await startServer({ model: fixtureModel(head), maxBatchWaitMs: 0 });
      try {
        const calls = values.map((body) => ({ route: `/pipelines/${task}`, body }));
        const { solo, answers, batches } = await soloAndTogether(s, calls, values.length);
        answers.forEach((r, i) => {
          expect(r.status, JSON.stringify(r.body)).toBe(200);
          expectSameAnswer(r.body, solo[i], JSON.stringify(values[i]));
        });
        expect(batches).toBeLessThan(values.length);
      } finally {
        await s.close();
      }
    });
  }
});
