// GET /health, /info, /metrics and /openapi.json: what a load balancer, an operator and a client generator ask.
import type { FastifyInstance } from "fastify";
import { ServeError } from "../errors.js";
import type { ServeMetrics } from "../metrics.js";
import type { ResolvedServeOptions } from "../options.js";
import type { ServedModel } from "../served-model.js";
import type { ServerState } from "../server.js";

export interface StatusContext {
  state(): ServerState;
  model(): ServedModel | undefined;
  options: ResolvedServeOptions;
  metrics: ServeMetrics;
  version: string;
}

const healthSchema = {
  summary:
    "Readiness: 200 once the model is loaded, 503 while loading, after a failed load and when draining",
  response: {
    200: { type: "object", properties: { status: { type: "string", enum: ["ok"] } } },
    503: {
      type: "object",
      properties: {
        status: { type: "string", enum: ["starting", "loading", "failed", "draining", "closed"] },
      },
    },
  },
} as const;

const infoSchema = {
  summary: "The model, its task(s), device, dtype, input limits and batching limits",
  response: {
    200: {
      type: "object",
      properties: {
        model_id: { type: "string" },
        model_sha: { type: ["string", "null"] },
        model_type: { type: "string" },
        model_dtype: { type: "string" },
        task: { type: "string" },
        tasks: { type: "array", items: { type: "string" } },
        routes: { type: "array", items: { type: "string" } },
        device: { type: "string" },
        labels: { type: ["array", "null"], items: { type: "string" } },
        pooling: { type: "string" },
        max_input_length: { type: "integer" },
        max_batch_tokens: { type: "integer" },
        max_batch_requests: { type: "integer" },
        max_batch_wait_ms: { type: "integer" },
        max_queue: { type: "integer" },
        max_client_batch_size: { type: "integer" },
        payload_limit: { type: "integer" },
        request_timeout_ms: { type: "integer" },
        auto_truncate: { type: "boolean" },
        version: { type: "string" },
      },
    },
  },
} as const;

export function registerStatus(app: FastifyInstance, ctx: StatusContext): void {
  app.get("/health", { schema: healthSchema }, async (_request, reply) => {
    const state = ctx.state();
    if (state === "ready") return { status: "ok" };
    reply.code(503).header("retry-after", "1");
    return { status: state };
  });

  app.get("/info", { schema: infoSchema }, async () => {
    const model = ctx.model();
    if (model === undefined || ctx.state() !== "ready")
      throw new ServeError("SERVE_NOT_READY", 503, "unhealthy", `the server is ${ctx.state()}`, undefined, {
        "retry-after": "1",
      });
    const o = ctx.options;
    const routes = [
      ...(model.pipeline("text-classification") ? ["/predict"] : []),
      "/embed",
      ...(model.rerank ? ["/rerank"] : []),
      ...model.servedTaskNames().map((t) => `/pipelines/${t}`),
    ];
    const classifier = model.pipeline("text-classification") !== undefined;
    return {
      model_id: model.modelId,
      model_sha: model.modelSha ?? null,
      model_type: model.config.model_type,
      model_dtype: model.dtype,
      task: model.task,
      tasks: [...model.pipelines.keys()],
      routes,
      device: model.device,
      labels: classifier ? Array.from({ length: model.config.num_labels }, (_, i) => model.labelOf(i)) : null,
      pooling: o.pooling,
      max_input_length: model.maxInputLength,
      max_batch_tokens: o.maxBatchTokens,
      max_batch_requests: o.maxBatchRequests,
      max_batch_wait_ms: o.maxBatchWaitMs,
      max_queue: o.maxQueue,
      max_client_batch_size: o.maxClientBatchSize,
      payload_limit: o.payloadLimit,
      request_timeout_ms: o.requestTimeoutMs,
      auto_truncate: o.autoTruncate,
      version: ctx.version,
    };
  });

  app.get(
    "/metrics",
    { schema: { summary: "Prometheus metrics (text exposition format)", produces: ["text/plain"] } },
    async (_request, reply) => {
      reply.type(ctx.metrics.contentType);
      return ctx.metrics.text();
    },
  );

  app.get("/openapi.json", { schema: { summary: "This OpenAPI document", hide: true } }, async () =>
    app.swagger(),
  );
}
