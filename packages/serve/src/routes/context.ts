import type { FastifyReply, FastifyRequest } from "fastify";
import type { ResolvedServeOptions } from "../options.js";
import type { ServedModel } from "../served-model.js";
import type { WorkEntry } from "../work.js";

/** What the routes get from the server. */
export interface RouteContext {
  readonly options: ResolvedServeOptions;
  /** The loaded model; a ServeError 503 while loading or shutting down. */
  model(): ServedModel;
  /**
   * Queues a request's inputs and resolves with their results, in order: 429 when the queue is full, 504 after
   * the request timeout; a client that disconnects takes its queued inputs with it.
   */
  submit(request: FastifyRequest, reply: FastifyReply, entries: readonly WorkEntry[]): Promise<unknown[]>;
}
