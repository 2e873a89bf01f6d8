// Every route's happy path on the demo model and the fixture checkpoints, each answer compared with the same
// pipeline called directly (the server adds batching and HTTP, never different numbers); /health, /info,
// /metrics (parsed as Prometheus text) and /openapi.json.
import { jsonToCall, pipeline, TASK_JSON_INPUTS, type Tensor, toJsonValue } from "deberta";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  demoModel,
  expectSameAnswer,
  fixtureModel,
  type Json,
  metric,
  startServer,
  type TestServer,
} from "./test-support.js";

const premise = "A soccer game with multiple males playing.";
const hypothesis = "Some men are playing a sport.";

/** What `deberta run` writes for one JSON object: the pipeline called as run.ts calls it. */
async function runLike(
  pipe: (...args: never[]) => Promise<unknown>,
  task: string,
  value: unknown,
): Promise<unknown> {
  const call = jsonToCall(task, value);
  const result = TASK_JSON_INPUTS[task]!.batchable
    ? ((await pipe([call.input] as never, call.options as never)) as unknown[])[0]
    : await pipe(call.input as never, call.options as never);
  return toJsonValue(result);
}

describe("routes on the demo model (a sequence classifier with NLI labels)", () => {
  let s: TestServer;
  let classify: Awaited<ReturnType<typeof pipeline<"text-classification">>>;
  let extract: Awaited<ReturnType<typeof pipeline<"feature-extraction">>>;
  let zeroShot: Awaited<ReturnType<typeof pipeline<"zero-shot-classification">>>;

  beforeAll(async () => {
    s = await startServer();
    classify = await pipeline("text-classification", demoModel);
    extract = await pipeline("feature-extraction", demoModel);
    zeroShot = await pipeline("zero-shot-classification", demoModel);
  });
  afterAll(async () => {
    await s.close();
    classify.dispose();
    extract.dispose();
    zeroShot.dispose();
  });

  it("GET /health is 200 once loaded", async () => {
    const r = await s.get("/health");
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ status: "ok" });
  });

  it("GET /info names the model, its tasks, device, dtype, input and batching limits", async () => {
    const r = await s.get("/info");
    expect(r.status).toBe(200);
    const o = s.server.options;
    expect(r.body).toMatchObject({
      model_id: demoModel,
      model_type: "deberta",
      model_dtype: "float32",
      task: "text-classification",
      tasks: ["text-classification", "zero-shot-classification", "feature-extraction"],
      device: "cpu",
      labels: ["contradiction", "neutral", "entailment"],
      // The tokenizer sets no model_max_length; the config has 64 positions.
      max_input_length: classify.model.config.max_position_embeddings,
      max_batch_tokens: o.maxBatchTokens,
      max_batch_requests: o.maxBatchRequests,
      max_batch_wait_ms: o.maxBatchWaitMs,
      max_queue: o.maxQueue,
      max_client_batch_size: o.maxClientBatchSize,
      pooling: "mean",
    });
    expect(r.body.routes).toEqual(
      expect.arrayContaining(["/predict", "/embed", "/rerank", "/pipelines/zero-shot-classification"]),
    );
  });

  it("POST /predict: a text, a [text, text_pair] pair, a list of both; every label, best first", async () => {
    const one = await s.post("/predict", { inputs: premise });
    expect(one.status).toBe(200);
    expectSameAnswer(one.body, await classify(premise, { top_k: null }));
    expect(one.body.map((l: { label: string }) => l.label).sort()).toEqual([
      "contradiction",
      "entailment",
      "neutral",
    ]);

    const pair = await s.post("/predict", { inputs: [premise, hypothesis] });
    expect(pair.status).toBe(200);
    expectSameAnswer(pair.body, await classify({ text: premise, text_pair: hypothesis }, { top_k: null }));

    const list = await s.post("/predict", { inputs: [premise, [premise, hypothesis], "Hello world"] });
    expect(list.status).toBe(200);
    expectSameAnswer(
      list.body,
      await classify([premise, { text: premise, text_pair: hypothesis }, "Hello world"], { top_k: null }),
    );
  });

  it("POST /predict with raw_scores gives the logits", async () => {
    const r = await s.post("/predict", { inputs: premise, raw_scores: true });
    expect(r.status).toBe(200);
    expectSameAnswer(r.body, await classify(premise, { top_k: null, function_to_apply: "none" }));
    const sum = r.body.reduce((n: number, l: { score: number }) => n + l.score, 0);
    expect(Math.abs(sum - 1)).toBeGreaterThan(1e-3);
  });

  it("POST /embed: one mean-pooled, normalised vector per input; normalize: false keeps the norm", async () => {
    const one = await s.post("/embed", { inputs: premise });
    expect(one.status).toBe(200);
    const expected = (await extract(premise, { pooling: "mean", normalize: true })) as Tensor;
    expectSameAnswer(one.body, [Array.from(expected.data as Float32Array)]);
    const norm = Math.hypot(...one.body[0]);
    expect(Math.abs(norm - 1)).toBeLessThan(1e-5);

    const raw = await s.post("/embed", { inputs: [premise, hypothesis], normalize: false });
    expect(raw.status).toBe(200);
    const rawExpected = (await extract([premise, hypothesis], { pooling: "mean" })) as Tensor;
    const width = rawExpected.dims[1]!;
    const data = rawExpected.data as Float32Array;
    expectSameAnswer(raw.body, [Array.from(data.subarray(0, width)), Array.from(data.subarray(width))]);
  });

  it("POST /rerank: each text scored by the entailment probability of (query, text), best first", async () => {
    const texts = [hypothesis, "A cat sleeps.", "Nobody plays."];
    const r = await s.post("/rerank", { query: premise, texts, return_text: true });
    expect(r.status).toBe(200);
    const expected = await Promise.all(
      texts.map(async (text, index) => {
        const labels = (await classify({ text: premise, text_pair: text }, { top_k: null })) as {
          label: string;
          score: number;
        }[];
        return { index, score: labels.find((l) => l.label === "entailment")!.score, text };
      }),
    );
    expected.sort((a, b) => b.score - a.score);
    expectSameAnswer(r.body, expected);
    const plain = await s.post("/rerank", { query: premise, texts });
    expect(plain.body.every((e: object) => !("text" in e))).toBe(true);
  });

  it("POST /pipelines/{task} answers what deberta run writes for the same object", async () => {
    const cases: [string, unknown][] = [
      ["text-classification", { text: premise, text_pair: hypothesis }],
      ["text-classification", { text: premise, top_k: 2 }],
      ["sentiment-analysis", premise],
      ["zero-shot-classification", { text: premise, candidate_labels: ["sport", "cooking", "politics"] }],
      ["zero-shot-classification", { text: premise, candidate_labels: "sport, cooking", multi_label: true }],
      ["feature-extraction", { text: premise, pooling: "cls", normalize: true }],
      ["feature-extraction", premise],
    ];
    for (const [task, value] of cases) {
      const r = await s.post(`/pipelines/${task}`, value);
      expect(r.status, `${task} ${JSON.stringify(value)}`).toBe(200);
      const pipe =
        task === "zero-shot-classification" ? zeroShot : task === "feature-extraction" ? extract : classify;
      expectSameAnswer(r.body, await runLike(pipe, task, value), `${task} ${JSON.stringify(value)}`);
    }
  });

  it("says which tasks it serves when asked for another (404 naming them)", async () => {
    const r = await s.post("/pipelines/fill-mask", { text: "Paris is the [MASK] of France." });
    expect(r.status).toBe(404);
    expect(r.body).toMatchObject({ code: "SERVE_NOT_FOUND", error_type: "not_found" });
    expect(r.body.error).toContain("zero-shot-classification");
  });

  it("GET /metrics is Prometheus text with request counts, queue depth, batch sizes, latency and tokens/s", async () => {
    await s.post("/predict", { inputs: premise });
    const r = await s.get("/metrics");
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toMatch(/^text\/plain/);
    // Every line is a comment (# HELP / # TYPE) or a sample: name, optional labels, a number.
    const sample =
      /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*",?)*\})? -?(\d+(\.\d+)?(e[+-]?\d+)?|NaN|\+Inf|-Inf)$/;
    for (const line of r.text.split("\n").filter((l) => l.length > 0)) {
      if (line.startsWith("# HELP ") || line.startsWith("# TYPE ")) continue;
      expect(line).toMatch(sample);
    }
    expect(
      metric(r.text, "deberta_http_requests_total", '{route="/predict",status="200"}'),
    ).toBeGreaterThanOrEqual(1);
    expect(metric(r.text, "deberta_queue_depth")).toBe(0);
    expect(metric(r.text, "deberta_batch_size_count")).toBeGreaterThanOrEqual(1);
    expect(
      metric(r.text, "deberta_http_request_duration_seconds_count", '{route="/predict"}'),
    ).toBeGreaterThanOrEqual(1);
    expect(metric(r.text, "deberta_tokens_total")).toBeGreaterThan(0);
    expect(metric(r.text, "deberta_tokens_per_second")).toBeGreaterThan(0);
    expect(metric(r.text, "deberta_ready")).toBe(1);
    expect(metric(r.text, "process_resident_memory_bytes")).toBeGreaterThan(0);
  });

  it("GET /openapi.json is an OpenAPI 3 document with every route and the request schemas", async () => {
    const r = await s.get("/openapi.json");
    expect(r.status).toBe(200);
    expect(r.body.openapi).toMatch(/^3\./);
    expect(r.body.info.title).toBe("deberta serve");
    const paths = r.body.paths as Record<string, Record<string, Json>>;
    for (const [path, method] of [
      ["/predict", "post"],
      ["/embed", "post"],
      ["/rerank", "post"],
      ["/pipelines/{task}", "post"],
      ["/health", "get"],
      ["/info", "get"],
      ["/metrics", "get"],
    ] as const) {
      expect(paths[path]?.[method], `${method} ${path}`).toBeDefined();
    }
    const predictBody = paths["/predict"]!.post.requestBody.content["application/json"].schema;
    expect(predictBody.required).toEqual(["inputs"]);
    expect(Object.keys(predictBody.properties)).toEqual(
      expect.arrayContaining(["inputs", "raw_scores", "truncate"]),
    );
    expect(paths["/pipelines/{task}"]!.post.parameters[0].schema.enum).toContain("question-answering");
  });
});

describe("routes on the other heads", () => {
  const cases: [string, string, unknown[]][] = [
    [
      "mlm",
      "fill-mask",
      [{ text: "The capital of France is [MASK]." }, { text: "Hello [MASK] world [MASK].", top_k: 2 }],
    ],
    [
      "tokcls",
      "token-classification",
      [
        { text: "My name is Wolfgang and I live in Berlin." },
        { text: "Sarah lives in London", aggregation_strategy: "simple" },
      ],
    ],
    [
      "qa",
      "question-answering",
      [
        { question: "Where do I live?", context: "My name is Wolfgang and I live in Berlin." },
        { question: "Who?", context: "Wolfgang lives in Berlin.", top_k: 3 },
      ],
    ],
    ["model", "feature-extraction", ["Hello world", { text: "Hello world", pooling: "mean" }]],
  ];
  for (const [head, task, values] of cases) {
    it(`${head}: POST /pipelines/${task} equals the pipeline's answer; /embed serves every head`, async () => {
      const s = await startServer({ model: fixtureModel(head) });
      const pipe = await pipeline(task as "fill-mask", fixtureModel(head));
      try {
        const info = await s.get("/info");
        expect(info.body.task).toBe(task);
        for (const value of values) {
          const r = await s.post(`/pipelines/${task}`, value);
          expect(r.status, JSON.stringify(r.body)).toBe(200);
          expectSameAnswer(r.body, await runLike(pipe, task, value), `${task} ${JSON.stringify(value)}`);
        }
        const embed = await s.post("/embed", { inputs: "Hello world" });
        expect(embed.status).toBe(200);
        expect(embed.body[0]).toHaveLength(32);
        const predict = await s.post("/predict", { inputs: "Hello world" });
        expect(predict.status).toBe(404);
        expect(predict.body.error).toMatch(/^\/predict needs a sequence classification model/);
      } finally {
        await s.close();
        pipe.dispose();
      }
    });
  }

  it("seqcls-regression (one label): /rerank scores with the sigmoid of its logit; raw_scores the logit", async () => {
    const s = await startServer({ model: fixtureModel("seqcls-regression") });
    const classify = await pipeline("text-classification", fixtureModel("seqcls-regression"));
    try {
      const texts = ["first text", "a second, longer text here"];
      const r = await s.post("/rerank", { query: "query", texts });
      const raw = await s.post("/rerank", { query: "query", texts, raw_scores: true });
      expect(r.status).toBe(200);
      const logits = await Promise.all(
        texts.map(async (text) => {
          const [label] = (await classify(
            { text: "query", text_pair: text },
            { top_k: null, function_to_apply: "none" },
          )) as {
            score: number;
          }[];
          return label!.score;
        }),
      );
      const byIndex = (body: { index: number; score: number }[]) =>
        [...body].sort((a, b) => a.index - b.index).map((e) => e.score);
      expectSameAnswer(byIndex(raw.body), logits);
      expectSameAnswer(
        byIndex(r.body),
        logits.map((z) => 1 / (1 + Math.exp(-z))),
      );
    } finally {
      await s.close();
      classify.dispose();
    }
  });
});
