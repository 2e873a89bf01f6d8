// The server's Prometheus metrics (prom-client), in a registry of its own so that several servers in one
// process (tests) do not share counters. Names and what to autoscale on are listed in the README.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { BatchStats, DropReason } from "./batcher.js";

/** Seconds over which deberta_tokens_per_second is averaged. */
const RATE_WINDOW_S = 10;

export interface QueueProbe {
  readonly depth: number;
  readonly running: number;
}

export class ServeMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<"route" | "status">;
  private readonly latency: Histogram<"route">;
  private readonly batchRows: Histogram;
  private readonly batchTokens: Histogram;
  private readonly batchSeconds: Histogram;
  private readonly tokens: Counter;
  private readonly rejected: Counter;
  private readonly dropped: Counter<"reason">;
  private readonly failedBatches: Counter;
  private readonly ready: Gauge;
  /** (time in ms, tokens) of the batches of the last RATE_WINDOW_S seconds. */
  private recent: [number, number][] = [];

  constructor(queue: QueueProbe) {
    const registers = [this.registry];
    this.requests = new Counter({
      name: "deberta_http_requests_total",
      help: "HTTP requests answered, by route and status code",
      labelNames: ["route", "status"],
      registers,
    });
    this.latency = new Histogram({
      name: "deberta_http_request_duration_seconds",
      help: "Time from request to response, by route",
      labelNames: ["route"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    new Gauge({
      name: "deberta_queue_depth",
      help: "Model input rows waiting for a batch (scale out on this)",
      registers,
      collect() {
        this.set(queue.depth);
      },
    });
    new Gauge({
      name: "deberta_batches_running",
      help: "Batches in the model now (0 or 1)",
      registers,
      collect() {
        this.set(queue.running);
      },
    });
    this.batchRows = new Histogram({
      name: "deberta_batch_size",
      help: "Model input rows per batch",
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
      registers,
    });
    this.batchTokens = new Histogram({
      name: "deberta_batch_padded_tokens",
      help: "Rows x longest row per batch: the tokens a forward computes",
      buckets: [64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768],
      registers,
    });
    this.batchSeconds = new Histogram({
      name: "deberta_batch_duration_seconds",
      help: "Time per batch: tokenization, forward and post-processing",
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.tokens = new Counter({
      name: "deberta_tokens_total",
      help: "Tokens of the inputs run (padding not counted)",
      registers,
    });
    const recent = () => this.pruneRecent();
    new Gauge({
      name: "deberta_tokens_per_second",
      help: `Tokens run per second over the last ${RATE_WINDOW_S} s (padding not counted)`,
      registers,
      collect() {
        this.set(recent().reduce((n, [, t]) => n + t, 0) / RATE_WINDOW_S);
      },
    });
    this.rejected = new Counter({
      name: "deberta_queue_rejected_total",
      help: "Requests refused with 429 because the queue was full",
      registers,
    });
    this.dropped = new Counter({
      name: "deberta_queue_dropped_total",
      help: "Queued inputs dropped before they ran: client disconnect, timeout, shutdown, another input of the request failed",
      labelNames: ["reason"],
      registers,
    });
    this.failedBatches = new Counter({
      name: "deberta_batch_failures_total",
      help: "Batches that failed (their inputs are then retried one by one)",
      registers,
    });
    this.ready = new Gauge({
      name: "deberta_ready",
      help: "1 when the model is loaded and the server takes requests",
      registers,
    });
    for (const reason of ["disconnect", "timeout", "shutdown", "sibling_failed"] as const)
      this.dropped.inc({ reason }, 0);
    collectDefaultMetrics({ register: this.registry });
  }

  request(route: string, status: number, seconds: number): void {
    this.requests.inc({ route, status: String(status) });
    this.latency.observe({ route }, seconds);
  }

  batch(stats: BatchStats): void {
    if (stats.failed) {
      this.failedBatches.inc();
      return;
    }
    this.batchRows.observe(stats.rows);
    this.batchTokens.observe(stats.paddedTokens);
    this.batchSeconds.observe(stats.seconds);
    this.tokens.inc(stats.tokens);
    this.recent.push([Date.now(), stats.tokens]);
    this.pruneRecent();
  }

  drop(reason: DropReason, entries: number): void {
    this.dropped.inc({ reason }, entries);
  }

  queueFull(): void {
    this.rejected.inc();
  }

  setReady(ready: boolean): void {
    this.ready.set(ready ? 1 : 0);
  }

  /** The Prometheus text exposition. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private pruneRecent(): [number, number][] {
    const since = Date.now() - RATE_WINDOW_S * 1000;
    while (this.recent.length > 0 && this.recent[0]![0] < since) this.recent.shift();
    return this.recent;
  }
}
