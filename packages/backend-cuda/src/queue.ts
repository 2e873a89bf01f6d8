// The backend's pending work: commands recorded into a CommandList and submitted to the addon in one call
// when a result is needed (download, sync, an upload that may overwrite memory the pending commands read)
// or when the list is long; through the GraphCache, a list seen before is replayed as a CUDA graph.
import { type BlasLtCommand, CommandList, type CommandOrigin } from "./commands.js";
import {
  GraphCache,
  type GraphCacheOptions,
  SUBMIT_CAPTURE,
  SUBMIT_DIRECT,
  SUBMIT_REPLAY,
} from "./graph-cache.js";
import type { ContextHandle, CudaAddon } from "./native/addon.js";

/** The addon calls a queue makes (tests pass a fake). */
export type QueueAddon = Pick<CudaAddon, "submit" | "destroyGraph" | "lastFailedCommand">;

export interface CommandQueueOptions {
  /** Replay repeated lists as CUDA graphs (default true). */
  graphs?: boolean;
  /** A list is submitted once it holds this many commands (default 1024). */
  maxCommands?: number;
  graphCache?: GraphCacheOptions;
  /** Capture failures after which graphs are turned off for the queue (default 3). */
  maxCaptureFailures?: number;
}

export interface QueueStats {
  /** Lists submitted (addon calls). */
  submits: number;
  /** Commands submitted. */
  commands: number;
  direct: number;
  captures: number;
  replays: number;
  captureFailures: number;
  /** Graphs held now. */
  graphs: number;
  /** Why graphs are off (the option, the driver, repeated capture failures), if they are. */
  graphsOff?: string;
}

/** Throws the typed error for a failed submission (the backend's check()). */
export type SubmitFailure = (status: number, origin: CommandOrigin) => never;

export class CommandQueue {
  private readonly list = new CommandList();
  private readonly cache: GraphCache;
  private readonly maxCommands: number;
  private readonly maxCaptureFailures: number;
  private graphsOff: string | undefined;
  private readonly counts = {
    submits: 0,
    commands: 0,
    direct: 0,
    captures: 0,
    replays: 0,
    captureFailures: 0,
  };

  constructor(
    private readonly addon: QueueAddon,
    private readonly handle: ContextHandle,
    private readonly fail: SubmitFailure,
    options: CommandQueueOptions & { graphsOff?: string } = {},
  ) {
    this.cache = new GraphCache(options.graphCache);
    this.maxCommands = Math.max(1, options.maxCommands ?? 1024);
    this.maxCaptureFailures = Math.max(1, options.maxCaptureFailures ?? 3);
    this.graphsOff = options.graphs === false ? "graphs: false" : options.graphsOff;
  }

  /** Commands recorded and not submitted yet. */
  get pending(): number {
    return this.list.count;
  }

  get graphsEnabled(): boolean {
    return this.graphsOff === undefined;
  }

  launch(
    fn: number,
    grid: readonly [number, number, number],
    block: readonly [number, number, number],
    shared: number,
    params: Uint8Array,
    origin: CommandOrigin | (() => CommandOrigin),
  ): void {
    this.list.launch(fn, grid, block, shared, params, origin);
    if (this.list.count >= this.maxCommands) this.flush();
  }

  blasLt(g: BlasLtCommand, origin: CommandOrigin | (() => CommandOrigin)): void {
    this.list.blasLt(g, origin);
    if (this.list.count >= this.maxCommands) this.flush();
  }

  memsetD32(ptr: number, value: number, count: number, origin: CommandOrigin): void {
    this.list.memsetD32(ptr, value, count, origin);
    if (this.list.count >= this.maxCommands) this.flush();
  }

  copyDtoD(dst: number, src: number, bytes: number, origin: CommandOrigin): void {
    this.list.copyDtoD(dst, src, bytes, origin);
    if (this.list.count >= this.maxCommands) this.flush();
  }

  /** Submits the pending commands in one addon call (a replayed or newly captured graph when enabled). */
  flush(): void {
    const count = this.list.count;
    if (count === 0) return;
    const bytes = this.list.encoded();
    try {
      this.counts.submits += 1;
      this.counts.commands += count;
      if (this.graphsOff === undefined && this.trySubmitGraph(bytes)) return;
      this.counts.direct += 1;
      const status = this.addon.submit(this.handle, bytes, SUBMIT_DIRECT, 0);
      if (status !== 0) this.fail(status, this.list.origin(this.addon.lastFailedCommand(this.handle)));
    } finally {
      this.list.reset();
    }
  }

  /** Replays or captures `bytes`; false when they are to run directly (a miss, or the graph path failed). */
  private trySubmitGraph(bytes: Uint8Array): boolean {
    const decision = this.cache.decide(bytes);
    if (decision.mode === SUBMIT_DIRECT) return false;
    if (decision.mode === SUBMIT_CAPTURE)
      for (const id of decision.evicted) this.addon.destroyGraph(this.handle, id);
    const status = this.addon.submit(this.handle, bytes, decision.mode, decision.id);
    if (status === 0) {
      if (decision.mode === SUBMIT_REPLAY) this.counts.replays += 1;
      else this.counts.captures += 1;
      return true;
    }
    // Nothing ran (a failed capture or graph launch enqueues nothing): drop the graph, run the list directly.
    this.cache.forget(decision.key);
    this.addon.destroyGraph(this.handle, decision.id);
    if (decision.mode === SUBMIT_CAPTURE) {
      this.counts.captureFailures += 1;
      if (this.counts.captureFailures >= this.maxCaptureFailures)
        this.disableGraphs(`${this.counts.captureFailures} graph captures failed (last status ${status})`);
    }
    return false;
  }

  /** Turns graphs back on after disableGraphs() (the backend checks the driver has them). */
  enableGraphs(): void {
    this.graphsOff = undefined;
  }

  /** Turns graphs off (destroying those held); lists run directly from then on. */
  disableGraphs(reason: string): void {
    this.graphsOff = reason;
    for (const id of this.cache.clear()) this.addon.destroyGraph(this.handle, id);
  }

  /** Drops the pending commands and forgets every graph (the context's close destroys them). */
  discard(): void {
    this.list.reset();
    this.cache.clear();
  }

  stats(): QueueStats {
    return {
      ...this.counts,
      graphs: this.cache.size,
      ...(this.graphsOff === undefined ? {} : { graphsOff: this.graphsOff }),
    };
  }
}
