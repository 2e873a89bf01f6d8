// Server processes for the tests (test/serve-process.mjs: the built package's runServer, as `deberta serve`
// runs it): started with options, their JSON-lines log collected, their address read from it.
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { ServeOptions } from "./options.js";

const here = path.dirname(fileURLToPath(import.meta.url));
export const serveProcessScript = path.resolve(here, "../test/serve-process.mjs");

export interface ServerProcess {
  child: ChildProcess;
  /** Every line the process wrote on stdout, parsed (each must be JSON). */
  logs: Record<string, unknown>[];
  /** Lines of stdout that were not JSON (there should be none). */
  notJson: string[];
  stderr: string;
  /** Resolves with the URL once the log says the server listens. */
  listening: Promise<string>;
  /** Resolves with the exit code (or the signal's name). */
  exited: Promise<number | string>;
}

export function startServerProcess(options: Partial<ServeOptions>): ServerProcess {
  const child = spawn(process.execPath, [serveProcessScript, JSON.stringify({ port: 0, ...options })], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, HF_HUB_OFFLINE: "1" },
  });
  const logs: Record<string, unknown>[] = [];
  const notJson: string[] = [];
  let stderr = "";
  let listened: (url: string) => void = () => {};
  let failed: (error: Error) => void = () => {};
  const listening = new Promise<string>((resolve, reject) => {
    listened = resolve;
    failed = reject;
  });
  let partial = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
    partial += chunk;
    const lines = partial.split("\n");
    partial = lines.pop()!;
    for (const line of lines) {
      if (line.trim() === "") continue;
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line);
      } catch {
        notJson.push(line);
        continue;
      }
      logs.push(entry);
      const match = /^Server listening at (http:\/\/127\.0\.0\.1:\d+)$/.exec(String(entry.msg));
      if (match) listened(match[1]!);
    }
  });
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<number | string>((resolve) => {
    child.on("exit", (code, signal) => {
      failed(new Error(`the server process exited (${code ?? signal}) before listening: ${stderr}`));
      resolve(code ?? signal ?? -1);
    });
  });
  return {
    child,
    logs,
    notJson,
    get stderr() {
      return stderr;
    },
    listening,
    exited,
  };
}

/** Resolves once GET /health answers 200. */
export async function waitHealthy(url: string, limitMs = 60_000): Promise<void> {
  const start = Date.now();
  for (;;) {
    const status = await fetch(`${url}/health`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return;
    if (Date.now() - start > limitMs) throw new Error(`${url} did not become healthy`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
