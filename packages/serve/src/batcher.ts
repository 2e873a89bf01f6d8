// Dynamic batching. Requests put their inputs ("entries") in one queue; whenever the model is free, the oldest
// entry opens a batch, and the batch takes the queued entries with the same key (task and call options: only
// those can share a pipeline call) nearest to it in length, as long as padding stays within maxPadding of the
// padded tokens (every row is padded to the batch's longest; padding is computed and thrown away, so on a CPU
// a batch of mixed lengths can cost more than it saves), rows x longest row within maxBatchTokens and rows
// within maxBatchRequests. A batch that could take more waits for them at most maxWaitMs after its oldest
// entry arrived; while a batch runs, the next one fills up by itself. One batch runs at a time: the backend
// runs one forward at a time anyway, and the event loop keeps turning meanwhile (the CPU backend's forward
// runs off the JavaScript thread), so requests keep arriving into the queue. The oldest entry always runs
// next, so none waits forever.
import { ServeError } from "./errors.js";

export interface BatchEntry<T> {
  /** Entries with equal keys may share a batch. */
  key: string;
  /** Model input rows this entry becomes (QA windows, zero-shot pairs; 1 otherwise). */
  rows: number;
  /** Tokens of its longest row. */
  length: number;
  value: T;
}

/** Runs one batch: `values` (all of one key) in, one result per value out, in order. */
export type BatchRunner<T, R> = (key: string, values: T[]) => Promise<R[]>;

export interface BatcherLimits {
  maxBatchTokens: number;
  maxBatchRequests: number;
  maxWaitMs: number;
  /** Largest share of a batch's padded tokens that may be padding (default 0.25). */
  maxPadding?: number;
  /** Rows queued before submit() refuses (429); a request is always taken into an empty queue. */
  maxQueue: number;
}

export interface BatchStats {
  entries: number;
  rows: number;
  /** rows x longest row: what the forward computes. */
  paddedTokens: number;
  /** Sum of the rows' own lengths. */
  tokens: number;
  seconds: number;
  failed: boolean;
}

export type DropReason = "disconnect" | "timeout" | "shutdown" | "sibling_failed";

export interface BatcherEvents {
  onBatch?(stats: BatchStats): void;
  /** Entries taken out of the queue before they ran. */
  onDrop?(reason: DropReason, entries: number): void;
}

interface Ticket<T, R> {
  entry: BatchEntry<T>;
  enqueuedAt: number;
  /** Set after its batch failed: it runs alone, so that one bad input fails only its own request. */
  alone: boolean;
  group: TicketGroup<T, R>;
  resolve(result: R): void;
  reject(error: unknown): void;
}

interface TicketGroup<T, R> {
  tickets: Ticket<T, R>[];
  settled: boolean;
}

export class Batcher<T, R> {
  private queue: Ticket<T, R>[] = [];
  private queuedRows = 0;
  private inFlight = 0;
  private paused = false;
  private flushing = false;
  private timer: NodeJS.Timeout | undefined;
  private idleWaiters: (() => void)[] = [];
  /** Rows per second, smoothed over the last batches (for Retry-After). */
  private rowRate = 0;

  constructor(
    private readonly run: BatchRunner<T, R>,
    private readonly limits: BatcherLimits,
    private readonly events: BatcherEvents = {},
  ) {}

  /** Rows waiting in the queue. */
  get depth(): number {
    return this.queuedRows;
  }

  /** Entries (inputs) waiting in the queue. */
  get queued(): number {
    return this.queue.length;
  }

  /** Batches running now (0 or 1). */
  get running(): number {
    return this.inFlight;
  }

  /**
   * Queues `entries` (one request's inputs) and resolves with their results, in order. Rejects with
   * ServeError SERVE_QUEUE_FULL (429, with Retry-After) when the queue cannot take them, with the batch's
   * error when an entry fails, and with `signal.reason` when the signal aborts first (its queued entries are
   * dropped; one already running finishes, and its result is discarded).
   */
  submit(
    entries: readonly BatchEntry<T>[],
    signal?: AbortSignal,
    dropReason?: () => DropReason,
  ): Promise<R[]> {
    if (entries.length === 0) return Promise.resolve([]);
    if (signal?.aborted) return Promise.reject(signal.reason);
    const rows = entries.reduce((n, e) => n + e.rows, 0);
    if (this.queuedRows > 0 && this.queuedRows + rows > this.limits.maxQueue) {
      const seconds = this.retryAfterSeconds();
      return Promise.reject(
        new ServeError(
          "SERVE_QUEUE_FULL",
          429,
          "overloaded",
          `the queue is full (${this.queuedRows} rows waiting, --max-queue ${this.limits.maxQueue}); retry after ${seconds} s`,
          undefined,
          { "retry-after": String(seconds) },
        ),
      );
    }
    const group: TicketGroup<T, R> = { tickets: [], settled: false };
    const now = performance.now();
    const promises = entries.map(
      (entry) =>
        new Promise<R>((resolve, reject) => {
          group.tickets.push({
            entry,
            enqueuedAt: now,
            alone: false,
            group,
            resolve,
            reject,
          });
        }),
    );
    for (const ticket of group.tickets) this.queue.push(ticket);
    this.queuedRows += rows;
    const all = Promise.all(promises);
    const onAbort = () => this.dropGroup(group, dropReason?.() ?? "disconnect", signal!.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    all.then(
      () => {
        group.settled = true;
        signal?.removeEventListener("abort", onAbort);
      },
      () => {
        signal?.removeEventListener("abort", onAbort);
      },
    );
    this.pump();
    return all;
  }

  /** Stops starting batches (requests still queue, up to maxQueue); for maintenance and tests. */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.pump();
  }

  /** From now on, batches start without waiting for more entries (shutdown). */
  flush(): void {
    this.flushing = true;
    this.pump();
  }

  /** Resolves once the queue is empty and no batch runs. */
  idle(): Promise<void> {
    if (this.queue.length === 0 && this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Rejects every queued entry with `error` (shutdown after the grace period). */
  abandon(error: unknown): void {
    const groups = new Set(this.queue.map((t) => t.group));
    for (const group of groups) this.dropGroup(group, "shutdown", error);
  }

  private retryAfterSeconds(): number {
    if (this.rowRate <= 0) return 1;
    return Math.min(60, Math.max(1, Math.ceil(this.queuedRows / this.rowRate)));
  }

  private dropGroup(group: TicketGroup<T, R>, reason: DropReason, error: unknown): void {
    if (group.settled) return;
    group.settled = true;
    const queued = group.tickets.filter((t) => this.queue.includes(t));
    if (queued.length > 0) {
      this.queue = this.queue.filter((t) => t.group !== group);
      this.queuedRows -= queued.reduce((n, t) => n + t.entry.rows, 0);
      this.events.onDrop?.(reason, queued.length);
    }
    for (const ticket of group.tickets) ticket.reject(error);
    this.checkIdle();
  }

  /** The batch the oldest entry opens, and whether it is full (could take no other entry of its key). */
  private select(): { tickets: Ticket<T, R>[]; full: boolean } {
    const first = this.queue[0]!;
    if (first.alone) return { tickets: [first], full: true };
    const maxPadding = this.limits.maxPadding ?? 0.25;
    // Same key, nearest in length first (then oldest first).
    const candidates = this.queue
      .slice(1)
      .map((t, age) => ({ t, age, distance: Math.abs(t.entry.length - first.entry.length) }))
      .filter(({ t }) => !t.alone && t.entry.key === first.entry.key)
      .sort((a, b) => a.distance - b.distance || a.age - b.age);
    const tickets = [first];
    let rows = first.entry.rows;
    let longest = first.entry.length;
    let real = first.entry.rows * first.entry.length;
    let full = false;
    for (const { t } of candidates) {
      const nextRows = rows + t.entry.rows;
      const nextLongest = Math.max(longest, t.entry.length);
      if (nextRows > this.limits.maxBatchRequests || nextRows * nextLongest > this.limits.maxBatchTokens) {
        full = true;
        continue;
      }
      const nextReal = real + t.entry.rows * t.entry.length;
      if (nextRows * nextLongest - nextReal > maxPadding * nextRows * nextLongest) continue;
      tickets.push(t);
      rows = nextRows;
      longest = nextLongest;
      real = nextReal;
    }
    if (rows + 1 > this.limits.maxBatchRequests || (rows + 1) * longest > this.limits.maxBatchTokens)
      full = true;
    // In queue order, so that results and stats read in arrival order.
    const order = new Map(this.queue.map((t, i) => [t, i]));
    tickets.sort((a, b) => order.get(a)! - order.get(b)!);
    return { tickets, full };
  }

  private pump(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    while (!this.paused && this.inFlight === 0 && this.queue.length > 0) {
      const { tickets, full } = this.select();
      const waited = performance.now() - this.queue[0]!.enqueuedAt;
      if (!full && !this.flushing && waited < this.limits.maxWaitMs) {
        this.timer = setTimeout(() => this.pump(), Math.max(0, this.limits.maxWaitMs - waited));
        return;
      }
      this.dispatch(tickets);
    }
    this.checkIdle();
  }

  private dispatch(tickets: Ticket<T, R>[]): void {
    const taken = new Set(tickets);
    this.queue = this.queue.filter((t) => !taken.has(t));
    const rows = tickets.reduce((n, t) => n + t.entry.rows, 0);
    this.queuedRows -= rows;
    this.inFlight++;
    const longest = Math.max(...tickets.map((t) => t.entry.length));
    const tokens = tickets.reduce((n, t) => n + t.entry.rows * t.entry.length, 0);
    const start = performance.now();
    const finish = (failed: boolean) => {
      const seconds = (performance.now() - start) / 1000;
      if (!failed && seconds > 0) {
        const rate = rows / seconds;
        this.rowRate = this.rowRate === 0 ? rate : 0.8 * this.rowRate + 0.2 * rate;
      }
      this.events.onBatch?.({
        entries: tickets.length,
        rows,
        paddedTokens: rows * longest,
        tokens,
        seconds,
        failed,
      });
      this.inFlight--;
      this.pump();
    };
    let running: Promise<R[]>;
    try {
      running = this.run(
        tickets[0]!.entry.key,
        tickets.map((t) => t.entry.value),
      );
    } catch (error) {
      running = Promise.reject(error);
    }
    running.then(
      (results) => {
        if (results.length !== tickets.length) {
          const error = new ServeError(
            "SERVE_INFERENCE",
            500,
            "backend",
            `a batch of ${tickets.length} inputs gave ${results.length} results`,
          );
          for (const t of tickets) this.dropGroup(t.group, "sibling_failed", error);
        } else for (const [i, t] of tickets.entries()) t.resolve(results[i]!);
        finish(false);
      },
      (error: unknown) => {
        // The request fails, so its other queued entries need not run.
        if (tickets.length === 1) this.dropGroup(tickets[0]!.group, "sibling_failed", error);
        else {
          // Which input failed is not known: each runs again alone, first in the queue, in order.
          const live = tickets.filter((t) => !t.group.settled);
          for (const t of live) t.alone = true;
          this.queue.unshift(...live);
          this.queuedRows += live.reduce((n, t) => n + t.entry.rows, 0);
        }
        finish(true);
      },
    );
  }

  private checkIdle(): void {
    if (this.queue.length > 0 || this.inFlight > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
