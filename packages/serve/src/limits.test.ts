// Backpressure, bad input and lifecycle: 429 with Retry-After, 413 (body, inputs, over-long input), 400 naming
// the field, truncation, the request timeout, client disconnects dropping their queued inputs, 503 before the
// model is loaded, and random garbage that never crashes the server. The model is held busy with the
// batcher's pause(), never by timing.
import http from "node:http";
import net from "node:net";
import { Rng } from "@deberta/testing";
import { pipeline } from "deberta";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoModel, expectSameAnswer, metric, startServer, type TestServer, until } from "./test-support.js";

const long = Array.from({ length: 80 }, (_, i) => ["soccer", "men", "playing", "game"][i % 4]).join(" ");

describe("limits and bad input", () => {
  let s: TestServer;
  let classify: Awaited<ReturnType<typeof pipeline<"text-classification">>>;
  beforeAll(async () => {
    s = await startServer({ payloadLimit: 4000, maxClientBatchSize: 4 });
    classify = await pipeline("text-classification", demoModel);
  });
  afterAll(async () => {
    await s.close();
    classify.dispose();
  });

  it("413 for a body over --payload-limit", async () => {
    const r = await s.post("/predict", { inputs: "x".repeat(5000) });
    expect(r.status).toBe(413);
    expect(r.body).toMatchObject({ code: "SERVE_BODY_TOO_LARGE", field: "body", error_type: "validation" });
  });

  it("413 for more inputs than --max-client-batch-size", async () => {
    const r = await s.post("/embed", { inputs: ["a", "b", "c", "d", "e"] });
    expect(r.status).toBe(413);
    expect(r.body).toMatchObject({ code: "SERVE_TOO_MANY_INPUTS", field: "inputs" });
    const rerank = await s.post("/rerank", { query: "q", texts: ["a", "b", "c", "d", "e"] });
    expect(rerank.body).toMatchObject({ code: "SERVE_TOO_MANY_INPUTS", field: "texts" });
  });

  it("400 naming the field for invalid JSON, wrong types, missing and unknown fields", async () => {
    const cases: [string, unknown, string][] = [
      ["/predict", { inputs: 5 }, "inputs"],
      ["/predict", { inputs: ["a", 5, "c"] }, "inputs[1]"],
      ["/predict", { inputs: [["a", "b", "c"]] }, "inputs[0]"],
      ["/predict", {}, "inputs"],
      ["/predict", { inputs: [] }, "inputs"],
      ["/predict", { inputs: "a", raw_scores: "yes" }, "raw_scores"],
      ["/predict", { inputs: "a", normalise: true }, "normalise"],
      ["/predict", { inputs: "a", truncation_direction: "Left" }, "truncation_direction"],
      ["/embed", { inputs: [1] }, "inputs"],
      ["/embed", { inputs: "a", normalize: 1 }, "normalize"],
      ["/rerank", { query: "q" }, "texts"],
      ["/rerank", { query: 1, texts: ["a"] }, "query"],
      ["/rerank", { query: "q", texts: ["a", null] }, "texts[1]"],
      ["/predict", [], "body"],
      ["/pipelines/text-classification", { text_pair: "no text" }, "text"],
      ["/pipelines/text-classification", { text: 5 }, "text"],
      ["/pipelines/text-classification", { text: "a", top_k: 0 }, "top_k"],
      ["/pipelines/text-classification", { text: "a", function_to_apply: "cube" }, "function_to_apply"],
      ["/pipelines/text-classification", [1, 2], "body"],
      ["/pipelines/zero-shot-classification", { text: "a" }, "candidate_labels"],
      ["/pipelines/zero-shot-classification", { text: "a", candidate_labels: [1] }, "candidate_labels"],
      ["/pipelines/zero-shot-classification", "a bare string", "inputs"],
      ["/pipelines/feature-extraction", { text: "a", pooling: "max" }, "pooling"],
      ["/pipelines/no-such-task", { text: "a" }, "task"],
    ];
    for (const [route, body, field] of cases) {
      const r = await s.post(route, body);
      const what = `${route} ${JSON.stringify(body)}: ${JSON.stringify(r.body)}`;
      expect(r.status, what).toBe(400);
      expect(r.body.field, what).toBe(field);
      expect(r.body.error, what).toMatch(new RegExp(field.replace(/[[\]]/g, "\\$&")));
      expect(r.body.error_type, what).toBe("validation");
    }
    for (const text of ["{oops", '{"inputs": "a",}', "", "nul"]) {
      const r = await s.postRaw("/predict", text);
      expect(r.status, text).toBe(400);
      expect(r.body).toMatchObject({ code: "SERVE_INVALID_JSON", field: "body" });
    }
    const proto = await s.postRaw("/predict", '{"inputs": "a", "__proto__": {"polluted": true}}');
    expect(proto.status).toBe(400);
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
    const form = await s.postRaw("/predict", "inputs=a", "application/x-www-form-urlencoded");
    expect(form.status).toBe(415);
    expect(form.body.code).toBe("SERVE_MEDIA_TYPE");
    const route = await s.post("/nope", {});
    expect(route.status).toBe(404);
  });

  it("an input longer than the model takes: 413 unless truncate, then cut to the model's length", async () => {
    const refused = await s.post("/predict", { inputs: long });
    expect(refused.status).toBe(413);
    expect(refused.body).toMatchObject({ code: "SERVE_INPUT_TOO_LONG", field: "inputs" });
    expect(refused.body.error).toMatch(/more than the model takes \(64\)/);
    // (Two strings would be one pair.)
    const batch = await s.post("/predict", { inputs: ["short", long, "short too"] });
    expect(batch.body.field).toBe("inputs[1]");
    const embed = await s.post("/embed", { inputs: long, truncate: false });
    expect(embed.status).toBe(413);
    const rerank = await s.post("/rerank", { query: "q", texts: ["a", long] });
    expect(rerank.body.field).toBe("texts[1]");
    const fill = await s.post("/pipelines/text-classification", { text: long });
    expect(fill.status).toBe(413);
    expect(fill.body.error).toMatch(/"truncation": true/);

    const cut = await s.post("/predict", { inputs: long, truncate: true });
    expect(cut.status).toBe(200);
    expectSameAnswer(cut.body, await classify(long, { top_k: null, truncation: true, max_length: 64 }));
    const viaPipeline = await s.post("/pipelines/text-classification", { text: long, truncation: true });
    expect(viaPipeline.status).toBe(200);
    expectSameAnswer(viaPipeline.body, cut.body[0]);
    expect((await s.post("/embed", { inputs: long, truncate: true })).status).toBe(200);
  });

  it("--auto-truncate cuts when the request does not say; truncate: false still refuses", async () => {
    const auto = await startServer({ autoTruncate: true });
    try {
      expect((await auto.post("/predict", { inputs: long })).status).toBe(200);
      expect((await auto.post("/predict", { inputs: long, truncate: false })).status).toBe(413);
    } finally {
      await auto.close();
    }
  });
});

describe("backpressure, timeouts, disconnects", () => {
  it("429 with Retry-After when the queue is full; the queued request still gets its answer", async () => {
    const s = await startServer({ maxQueue: 2 });
    try {
      s.server.batcher.pause();
      // Two inputs fill the queue (an empty queue always takes a request).
      const first = s.post("/embed", { inputs: ["a", "b"] });
      await until(() => s.server.batcher.queued === 2, "the first request to be queued");
      const refused = await s.post("/predict", { inputs: "c" });
      expect(refused.status).toBe(429);
      expect(refused.body).toMatchObject({ code: "SERVE_QUEUE_FULL", error_type: "overloaded" });
      expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      const metrics = await s.get("/metrics");
      expect(metric(metrics.text, "deberta_queue_rejected_total")).toBe(1);
      expect(metric(metrics.text, "deberta_queue_depth")).toBe(2);
      expect(metric(metrics.text, "deberta_http_requests_total", '{route="/predict",status="429"}')).toBe(1);
      s.server.batcher.resume();
      expect((await first).status).toBe(200);
    } finally {
      await s.close();
    }
  });

  it("504 after --request-timeout-ms, its queued input dropped", async () => {
    const s = await startServer({ requestTimeoutMs: 500 });
    try {
      s.server.batcher.pause();
      const r = await s.post("/predict", { inputs: "never runs" });
      expect(r.status).toBe(504);
      expect(r.body).toMatchObject({ code: "SERVE_TIMEOUT", error_type: "timeout" });
      expect(s.server.batcher.queued).toBe(0);
      const metrics = await s.get("/metrics");
      expect(metric(metrics.text, "deberta_queue_dropped_total", '{reason="timeout"}')).toBe(1);
    } finally {
      await s.close();
    }
  });

  it("a client that disconnects takes its queued inputs with it: they never run", async () => {
    const s = await startServer();
    try {
      s.server.batcher.pause();
      const body = JSON.stringify({ inputs: ["one", "two", "three"] });
      const request = http.request(`${s.url}/predict`, {
        method: "POST",
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
      });
      request.on("error", () => {});
      request.end(body);
      await until(() => s.server.batcher.queued === 3, "the inputs to be queued");
      request.destroy();
      await until(() => s.server.batcher.queued === 0, "the inputs to be dropped");
      s.server.batcher.resume();
      const metrics = await s.get("/metrics");
      expect(metric(metrics.text, "deberta_queue_dropped_total", '{reason="disconnect"}')).toBe(3);
      expect(metric(metrics.text, "deberta_http_requests_total", '{route="/predict",status="499"}')).toBe(1);
      // Nothing ran: no batch at all on this server.
      expect(metric(metrics.text, "deberta_batch_size_count")).toBe(0);
      expect((await s.post("/predict", { inputs: "still serving" })).status).toBe(200);
    } finally {
      await s.close();
    }
  });
});

describe("lifecycle", () => {
  it("/health is 503 until the model is loaded; model routes are 503 meanwhile; then 200", async () => {
    const s = await startServer({ load: false });
    try {
      const health = await s.get("/health");
      expect(health.status).toBe(503);
      expect(health.body).toEqual({ status: "loading" });
      const predict = await s.post("/predict", { inputs: "a" });
      expect(predict.status).toBe(503);
      expect(predict.body).toMatchObject({ code: "SERVE_NOT_READY", error_type: "unhealthy" });
      expect((await s.get("/info")).status).toBe(503);
      expect(metric((await s.get("/metrics")).text, "deberta_ready")).toBe(0);
      await s.server.load();
      expect((await s.get("/health")).status).toBe(200);
      expect((await s.post("/predict", { inputs: "a" })).status).toBe(200);
    } finally {
      await s.close();
    }
  });

  it("a model that fails to load leaves /health at 503 failed, and load() says why", async () => {
    const s = await startServer({ model: "/nonexistent/model-folder", load: false });
    try {
      await expect(s.server.load()).rejects.toThrow(/nonexistent/);
      const health = await s.get("/health");
      expect(health.status).toBe(503);
      expect(health.body).toEqual({ status: "failed" });
    } finally {
      await s.close();
    }
  });

  it("drain() answers what is queued, then refuses new connections", async () => {
    const s = await startServer({ maxBatchWaitMs: 60_000 });
    const queued = [s.post("/predict", { inputs: "a" }), s.post("/predict", { inputs: "b c" })];
    await until(() => s.server.batcher.queued === 2, "both requests to be queued");
    const drained = await s.server.drain();
    expect(drained).toBe(true);
    for (const r of await Promise.all(queued)) expect(r.status).toBe(200);
    await expect(fetch(`${s.url}/health`)).rejects.toThrow();
  });
});

describe("draining", () => {
  it("drain(): the listening socket closes; a request that follows on a busy connection gets a typed 503 with Connection: close", async () => {
    const s = await startServer();
    s.server.batcher.pause();
    // One connection: its first request is held in the queue, its second is sent once drain() has begun.
    const socket = net.connect(s.server.port, "127.0.0.1");
    let raw = "";
    socket.setEncoding("utf8").on("data", (chunk: string) => {
      raw += chunk;
    });
    const request = (body: string) =>
      `POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    socket.write(request(JSON.stringify({ inputs: "taken before the drain" })));
    await until(() => s.server.batcher.queued === 1, "the first request to be queued");
    const draining = s.server.drain();
    socket.write(request(JSON.stringify({ inputs: "after" })));
    await until(() => s.server.activeRequests === 2, "the second request to be read");
    await expect(fetch(`${s.url}/health`)).rejects.toThrow();
    s.server.batcher.resume();
    expect(await draining).toBe(true);
    await until(() => socket.destroyed || raw.split("HTTP/1.1 ").length > 2, "both answers");
    socket.destroy();
    const answers = raw.split(/(?=HTTP\/1\.1 )/);
    expect(answers[0]).toMatch(/^HTTP\/1\.1 200 /);
    expect(answers[1]).toMatch(/^HTTP\/1\.1 503 /);
    expect(answers[1]).toMatch(/\r\nconnection: close\r\n/i);
    expect(answers[1]).toContain('"code":"SERVE_NOT_READY"');
  });
});

describe("grace period", () => {
  it("drain() gives up after --grace-period-ms: what is still queued gets 503, and drain() says false", async () => {
    const s = await startServer({ gracePeriodMs: 200 });
    s.server.batcher.pause();
    const stuck = s.post("/predict", { inputs: "held by pause()" });
    await until(() => s.server.batcher.queued === 1, "the request to be queued");
    expect(await s.server.drain()).toBe(false);
    const r = await stuck;
    expect(r.status).toBe(503);
    expect(r.body).toMatchObject({ code: "SERVE_NOT_READY" });
  });
});

describe("garbage never crashes the server", () => {
  it("random bodies, types and routes: each gets a typed 4xx (or a 200), and the server keeps serving", async () => {
    const s = await startServer({ payloadLimit: 20_000 });
    try {
      const rng = new Rng(20260612);
      const routes = [
        "/predict",
        "/embed",
        "/rerank",
        "/pipelines/text-classification",
        "/pipelines/zero-shot-classification",
        "/pipelines/feature-extraction",
        "/pipelines/ner",
        "/info",
        "/x",
      ];
      const atoms = () =>
        rng.pick<unknown>([
          null,
          true,
          0,
          -1,
          1e308,
          -0.5,
          "",
          "a",
          "[MASK]",
          "\u0000\ud800",
          "🙂".repeat(rng.int(1, 50)),
          "word ".repeat(rng.int(1, 200)),
        ]);
      const value = (depth: number): unknown => {
        if (depth > 3 || rng.chance(0.4)) return atoms();
        if (rng.chance(0.5)) return Array.from({ length: rng.int(0, 4) }, () => value(depth + 1));
        const keys = [
          "inputs",
          "text",
          "text_pair",
          "query",
          "texts",
          "candidate_labels",
          "top_k",
          "truncate",
          "normalize",
          "raw_scores",
          "pooling",
          "question",
          "context",
          "constructor",
          "x",
        ];
        return Object.fromEntries(
          Array.from({ length: rng.int(0, 4) }, () => [rng.pick(keys), value(depth + 1)]),
        );
      };
      const bodies = (): [string, string] => {
        switch (rng.int(0, 4)) {
          case 0:
            return [Buffer.from(rng.bytes(rng.int(0, 300))).toString("latin1"), "application/json"];
          case 1:
            return [JSON.stringify(value(0)) ?? "null", "application/json"];
          case 2:
            return ["[".repeat(rng.int(1, 5000)), "application/json"];
          case 3:
            return [
              JSON.stringify(value(0)) ?? "",
              rng.pick(["text/plain", "application/octet-stream", "application/json; charset=latin1"]),
            ];
          default:
            return [`{"inputs": ${"[".repeat(3000)}"a"${"]".repeat(3000)}}`, "application/json"];
        }
      };
      for (let i = 0; i < 300; i++) {
        const route = rng.pick(routes);
        const [text, type] = bodies();
        const r = await s.postRaw(route, text, type);
        const what = `#${i} ${route} ${type} ${text.slice(0, 80)}: ${JSON.stringify(r.body).slice(0, 200)}`;
        expect([200, 400, 404, 413, 415], what).toContain(r.status);
        if (r.status !== 200) {
          expect(typeof r.body.error, what).toBe("string");
          expect(r.body.code, what).toMatch(/^SERVE_/);
        }
      }
      expect((await s.get("/health")).status).toBe(200);
      expect((await s.post("/predict", { inputs: "still serving" })).status).toBe(200);
    } finally {
      await s.close();
    }
  });
});
