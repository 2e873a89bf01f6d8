// A local HTTP server that behaves like the Hugging Face Hub for the tests (never part of the package build):
// `/{org}/{name}/resolve/{revision}/{file}` with X-Repo-Commit, ETag, X-Linked-Etag/X-Linked-Size for LFS
// files (`.safetensors`, `.bin`), LFS files redirected (302) to `/blobs/{sha256}`, Range support, plain folders
// without Hub headers under `/plain/{name}/`, and injectable faults.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";

/** The commit every test repository is at. */
export const TEST_COMMIT = "4f1c2a9e8b7d6c5b4a39281706f5e4d3c2b1a090";

export interface TestRepo {
  readonly files: Readonly<Record<string, Uint8Array>>;
  readonly commit?: string;
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly host: string;
  readonly range: string | undefined;
  readonly authorization: string | undefined;
  /** The repository file concerned (for /blobs/{sha}: the file with that sha256). */
  readonly file: string | undefined;
}

/** A fault, applied to the requests for `file` (content GETs unless said otherwise); `times` then it stops. */
export type Fault =
  | { kind: "status"; file: string; status: number; times?: number; method?: "HEAD" | "GET" }
  | { kind: "drop"; file: string; afterBytes: number; times?: number }
  | { kind: "corrupt"; file: string }
  | { kind: "ignoreRange"; file: string; times?: number }
  | { kind: "slow"; file: string; chunkBytes: number; delayMs: number }
  | { kind: "gate"; file: string; heads: number; timeoutMs: number };

export interface HubTestServerOptions {
  readonly repos?: Readonly<Record<string, TestRepo>>;
  readonly folders?: Readonly<Record<string, Readonly<Record<string, Uint8Array>>>>;
  /** Resolve requests without `Authorization: Bearer <token>` get a 401. */
  readonly requireToken?: string;
  /** Answer a HEAD of an LFS file with the 302 (true, as the Hub does) or with a 200. */
  readonly lfsHeadRedirect?: boolean;
  /** Renamed repositories: old id → new id, answered with a relative 307, as the Hub does. */
  readonly renames?: Readonly<Record<string, string>>;
  /** Send the Hub's CORS headers (any origin), so that a page on another port can fetch from it. */
  readonly cors?: boolean;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** The git blob id of a file: what the Hub sends as ETag for files not in LFS. */
export function gitBlobSha1(bytes: Uint8Array): string {
  return createHash("sha1").update(`blob ${bytes.length}\0`).update(bytes).digest("hex");
}

export function isLfs(file: string): boolean {
  return /\.(safetensors|bin)$/.test(file);
}

/** Every file of a folder (not recursive), by name. */
export function readFolder(dir: string): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = {};
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isFile()) out[name] = new Uint8Array(readFileSync(full));
  }
  return out;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class HubTestServer {
  readonly requests: RecordedRequest[] = [];
  faults: Fault[] = [];
  /** Where LFS redirects point (another server to play a CDN on another host); default this server. */
  blobBaseUrl: string | undefined;
  private readonly server: http.Server;
  private readonly options: HubTestServerOptions;
  private readonly blobs = new Map<string, { file: string; bytes: Uint8Array }>();
  private port = 0;

  private constructor(options: HubTestServerOptions) {
    this.options = options;
    for (const repo of Object.values(options.repos ?? {})) {
      for (const [file, bytes] of Object.entries(repo.files)) {
        if (isLfs(file)) this.blobs.set(sha256Hex(bytes), { file, bytes });
      }
    }
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch(() => res.destroy());
    });
  }

  static async start(options: HubTestServerOptions): Promise<HubTestServer> {
    const server = new HubTestServer(options);
    await new Promise<void>((resolve) => server.server.listen(0, "127.0.0.1", resolve));
    server.port = (server.server.address() as AddressInfo).port;
    return server;
  }

  /** `http://127.0.0.1:{port}`. */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The same server under the host name `localhost` (another host for the client, same socket). */
  get localhostUrl(): string {
    return `http://localhost:${this.port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** The requests matching. */
  matching(method: string, file?: string, pathPrefix?: string): RecordedRequest[] {
    return this.requests.filter(
      (r) =>
        r.method === method &&
        (file === undefined || r.file === file) &&
        (pathPrefix === undefined || r.path.startsWith(pathPrefix)),
    );
  }

  private takeFault<K extends Fault["kind"]>(
    kind: K,
    file: string,
    method: string,
  ): Extract<Fault, { kind: K }> | undefined {
    const index = this.faults.findIndex(
      (f) =>
        f.kind === kind &&
        f.file === file &&
        (f.kind !== "status" || f.method === undefined || f.method === method) &&
        (f.kind === "status" || method === "GET"),
    );
    if (index < 0) return undefined;
    const fault = this.faults[index] as Extract<Fault, { kind: K }>;
    const times = (fault as { times?: number }).times;
    if (times !== undefined) {
      if (times <= 1) this.faults.splice(index, 1);
      else this.faults[index] = { ...fault, times: times - 1 } as Fault;
    }
    return fault;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const rawPath = (req.url ?? "/").split("?")[0]!;
    const method = req.method ?? "GET";
    if (this.options.cors) {
      res.setHeader("Access-Control-Allow-Origin", "*");
      res.setHeader(
        "Access-Control-Expose-Headers",
        "Content-Length, Content-Range, ETag, X-Repo-Commit, X-Linked-Etag, X-Linked-Size, X-Error-Code, X-Error-Message",
      );
    }
    const record = (file: string | undefined) =>
      this.requests.push({
        method,
        path: rawPath,
        host: req.headers.host ?? "",
        range: req.headers.range,
        authorization: req.headers.authorization,
        file,
      });

    const blobMatch = /^\/blobs\/([0-9a-f]{64})$/.exec(rawPath);
    if (blobMatch !== null) {
      const blob = this.blobs.get(blobMatch[1]!);
      record(blob?.file);
      if (blob === undefined) return this.end(res, 404, {});
      const headers = { ETag: `"${blobMatch[1]}"` };
      return this.serveContent(req, res, blob.file, blob.bytes, headers);
    }

    const plainMatch = /^\/plain\/([^/]+)\/(.+)$/.exec(rawPath);
    if (plainMatch !== null) {
      const file = plainMatch[2]!.split("/").map(decodeURIComponent).join("/");
      record(file);
      const bytes = this.options.folders?.[plainMatch[1]!]?.[file];
      if (bytes === undefined) return this.end(res, 404, {});
      const headers = { ETag: `W/"${gitBlobSha1(bytes).slice(0, 16)}-plain"` };
      return this.serveContent(req, res, file, bytes, headers);
    }

    const at = rawPath.indexOf("/resolve/");
    if (at < 0) {
      record(undefined);
      return this.end(res, 404, {});
    }
    const repoId = rawPath.slice(1, at);
    const renamed = this.options.renames?.[repoId];
    if (renamed !== undefined) {
      record(undefined);
      return this.end(res, 307, { Location: `/${renamed}${rawPath.slice(at)}` });
    }
    const [revPart, ...fileParts] = rawPath.slice(at + "/resolve/".length).split("/");
    const revision = decodeURIComponent(revPart ?? "");
    const file = fileParts.map(decodeURIComponent).join("/");
    record(file);

    const status = this.takeFault("status", file, method);
    if (status !== undefined) return this.end(res, status.status, {});
    const required = this.options.requireToken;
    if (required !== undefined && req.headers.authorization !== `Bearer ${required}`) {
      return this.end(res, 401, { "X-Error-Message": "Invalid credentials in Authorization header" });
    }
    const repo = this.options.repos?.[repoId];
    if (repo === undefined) {
      return this.end(res, 404, {
        "X-Error-Code": "RepoNotFound",
        "X-Error-Message": "Repository not found",
      });
    }
    const commit = repo.commit ?? TEST_COMMIT;
    if (revision !== "main" && revision !== commit) {
      return this.end(res, 404, { "X-Error-Code": "RevisionNotFound", "X-Error-Message": "Invalid rev id" });
    }
    const bytes = repo.files[file];
    if (bytes === undefined) {
      return this.end(res, 404, {
        "X-Error-Code": "EntryNotFound",
        "X-Error-Message": "Entry not found",
        "X-Repo-Commit": commit,
      });
    }
    const headers: Record<string, string> = { "X-Repo-Commit": commit, ETag: `"${gitBlobSha1(bytes)}"` };
    if (isLfs(file)) {
      const sha = sha256Hex(bytes);
      Object.assign(headers, {
        ETag: `"${gitBlobSha1(new TextEncoder().encode(`oid sha256:${sha}`))}"`,
        "X-Linked-Etag": `"${sha}"`,
        "X-Linked-Size": String(bytes.length),
        Location: `${this.blobBaseUrl ?? this.url}/blobs/${sha}`,
      });
      if (method === "HEAD" && this.options.lfsHeadRedirect === false) {
        delete headers.Location;
        return this.end(res, 200, { ...headers, "Content-Length": String(bytes.length) });
      }
      // The Content-Length of a redirect is that of its (empty) body, not the file's.
      return this.end(res, 302, { ...headers, "Content-Length": method === "HEAD" ? "1234" : "0" });
    }
    return this.serveContent(req, res, file, bytes, headers);
  }

  private end(res: http.ServerResponse, status: number, headers: Record<string, string>): void {
    res.writeHead(status, { "Content-Length": "0", ...headers });
    res.end();
  }

  private async serveContent(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    file: string,
    content: Uint8Array,
    headers: Record<string, string>,
  ): Promise<void> {
    const method = req.method ?? "GET";
    if (method === "HEAD") {
      return this.end(res, 200, {
        ...headers,
        "Content-Length": String(content.length),
        "Accept-Ranges": "bytes",
      });
    }
    const gate = this.takeFault("gate", file, method);
    if (gate !== undefined) {
      const until = Date.now() + gate.timeoutMs;
      while (this.matching("HEAD", file).length < gate.heads && Date.now() < until) await sleep(10);
    }
    let body = content;
    if (this.takeFault("corrupt", file, method) !== undefined) {
      body = content.slice();
      for (let i = 0; i < body.length; i += 997) body[i] = body[i]! ^ 0xff;
    }
    let status = 200;
    const out: Record<string, string> = { ...headers, "Accept-Ranges": "bytes" };
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? "");
    if (range !== null && this.takeFault("ignoreRange", file, method) === undefined) {
      const start = Number(range[1]);
      const end = range[2] === "" ? body.length - 1 : Math.min(Number(range[2]), body.length - 1);
      if (start >= body.length) {
        return this.end(res, 416, { ...headers, "Content-Range": `bytes */${body.length}` });
      }
      status = 206;
      out["Content-Range"] = `bytes ${start}-${end}/${body.length}`;
      body = body.subarray(start, end + 1);
    }
    out["Content-Length"] = String(body.length);
    res.writeHead(status, out);
    const drop = this.takeFault("drop", file, method);
    if (drop !== undefined && drop.afterBytes < body.length) {
      res.write(body.subarray(0, drop.afterBytes));
      await sleep(50);
      res.destroy();
      return;
    }
    const slow = this.faults.find(
      (f): f is Extract<Fault, { kind: "slow" }> => f.kind === "slow" && f.file === file,
    );
    if (slow !== undefined) {
      for (let at = 0; at < body.length; at += slow.chunkBytes) {
        if (res.destroyed) return;
        res.write(body.subarray(at, at + slow.chunkBytes));
        await sleep(slow.delayMs);
      }
      res.end();
      return;
    }
    res.end(body);
  }
}

// ---------------------------------------------------------------------------------------------------------
// helpers for the Hub tests

/** Runs `fn` and returns the HubError it throws (failing the test otherwise). */
export async function caughtHub(fn: () => unknown): Promise<import("./hub-error.js").HubError> {
  const { HubError } = await import("./hub-error.js");
  try {
    await fn();
  } catch (error) {
    if (error instanceof HubError) return error;
    throw new Error(`expected a HubError, got ${String(error)}`, { cause: error });
  }
  throw new Error("expected a HubError, nothing was thrown");
}

/** Files of a folder, recursively, as `/`-separated relative names, sorted. */
export function listTree(dir: string): string[] {
  const out: string[] = [];
  const walk = (sub: string) => {
    for (const entry of readdirSync(path.join(dir, sub), { withFileTypes: true })) {
      const rel = sub === "" ? entry.name : `${sub}/${entry.name}`;
      if (entry.isDirectory()) walk(rel);
      else out.push(rel);
    }
  };
  walk("");
  return out.sort();
}

/** True when the file at `file` holds exactly `bytes` (a fast compare; toEqual on big arrays is slow). */
export function fileHolds(file: string, bytes: Uint8Array): boolean {
  return Buffer.from(readFileSync(file)).equals(
    Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
  );
}
