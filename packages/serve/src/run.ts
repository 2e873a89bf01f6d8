// The server as a process: listen, load the model, serve until SIGTERM or SIGINT, then drain and report
// whether everything taken was answered within the grace period.
import type { ServeOptions } from "./options.js";
import { DebertaServer } from "./server.js";

export interface RunServerOptions {
  /** Called once listening (before the model is loaded), with the server's URL. */
  onListening?: (url: string, server: DebertaServer) => void;
}

/**
 * Runs a server until SIGTERM / SIGINT. Resolves with the process's exit code: 0 when every request taken
 * was answered within --grace-period-ms, 1 when the grace period ran out. Rejects when the model cannot be
 * loaded (after closing the server).
 *
 * @example
 * ```ts
 * process.exitCode = await runServer({ model: "microsoft/deberta-base-mnli", port: 8080 });
 * ```
 */
export async function runServer(options: ServeOptions, run: RunServerOptions = {}): Promise<number> {
  const server = await DebertaServer.create(options);
  let signalled: (signal: NodeJS.Signals) => void = () => {};
  const signal = new Promise<NodeJS.Signals>((resolve) => {
    signalled = resolve;
  });
  const onSignal = (name: NodeJS.Signals) => signalled(name);
  process.once("SIGTERM", onSignal);
  process.once("SIGINT", onSignal);
  try {
    const url = await server.listen();
    run.onListening?.(url, server);
    const loading = server.load();
    // A signal while loading stops the server at once (nothing was taken yet); the load is left to finish
    // or fail unobserved.
    loading.catch(() => {});
    await Promise.race([loading, signal]);
    const name = await signal;
    server.app.log.info({ signal: name }, "signal received");
    return (await server.drain()) ? 0 : 1;
  } catch (error) {
    await server.close();
    throw error;
  } finally {
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
  }
}
