// Shared by the tests: the models (the repository's demo model, the fixture checkpoints), servers started on
// a free port of 127.0.0.1, and the comparison that defines "the same answer" for a batched and a solo run.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { fixturesDir } from "@deberta/testing";
import { expect } from "vitest";
import type { ServeOptions } from "./options.js";
import { DebertaServer } from "./server.js";

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, "../../..");
/** The README's demo model: base-like/seqcls with NLI labels, 64 positions, a tokenizer. */
export const demoModel = path.join(repoRoot, "examples", "demo-model");
export const fixtureModel = (head: string): string => path.join(fixturesDir(), "models", "base-like", head);

/** A JSON answer: its shape is what the tests check. */
// biome-ignore lint/suspicious/noExplicitAny: answers are checked by the tests' expectations, not by types.
export type Json = any;

export interface TestServer {
  server: DebertaServer;
  url: string;
  /** POSTs `body` as JSON. */
  post(route: string, body: unknown): Promise<{ status: number; body: Json; headers: Headers }>;
  /** POSTs `text` as it is, with `contentType`. */
  postRaw(
    route: string,
    text: string,
    contentType?: string,
  ): Promise<{ status: number; body: Json; headers: Headers }>;
  get(route: string): Promise<{ status: number; body: Json; text: string; headers: Headers }>;
  close(): Promise<void>;
}

/** A server on 127.0.0.1 (a free port), loaded unless `load: false`; no logs unless asked. */
export async function startServer(
  options: Partial<ServeOptions> & { load?: boolean } = {},
): Promise<TestServer> {
  const { load = true, ...rest } = options;
  const server = await DebertaServer.create({ model: demoModel, port: 0, logger: false, ...rest });
  await server.listen();
  const url = `http://127.0.0.1:${server.port}`;
  if (load) await server.load();
  const postRaw = async (route: string, text: string, contentType = "application/json") => {
    const response = await fetch(url + route, {
      method: "POST",
      headers: { "content-type": contentType },
      body: text,
    });
    const answer = await response.text();
    return { status: response.status, body: parse(answer) as Json, headers: response.headers };
  };
  return {
    server,
    url,
    post: (route, body) => postRaw(route, JSON.stringify(body)),
    postRaw,
    async get(route) {
      const response = await fetch(url + route);
      const text = await response.text();
      return { status: response.status, body: parse(text), text, headers: response.headers };
    },
    close: () => server.close(),
  };
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * What "the same answer" means for a batched run against a solo run: the same structure, strings (labels,
 * words, answers) identical, numbers within 1e-5 absolute (integers such as indices and offsets are thus
 * equal; the forward is float32, and a different batch shape changes only the rounding).
 */
export function expectSameAnswer(actual: unknown, expected: unknown, where = "result"): void {
  if (typeof expected === "number") {
    // Integers (indices, offsets) differ by 1 or more when they differ: the tolerance keeps them exact.
    expect(typeof actual, where).toBe("number");
    expect(Math.abs((actual as number) - expected), where).toBeLessThanOrEqual(1e-5);
    return;
  }
  if (Array.isArray(expected)) {
    expect(Array.isArray(actual), where).toBe(true);
    expect((actual as unknown[]).length, where).toBe(expected.length);
    for (const [i, e] of expected.entries()) expectSameAnswer((actual as unknown[])[i], e, `${where}[${i}]`);
    return;
  }
  if (expected !== null && typeof expected === "object") {
    expect(actual !== null && typeof actual === "object", where).toBe(true);
    expect(Object.keys(actual as object).sort(), where).toEqual(Object.keys(expected).sort());
    for (const [k, e] of Object.entries(expected))
      expectSameAnswer((actual as Record<string, unknown>)[k], e, `${where}.${k}`);
    return;
  }
  expect(actual, where).toBe(expected);
}

/** A sample of `name` in the Prometheus text (labels as written, e.g. `{reason="disconnect"}`). */
export function metric(text: string, name: string, labels = ""): number | undefined {
  for (const line of text.split("\n")) {
    if (line.startsWith("#")) continue;
    const space = line.lastIndexOf(" ");
    const key = line.slice(0, space);
    if (key === name + labels) return Number(line.slice(space + 1));
  }
  return undefined;
}

/** Resolves when `condition()` holds, polling (the tests wait for states, never for durations). */
export async function until(
  condition: () => Promise<boolean> | boolean,
  what: string,
  limitMs = 60_000,
): Promise<void> {
  const start = Date.now();
  while (!(await condition())) {
    if (Date.now() - start > limitMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
