// The page's side of the worker protocol: one promise per request, and a restart (Cancel) that terminates the
// worker, fails what was pending with a "cancelled" error and starts a fresh worker.
import type { DownloadProgress, Request, Response } from "./protocol.js";

/** The error of a request whose worker was stopped by the Cancel button. */
export class CancelledError extends Error {
  override readonly name = "CancelledError";
  readonly code = "CANCELLED";
}

export class WorkerClient {
  private worker!: Worker;
  private next = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  constructor(
    private readonly onProgress: (text: string, download?: DownloadProgress) => void,
    private readonly onCrash: (text: string) => void,
    /** Called when the number of pending requests changes (the page shows a running state and Cancel). */
    private readonly onBusy: (pending: number) => void = () => {},
  ) {
    this.start();
  }

  private start(): void {
    this.worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module" });
    this.worker.onmessage = (ev: MessageEvent<Response>) => {
      const msg = ev.data;
      if ("progress" in msg) return this.onProgress(msg.progress, msg.download);
      const p = this.pending.get(msg.id);
      if (p === undefined) return;
      this.pending.delete(msg.id);
      this.onBusy(this.pending.size);
      if (msg.ok) p.resolve(msg.value);
      else p.reject(new Error(msg.error));
    };
    this.worker.onerror = (ev) => {
      const text = `The inference worker failed: ${ev.message || "it could not start"}`;
      this.onCrash(text);
      this.failAll(new Error(text));
    };
  }

  private failAll(error: Error): void {
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
    this.onBusy(0);
  }

  get busy(): boolean {
    return this.pending.size > 0;
  }

  /** Stops whatever runs (the worker is terminated: a download, a forward, a shader compile) and starts anew. */
  cancel(): void {
    this.worker.terminate();
    this.failAll(new CancelledError("Cancelled: the worker was stopped and started again."));
    this.start();
  }

  request<T>(request: Request, transfer: Transferable[] = []): Promise<T> {
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.onBusy(this.pending.size);
      this.worker.postMessage({ id, request }, transfer);
    });
  }
}
