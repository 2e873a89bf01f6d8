// The page's side of the worker protocol: one promise per request.
import type { Request, Response } from "./protocol.js";

export class WorkerClient {
  private readonly worker: Worker;
  private next = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  constructor(onProgress: (text: string) => void, onCrash: (text: string) => void) {
    this.worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module" });
    this.worker.onmessage = (ev: MessageEvent<Response>) => {
      const msg = ev.data;
      if ("progress" in msg) return onProgress(msg.progress);
      const p = this.pending.get(msg.id);
      if (p === undefined) return;
      this.pending.delete(msg.id);
      if (msg.ok) p.resolve(msg.value);
      else p.reject(new Error(msg.error));
    };
    this.worker.onerror = (ev) => {
      const text = `The inference worker failed: ${ev.message || "it could not start"}`;
      onCrash(text);
      for (const p of this.pending.values()) p.reject(new Error(text));
      this.pending.clear();
    };
  }

  request<T>(request: Request, transfer: Transferable[] = []): Promise<T> {
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ id, request }, transfer);
    });
  }
}
