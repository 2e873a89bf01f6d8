// The server: fastify (routes with JSON schemas, which @fastify/swagger turns into the OpenAPI document), the
// batcher, the metrics and the lifecycle. It listens first and loads the model after, so that /health says
// 503 until the model is there; drain() (SIGTERM) stops taking requests and finishes what it holds.
import swagger from "@fastify/swagger";
import Fastify, {
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from "fastify";
import { Batcher, type DropReason } from "./batcher.js";
import { toServeError } from "./error-reply.js";
import { ServeError } from "./errors.js";
import { ServeMetrics } from "./metrics.js";
import { type ResolvedServeOptions, resolveServeOptions, type ServeOptions } from "./options.js";
import type { RouteContext } from "./routes/context.js";
import { registerEmbed } from "./routes/embed.js";
import { registerPipelines } from "./routes/pipelines.js";
import { registerPredict } from "./routes/predict.js";
import { registerRerank } from "./routes/rerank.js";
import { registerStatus } from "./routes/status.js";
import { ServedModel } from "./served-model.js";
import { runWorkBatch, type Work, type WorkEntry } from "./work.js";

export type ServerState = "starting" | "loading" | "ready" | "failed" | "draining" | "closed";

export const VERSION = "0.0.0";

/** The route label of a request in the metrics: its route pattern, so that label values stay few. */
function routeOf(request: FastifyRequest): string {
  return request.routeOptions.url ?? "unmatched";
}

export class DebertaServer {
  readonly options: ResolvedServeOptions;
  readonly app: FastifyInstance;
  readonly metrics: ServeMetrics;
  /** The queue; `pause()` / `resume()` hold and release the model (maintenance, tests). */
  readonly batcher: Batcher<Work, unknown>;
  private served: ServedModel | undefined;
  private stateValue: ServerState = "starting";
  private inFlightRequests = 0;
  private requestsDone: (() => void)[] = [];
  private draining: Promise<boolean> | undefined;

  private constructor(options: ResolvedServeOptions) {
    this.options = options;
    this.batcher = new Batcher<Work, unknown>(
      (_key, works) => runWorkBatch(this.served!, works),
      {
        maxBatchTokens: options.maxBatchTokens,
        maxBatchRequests: options.maxBatchRequests,
        maxWaitMs: options.maxBatchWaitMs,
        maxQueue: options.maxQueue,
      },
      {
        onBatch: (stats) => this.metrics.batch(stats),
        onDrop: (reason, entries) => this.metrics.drop(reason, entries),
      },
    );
    this.metrics = new ServeMetrics(this.batcher);
    const logger = options.logger;
    this.app = Fastify({
      logger: logger === true ? { level: "info" } : logger,
      // One access-log line per request, written by the onResponse hook below, instead of fastify's two.
      logController: new LogController({ disableRequestLogging: true }),
      bodyLimit: options.payloadLimit,
      // Slow clients may not hold a connection open longer than a request may take.
      requestTimeout: options.requestTimeoutMs,
      // Longer than a load balancer's idle upstream connections (nginx: 60 s), so that the balancer, not
      // this server, closes them: a request sent just as the server closes one would fail.
      keepAliveTimeout: 75_000,
      // While draining, requests on open connections get this server's typed 503 (and Connection: close) from
      // the routes, not fastify's own.
      return503OnClosing: false,
      ajv: {
        customOptions: {
          coerceTypes: false,
          removeAdditional: false,
          useDefaults: true,
          allErrors: false,
          // parentSchema in errors: a union's description names what the field must be.
          verbose: true,
        },
      },
    });
  }

  /** Builds the server (routes, hooks, OpenAPI); nothing listens yet and no model is loaded. */
  static async create(options: ServeOptions): Promise<DebertaServer> {
    const server = new DebertaServer(resolveServeOptions(options));
    await server.setup();
    return server;
  }

  get state(): ServerState {
    return this.stateValue;
  }

  /** Requests taken and not answered yet (what `drain()` waits for). */
  get activeRequests(): number {
    return this.inFlightRequests;
  }

  /** The loaded model, once `load()` has resolved. */
  get model(): ServedModel | undefined {
    return this.served;
  }

  /** Starts listening (on --host and --port); /health answers 503 until `load()` is done. Returns the URL. */
  async listen(): Promise<string> {
    const address = await this.app.listen({ host: this.options.host, port: this.options.port });
    if (this.stateValue === "starting") this.stateValue = "loading";
    return address;
  }

  /** The port listened on (useful with port 0). */
  get port(): number {
    const address = this.app.server.address();
    return typeof address === "object" && address !== null ? address.port : this.options.port;
  }

  /** Loads the model; the server is ready after. On failure the state is "failed" and the error thrown. */
  async load(): Promise<ServedModel> {
    if (this.stateValue === "starting") this.stateValue = "loading";
    try {
      this.served = await ServedModel.load(this.options);
    } catch (error) {
      this.stateValue = "failed";
      this.app.log.error({ err: error }, "the model failed to load");
      throw error;
    }
    if (this.stateValue === "loading") {
      this.stateValue = "ready";
      this.metrics.setReady(true);
    }
    this.app.log.info(
      {
        model: this.served.modelId,
        task: this.served.task,
        tasks: [...this.served.pipelines.keys()],
        device: this.served.device,
        dtype: this.served.dtype,
        max_input_length: this.served.maxInputLength,
      },
      "model loaded; ready",
    );
    return this.served;
  }

  /**
   * Graceful shutdown: /health and new requests get 503 (with `Connection: close`), the listening socket
   * closes, queued inputs run at once and every request already taken is answered; then the model is freed.
   * Resolves true when all that finished within --grace-period-ms, false when the grace period ran out
   * (what was still queued then got 503).
   */
  drain(): Promise<boolean> {
    this.draining ??= this.drainOnce();
    return this.draining;
  }

  private async drainOnce(): Promise<boolean> {
    this.stateValue = "draining";
    this.metrics.setReady(false);
    this.app.log.info(
      {
        queued_rows: this.batcher.depth,
        requests: this.inFlightRequests,
        grace_ms: this.options.gracePeriodMs,
      },
      "draining",
    );
    this.batcher.flush();
    // Stop listening now; the promise settles once every connection is gone.
    const closed = this.app.close();
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), this.options.gracePeriodMs);
    });
    const done = (async () => {
      await this.batcher.idle();
      await this.requestsFinished();
      return "done" as const;
    })();
    const outcome = await Promise.race([done, graceOver]);
    clearTimeout(timer);
    if (outcome === "timeout") {
      this.app.log.warn(
        { queued_rows: this.batcher.depth, requests: this.inFlightRequests },
        "grace period over; abandoning what is left",
      );
      this.batcher.abandon(
        new ServeError("SERVE_NOT_READY", 503, "unhealthy", "the server shut down before this request ran"),
      );
      // Let the 503s just sent reach their clients (a batch still running is not waited for).
      await Promise.race([this.requestsFinished(), new Promise((resolve) => setTimeout(resolve, 250))]);
    }
    // Idle keep-alive connections would hold close() until they time out.
    this.app.server.closeAllConnections();
    await closed;
    this.served?.dispose();
    this.stateValue = "closed";
    this.app.log.info({ drained: outcome === "done" }, "closed");
    return outcome === "done";
  }

  /** Stops at once: queued requests get 503, connections are closed, the model is freed. */
  async close(): Promise<void> {
    if (this.stateValue === "closed") return;
    this.stateValue = "draining";
    this.batcher.abandon(new ServeError("SERVE_NOT_READY", 503, "unhealthy", "the server is closing"));
    this.app.server.closeAllConnections();
    await this.app.close();
    await this.batcher.idle();
    this.served?.dispose();
    this.stateValue = "closed";
  }

  private requestsFinished(): Promise<void> {
    if (this.inFlightRequests === 0) return Promise.resolve();
    return new Promise((resolve) => this.requestsDone.push(resolve));
  }

  private async setup(): Promise<void> {
    const app = this.app;
    // Responses are plain JSON; the routes' response schemas document them (OpenAPI) without reshaping them.
    app.setSerializerCompiler(() => (data) => JSON.stringify(data));
    await app.register(swagger, {
      openapi: {
        openapi: "3.0.3",
        info: {
          title: "deberta serve",
          description:
            "DeBERTa behind HTTP with text-embeddings-inference's API (/predict, /embed, /rerank), the six pipelines with deberta run's JSON (/pipelines/{task}), health, info and Prometheus metrics.",
          version: VERSION,
        },
      },
    });
    app.addHook("onRequest", async (_request, reply) => {
      this.inFlightRequests++;
      reply.raw.once("close", () => {
        this.inFlightRequests--;
        if (this.inFlightRequests === 0) {
          const waiters = this.requestsDone;
          this.requestsDone = [];
          for (const resolve of waiters) resolve();
        }
      });
      if (this.stateValue === "draining" || this.stateValue === "closed") reply.header("connection", "close");
    });
    app.addHook("onResponse", async (request, reply) => {
      this.metrics.request(routeOf(request), reply.statusCode, reply.elapsedTime / 1000);
      request.log.info(
        {
          method: request.method,
          url: request.url,
          status: reply.statusCode,
          ms: Math.round(reply.elapsedTime),
        },
        "request",
      );
    });
    app.setErrorHandler(async (error, request, reply) => {
      if (error instanceof ClientGone) {
        // Nobody to answer: the socket is closed.
        reply.hijack();
        return;
      }
      const serveError = toServeError(error);
      if (serveError.status >= 500 && serveError.code !== "SERVE_NOT_READY")
        request.log.error({ err: error }, "request failed");
      if (serveError.code === "SERVE_QUEUE_FULL") this.metrics.queueFull();
      reply.code(serveError.status).headers(serveError.headers);
      return serveError.body();
    });
    app.setNotFoundHandler(async (request, reply) => {
      reply.code(404);
      return new ServeError(
        "SERVE_NOT_FOUND",
        404,
        "not_found",
        `${request.method} ${request.url.split("?")[0]}: no such route (GET /openapi.json lists them)`,
      ).body();
    });
    const context: RouteContext = {
      options: this.options,
      model: () => this.readyModel(),
      submit: (request, reply, entries) => this.submit(request, reply, entries),
    };
    registerStatus(app, {
      state: () => this.stateValue,
      model: () => this.served,
      options: this.options,
      metrics: this.metrics,
      version: VERSION,
    });
    registerPredict(app, context);
    registerEmbed(app, context);
    registerRerank(app, context);
    registerPipelines(app, context);
    await app.ready();
  }

  private readyModel(): ServedModel {
    if (this.stateValue === "ready" && this.served !== undefined) return this.served;
    const why: Record<ServerState, string> = {
      starting: "the model is not loaded yet",
      loading: "the model is loading",
      failed: "the model failed to load",
      draining: "the server is shutting down",
      closed: "the server is closed",
      ready: "the model is not loaded yet",
    };
    throw new ServeError("SERVE_NOT_READY", 503, "unhealthy", why[this.stateValue], undefined, {
      "retry-after": "1",
    });
  }

  /**
   * Queues a request's inputs. Resolves with their results, or with undefined when the client went away (its
   * queued inputs are dropped, nothing is sent); rejects with 429 (queue full) or 504 (request timeout).
   */
  private async submit(
    request: FastifyRequest,
    reply: FastifyReply,
    entries: readonly WorkEntry[],
  ): Promise<unknown[]> {
    const controller = new AbortController();
    let reason: DropReason = "disconnect";
    const timeout = new ServeError(
      "SERVE_TIMEOUT",
      504,
      "timeout",
      `the request took longer than --request-timeout-ms (${this.options.requestTimeoutMs} ms)`,
    );
    const elapsed = reply.elapsedTime;
    const timer = setTimeout(
      () => {
        reason = "timeout";
        controller.abort(timeout);
      },
      Math.max(0, this.options.requestTimeoutMs - elapsed),
    );
    const gone = new ClientGone();
    const onClose = () => {
      if (!reply.raw.writableFinished) controller.abort(gone);
    };
    reply.raw.once("close", onClose);
    try {
      return await this.batcher.submit(entries, controller.signal, () => reason);
    } catch (error) {
      if (error === gone) {
        this.metrics.request(routeOf(request), 499, reply.elapsedTime / 1000);
        request.log.info({ url: request.url }, "client went away; its queued inputs were dropped");
      }
      throw error;
    } finally {
      clearTimeout(timer);
      reply.raw.off("close", onClose);
    }
  }
}

/** The client closed its connection before the answer: nothing is sent (the route returns nothing). */
export class ClientGone extends Error {
  override readonly name = "ClientGone";
  constructor() {
    super("the client closed the connection");
  }
}
