/**
 * Downloading Hub files into the shared cache (Node), as `hf_hub_download` does: a HEAD for the metadata
 * (commit, ETag, size), then a GET following redirects into `blobs/{etag}.incomplete` under the lock
 * `blobs/{etag}.lock`, resumed with `Range` after a dropped connection, checked against the LFS sha256, renamed
 * to `blobs/{etag}`, linked from `snapshots/{commit}/{file}`, and `refs/{revision}` updated.
 */
import {
  acquireLock,
  createPointer,
  fileExists,
  hubCacheDir,
  hubNodeModules,
  type LockOptions,
  lookupCache,
  type NodeModules,
  pointerTargets,
  type RepoCachePaths,
  repoCachePaths,
  resolveHubToken,
  sleep,
  writeCachedirTag,
  writeNoExist,
  writeRef,
} from "./hub-cache.js";
import { HubError, type HubErrorDetails, hubError } from "./hub-error.js";
import {
  DEFAULT_REVISION,
  encodePath,
  envIsTrue,
  type HubEnv,
  hubEndpoint,
  isCommitHash,
  isHubOffline,
  isSha256,
  normalizeEtag,
  processEnv,
  repoFolderName,
  validateFilename,
  validateRepoId,
  validateRevision,
} from "./hub-paths.js";

type Hash = import("node:crypto").Hash;

/** One progress report of a file download. */
export interface HubProgressEvent {
  /** The repository id, or the folder URL. */
  readonly repo: string;
  /** The file name inside the repository. */
  readonly file: string;
  /** Bytes of the file on disk so far (including bytes kept from an interrupted download). Never decreases. */
  readonly loaded: number;
  /** The file's size, when the server announced it (the Hub always does); `loaded` at the last event. */
  readonly total: number | undefined;
  /** True when the file came from the cache without a download (one event, `loaded === total`). */
  readonly cached: boolean;
}

/** Options of {@link hfFileDownload} (and of `resolveModelFiles`). */
export interface HubDownloadOptions {
  /** A branch, tag or commit hash. Default `"main"`. */
  readonly revision?: string;
  /** The cache root. Default `$HF_HUB_CACHE`, else `$HF_HOME/hub`, else `~/.cache/huggingface/hub`. */
  readonly cacheDir?: string;
  /**
   * The token sent as `Authorization: Bearer`. Default `$HF_TOKEN`, else the token file of
   * `huggingface-cli login` (`$HF_HOME/token`). `false`: send none. Never sent to another host after a redirect.
   */
  readonly token?: string | false;
  /** The Hub endpoint. Default `$HF_ENDPOINT`, else `https://huggingface.co`. */
  readonly endpoint?: string;
  /** Serve from the cache only, never touching the network (as `HF_HUB_OFFLINE=1` does). */
  readonly localFilesOnly?: boolean;
  /** Alias of `localFilesOnly`, spelled as in Python. */
  readonly local_files_only?: boolean;
  /** Called as bytes arrive (once per chunk received), and once for a file served from the cache. */
  readonly onProgress?: (event: HubProgressEvent) => void;
  /** Aborts requests, waits and retries; the download's `.incomplete` file is kept for a later resume. */
  readonly signal?: AbortSignal;
  /** The `fetch` to use. Default the global one. It must honour `redirect: "manual"` (Node's does). */
  readonly fetch?: typeof fetch;
  /** Environment variables to read instead of `process.env` (`HF_TOKEN`, `HF_HOME`, ...). */
  readonly env?: HubEnv;
  /** Tries per request on network errors, 408, 429 and 5xx (a retry that made progress resets it). Default 5. */
  readonly maxTries?: number;
  /** First retry delay (ms), doubled at each retry. Default 200. */
  readonly retryBaseMs?: number;
  /** Longest retry delay (ms), also the cap of a `Retry-After`. Default 10,000. */
  readonly retryMaxMs?: number;
  /** A download lock not refreshed for this long (ms) belongs to a dead process and is broken. Default 10 min. */
  readonly lockStaleMs?: number;
  /** How often to check a lock held by another process (ms). Default 250. */
  readonly lockPollMs?: number;
  /** Give up waiting for another process's download with `HUB_LOCKED` after this long (ms). Default: no limit. */
  readonly lockTimeoutMs?: number;
  /** Link snapshot files to blobs with symlinks (else copy). Default true unless `HF_HUB_DISABLE_SYMLINKS`. */
  readonly symlinks?: boolean;
}

/** Everything a download needs, resolved once (Node). */
export interface HubContext {
  readonly m: NodeModules;
  readonly env: HubEnv;
  readonly endpoint: string;
  readonly cacheDir: string;
  readonly fetch: (input: string, init: RequestInit) => Promise<Response>;
  /** Offline: cache only. Set by `localFilesOnly` or `HF_HUB_OFFLINE`, or by `resolveModel` after a failure. */
  offline: boolean;
  /** Why `offline` is set, for error messages. */
  offlineReason: string;
  readonly symlinks: boolean;
  readonly maxTries: number;
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  readonly lock: LockOptions;
  readonly onProgress: ((event: HubProgressEvent) => void) | undefined;
  readonly signal: AbortSignal | undefined;
  /** The token from the option, the environment or the token file (resolved once). */
  readonly token: string | undefined;
  /** Whether `token` was passed explicitly as a string. */
  readonly explicitToken: boolean;
}

/** Where files come from: a Hub repository, or an http(s) folder. */
export interface HubSource {
  readonly kind: "hub" | "url";
  /** The repository id, or the folder URL (ending in `/`). */
  readonly repo: string;
  readonly revision: string;
  /** The cache folder's name: `models--org--name`, or `models--url--{sha256(url) first 16 hex}`. */
  readonly folderName: string;
  /** The token to send to this source's host, if any. */
  readonly token: string | undefined;
  fileUrl(file: string): string;
}

/** How a file was obtained. */
export interface HubDownloadResult {
  /** The snapshot file: `<cache>/models--org--name/snapshots/{commit}/{file}`. */
  readonly path: string;
  /** The snapshot folder's name. */
  readonly commit: string;
  /** `network`: downloaded now; `cache`: already there; `fallback`: from the cache after a failed request. */
  readonly from: "network" | "cache" | "fallback";
}

/** Builds the context of a download from its options (Node). */
export async function createHubContext(
  options: HubDownloadOptions,
  details: HubErrorDetails = {},
): Promise<HubContext> {
  const m = await hubNodeModules(details);
  const env = options.env ?? processEnv();
  const localOnly = options.localFilesOnly === true || options.local_files_only === true;
  const fetchImpl = options.fetch ?? (globalThis as { fetch?: typeof fetch }).fetch;
  const fetchFn = (input: string, init: RequestInit): Promise<Response> => {
    if (fetchImpl === undefined) throw new TypeError("no fetch in this runtime: pass the fetch option");
    return fetchImpl(input, init);
  };
  return {
    m,
    env,
    endpoint: hubEndpoint(options.endpoint, env),
    cacheDir: await hubCacheDir({ cacheDir: options.cacheDir, env }),
    fetch: fetchFn,
    offline: localOnly || isHubOffline(env),
    offlineReason: localOnly ? "localFilesOnly is set" : "HF_HUB_OFFLINE is set",
    symlinks: options.symlinks ?? !envIsTrue(env.HF_HUB_DISABLE_SYMLINKS),
    maxTries: Math.max(1, Math.floor(options.maxTries ?? 5)),
    retryBaseMs: Math.max(0, options.retryBaseMs ?? 200),
    retryMaxMs: Math.max(0, options.retryMaxMs ?? 10_000),
    lock: {
      staleMs: options.lockStaleMs ?? 10 * 60_000,
      pollMs: Math.max(1, options.lockPollMs ?? 250),
      timeoutMs: options.lockTimeoutMs ?? Number.POSITIVE_INFINITY,
      signal: options.signal,
    },
    onProgress: options.onProgress,
    signal: options.signal,
    token: await resolveHubToken({ token: options.token, env }),
    explicitToken: typeof options.token === "string",
  };
}

/** A Hub model repository as a source (validates the id and revision). */
export function hubRepoSource(
  ctx: HubContext,
  repoId: string,
  revision: string = DEFAULT_REVISION,
): HubSource {
  validateRepoId(repoId);
  validateRevision(revision, repoId);
  const base = `${ctx.endpoint}/${repoId}/resolve/${encodeURIComponent(revision)}/`;
  return {
    kind: "hub",
    repo: repoId,
    revision,
    folderName: repoFolderName(repoId),
    token: ctx.token,
    fileUrl: (file) => base + encodePath(file),
  };
}

/** The folder URL, normalised: no query or fragment, ending in `/`. */
export function normalizeFolderUrl(url: string): string {
  const parsed = new URL(url);
  parsed.search = "";
  parsed.hash = "";
  if (!parsed.pathname.endsWith("/")) parsed.pathname += "/";
  return parsed.href;
}

/**
 * An http(s) folder as a source, cached in `models--url--{first 16 hex of sha256(folder URL)}`. The token is
 * sent there only when passed explicitly, or when the folder is on the Hub endpoint's host.
 */
export function urlFolderSource(ctx: HubContext, folderUrl: string): HubSource {
  const base = normalizeFolderUrl(folderUrl);
  const digest = ctx.m.crypto.createHash("sha256").update(base).digest("hex");
  const sameHost = new URL(base).hostname.toLowerCase() === new URL(ctx.endpoint).hostname.toLowerCase();
  return {
    kind: "url",
    repo: base,
    revision: DEFAULT_REVISION,
    folderName: `models--url--${digest.slice(0, 16)}`,
    token: ctx.explicitToken || sameHost ? ctx.token : undefined,
    fileUrl: (file) => new URL(encodePath(file), base).href,
  };
}

/**
 * Downloads one file of a Hub model repository into the cache (Node) and returns its snapshot path,
 * `<cache>/models--{org}--{name}/snapshots/{commit}/{filename}`, as Python's `hf_hub_download` does.
 *
 * - A revision that is a commit hash already in the cache is served without any request.
 * - Offline (`HF_HUB_OFFLINE=1` or `localFilesOnly`): `refs/{revision}` → snapshot → file, or `HUB_OFFLINE_MISSING`.
 * - Online: HEAD `{endpoint}/{repoId}/resolve/{revision}/{filename}` (redirects not followed except relative ones)
 *   for `X-Repo-Commit`, `X-Linked-Etag`/`ETag`, `X-Linked-Size`/`Content-Length`; when the snapshot file exists,
 *   done; else a GET (following redirects, the token dropped on another host) into `blobs/{etag}.incomplete`
 *   under the lock `blobs/{etag}.lock`, resumed with `Range` after a dropped connection, sha256-checked for LFS
 *   files, renamed to `blobs/{etag}`, then `snapshots/{commit}/{filename}` → `../../blobs/{etag}` and
 *   `refs/{revision}` written.
 * - When the HEAD fails (network down, 5xx, 401/403) and the cache has the file for `refs/{revision}`, the
 *   cached file is returned, as Python does.
 *
 * @throws {@link HubError} `HUB_BAD_REFERENCE`, `HUB_NOT_FOUND`, `HUB_UNAUTHORIZED`, `HUB_OFFLINE_MISSING`,
 * `HUB_NETWORK`, `HUB_CHECKSUM`, `HUB_LOCKED`; the signal's reason when aborted; file-system errors as they are.
 */
export async function hfFileDownload(
  repoId: string,
  filename: string,
  options: HubDownloadOptions = {},
): Promise<string> {
  const revision = options.revision ?? DEFAULT_REVISION;
  validateRepoId(repoId);
  validateRevision(revision, repoId);
  validateFilename(filename, repoId, revision);
  const ctx = await createHubContext(options, { repo: repoId, revision, file: filename });
  return (await downloadToCache(ctx, hubRepoSource(ctx, repoId, revision), filename)).path;
}

// ---------------------------------------------------------------------------------------------------------
// the download of one file

function progressReporter(ctx: HubContext, source: HubSource, file: string) {
  let last = -1;
  let lastTotal: number | undefined;
  const send = (loaded: number, total: number | undefined, cached: boolean) => {
    last = loaded;
    lastTotal = total;
    ctx.onProgress?.({ repo: source.repo, file, loaded, total, cached });
  };
  return {
    /** Bytes so far; skipped unless above the last report (after a restart from 0, until it passes it). */
    update(loaded: number, total: number | undefined) {
      if (loaded > last) send(loaded, total, false);
    },
    /** The final report: `loaded === total === size`. */
    done(size: number, cached: boolean) {
      if (size >= last && !(size === last && lastTotal === size)) send(size, size, cached);
    },
  };
}

async function fileSize(m: NodeModules, file: string): Promise<number> {
  try {
    return (await m.fs.promises.stat(file)).size;
  } catch {
    return 0;
  }
}

function cachedResult(
  ctx: HubContext,
  source: HubSource,
  file: string,
  path: string,
  commit: string,
  from: "cache" | "fallback",
): Promise<HubDownloadResult> {
  return fileSize(ctx.m, path).then((size) => {
    progressReporter(ctx, source, file).done(size, true);
    return { path, commit, from };
  });
}

/**
 * Brings one file of `source` into the cache and returns its snapshot path (Node): see {@link hfFileDownload}.
 */
export async function downloadToCache(
  ctx: HubContext,
  source: HubSource,
  file: string,
): Promise<HubDownloadResult> {
  const { m } = ctx;
  const { revision } = source;
  validateFilename(file, source.repo, revision);
  const details: HubErrorDetails = { repo: source.repo, revision, file };
  const paths = repoCachePaths(m.path, ctx.cacheDir, source.folderName);

  if (isCommitHash(revision)) {
    const pointer = paths.pointer(revision, file);
    if (await fileExists(m.fs, pointer)) return cachedResult(ctx, source, file, pointer, revision, "cache");
    if (!ctx.offline && (await fileExists(m.fs, paths.noExist(revision, file)))) {
      throw hubError(
        "HUB_NOT_FOUND",
        `the file does not exist at this commit (cached as ${paths.noExist(revision, file)})`,
        details,
      );
    }
  }
  if (ctx.offline) {
    const found = await lookupCache(m, paths, revision, file);
    if (found.path !== undefined && found.commit !== undefined) {
      return cachedResult(ctx, source, file, found.path, found.commit, "cache");
    }
    const known = found.knownMissing ? "; the cache records that the file does not exist at that commit" : "";
    throw hubError(
      "HUB_OFFLINE_MISSING",
      `not in the cache, and the network is not used (${ctx.offlineReason}): looked for ${found.looked}${known}`,
      details,
    );
  }

  let meta: FileMetadata;
  try {
    meta = await fetchMetadata(ctx, source, paths, file, details);
  } catch (error) {
    if (error instanceof HubError && (error.code === "HUB_NETWORK" || error.code === "HUB_UNAUTHORIZED")) {
      const found = await lookupCache(m, paths, revision, file);
      if (found.path !== undefined && found.commit !== undefined) {
        return cachedResult(ctx, source, file, found.path, found.commit, "fallback");
      }
      throw new HubError(
        error.code,
        `${error.message}; not in the cache either (looked for ${found.looked})`,
        {
          ...details,
          status: error.status,
          url: error.url,
          cause: error,
        },
      );
    }
    throw error;
  }

  const pointer = paths.pointer(meta.commit, file);
  const blob = paths.blob(meta.blobName);
  const upToDate =
    source.kind === "hub"
      ? await fileExists(m.fs, pointer)
      : (await pointerTargets(m, pointer, blob)) && (await fileExists(m.fs, pointer));
  if (upToDate) {
    if (revision !== meta.commit) await writeRef(m, paths.ref(revision), meta.commit).catch(() => undefined);
    return cachedResult(ctx, source, file, pointer, meta.commit, "cache");
  }

  await m.fs.promises.mkdir(m.path.dirname(blob), { recursive: true });
  await writeCachedirTag(m, ctx.cacheDir);
  let downloaded = false;
  if (!(await fileExists(m.fs, blob))) {
    const lock = await acquireLock(m, `${blob}.lock`, ctx.lock, () => fileExists(m.fs, blob), details);
    if (lock !== undefined) {
      try {
        if (!(await fileExists(m.fs, blob))) {
          await downloadBlob(ctx, source, file, meta, blob, details);
          downloaded = true;
        }
      } finally {
        await lock.release();
      }
    }
  }
  await createPointer(m, blob, pointer, ctx.symlinks);
  if (revision !== meta.commit) await writeRef(m, paths.ref(revision), meta.commit);
  if (!downloaded) return cachedResult(ctx, source, file, pointer, meta.commit, "cache");
  return { path: pointer, commit: meta.commit, from: "network" };
}

// ---------------------------------------------------------------------------------------------------------
// HTTP

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 10;

/** Errors worth retrying (network errors, 408, 429, 5xx), with the server's `Retry-After` in ms if any. */
const retryable = new WeakMap<HubError, number | undefined>();

function markRetryable(error: HubError, retryAfterMs?: number): HubError {
  retryable.set(error, retryAfterMs);
  return error;
}

function describeFailure(cause: unknown): string {
  const error = cause as { message?: unknown; cause?: { code?: unknown; message?: unknown } } | null;
  const inner = error?.cause;
  const code = typeof inner?.code === "string" ? inner.code : undefined;
  const innerMessage = typeof inner?.message === "string" ? inner.message : undefined;
  const message = typeof error?.message === "string" ? error.message : String(cause);
  return [message, code ?? innerMessage].filter((part) => part !== undefined).join(": ");
}

function isAbsoluteLocation(location: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(location) || location.startsWith("//");
}

interface Sent {
  readonly response: Response;
  readonly url: string;
  readonly tokenSent: boolean;
}

/**
 * One request with redirects followed by hand (`redirect: "manual"`), so that the token is dropped as soon as
 * a redirect leads to another host (or from https to http) and never sent again. A HEAD, as in
 * `huggingface_hub`, follows redirects that stay on the same host (a renamed repository, the Hub's
 * `/api/resolve-cache/...`) and stops at one to another host (the CDN of an LFS file), whose headers carry the
 * metadata; it also stops at a same-host absolute redirect that carries `X-Linked-Etag` (a mirror serving LFS
 * blobs itself), whose target would not carry the Hub headers.
 */
async function send(
  ctx: HubContext,
  source: HubSource,
  url: string,
  method: "HEAD" | "GET",
  extraHeaders: Record<string, string>,
  details: HubErrorDetails,
): Promise<Sent> {
  const origin = new URL(url);
  let withToken = source.token !== undefined;
  let current = url;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const target = new URL(current);
    if (
      target.hostname.toLowerCase() !== origin.hostname.toLowerCase() ||
      (origin.protocol === "https:" && target.protocol !== "https:")
    ) {
      withToken = false;
    }
    const headers: Record<string, string> = { "Accept-Encoding": "identity", ...extraHeaders };
    if (withToken) headers.Authorization = `Bearer ${source.token}`;
    let response: Response;
    try {
      response = await ctx.fetch(current, { method, headers, redirect: "manual", signal: ctx.signal });
    } catch (cause) {
      if (ctx.signal?.aborted) throw ctx.signal.reason;
      throw markRetryable(
        hubError("HUB_NETWORK", `${method} ${current} failed: ${describeFailure(cause)}`, {
          ...details,
          url: current,
          cause,
        }),
      );
    }
    if (response.type === "opaqueredirect") {
      throw hubError(
        "HUB_NETWORK",
        `${method} ${current}: this fetch hides redirects (an opaque redirect for redirect: "manual"); use ` +
          "Node's fetch",
        { ...details, url: current },
      );
    }
    const location = response.headers.get("location");
    if (REDIRECT_STATUSES.has(response.status) && location !== null) {
      const next = new URL(location, current);
      if (
        method === "HEAD" &&
        isAbsoluteLocation(location) &&
        (next.hostname.toLowerCase() !== target.hostname.toLowerCase() ||
          response.headers.has("x-linked-etag"))
      ) {
        return { response, url: current, tokenSent: withToken };
      }
      await response.body?.cancel().catch(() => undefined);
      current = next.href;
      continue;
    }
    return { response, url: current, tokenSent: withToken };
  }
  throw hubError("HUB_NETWORK", `more than ${MAX_REDIRECTS} redirects from ${url}`, { ...details, url });
}

function retryAfterMs(response: Response): number | undefined {
  const value = response.headers.get("retry-after");
  if (value === null) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** The HubError for a failed status, after discarding the body. */
async function statusError(sent: Sent, method: string, details: HubErrorDetails): Promise<HubError> {
  const { response, url, tokenSent } = sent;
  await response.body?.cancel().catch(() => undefined);
  const status = response.status;
  const serverCode = response.headers.get("x-error-code");
  const serverMessage = response.headers.get("x-error-message");
  const said = serverMessage === null ? "" : `: ${serverMessage}`;
  const at = { ...details, status, url };
  if (status === 401 || status === 403) {
    const hint = tokenSent
      ? "the token sent was refused: check that it can read this repository (a gated one needs its conditions " +
        "accepted on the Hub)"
      : "the repository may be private or gated (or may not exist); a token may be needed: set HF_TOKEN " +
        "(or pass the token option)";
    return hubError("HUB_UNAUTHORIZED", `HTTP ${status} for ${method} ${url}${said}; ${hint}`, at);
  }
  if (status === 404) {
    const what =
      serverCode === "RepoNotFound"
        ? "repository not found"
        : serverCode === "RevisionNotFound"
          ? "revision not found"
          : "not found (the repository, the revision or the file)";
    return hubError("HUB_NOT_FOUND", `${what}: HTTP 404 for ${method} ${url}${said}`, at);
  }
  const error = hubError("HUB_NETWORK", `HTTP ${status} for ${method} ${url}${said}`, at);
  if (status === 408 || status === 429 || status >= 500) markRetryable(error, retryAfterMs(response));
  return error;
}

function backoffMs(ctx: HubContext, failures: number, retryAfter: number | undefined): number {
  const exponential = ctx.retryBaseMs * 2 ** (failures - 1);
  return Math.min(ctx.retryMaxMs, Math.max(exponential, retryAfter ?? 0));
}

function withTries(error: HubError, tries: number): HubError {
  if (tries <= 1) return error;
  return new HubError(error.code, `${error.message} (after ${tries} tries)`, {
    repo: error.repo,
    revision: error.revision,
    file: error.file,
    status: error.status,
    url: error.url,
    cause: error.cause,
  });
}

interface FileMetadata {
  readonly commit: string;
  /** The normalised ETag: the sha256 for LFS files. */
  readonly etag: string;
  /** The blob's file name: the ETag, or its sha256 when it is not a safe file name. */
  readonly blobName: string;
  readonly size: number | undefined;
}

const SAFE_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._+=-]{0,199}$/;

function safeBlobName(m: NodeModules, etag: string): string {
  if (SAFE_SEGMENT.test(etag) && !/\.(lock|incomplete|tmp|stale)$/.test(etag)) return etag;
  return m.crypto.createHash("sha256").update(etag).digest("hex");
}

function headerInt(value: string | null): number | undefined {
  if (value === null || !/^\d+$/.test(value.trim())) return undefined;
  const n = Number(value.trim());
  return Number.isSafeInteger(n) ? n : undefined;
}

/**
 * The HEAD request, retried on network errors and 408/429/5xx. After the first such failure, when the cache
 * has the file, it gives up at once (the caller then serves the cached file, as Python does) rather than
 * waiting through every retry.
 */
async function fetchMetadata(
  ctx: HubContext,
  source: HubSource,
  paths: RepoCachePaths,
  file: string,
  details: HubErrorDetails,
): Promise<FileMetadata> {
  const url = source.fileUrl(file);
  for (let tries = 1; ; tries++) {
    let error: HubError;
    try {
      const sent = await send(ctx, source, url, "HEAD", {}, details);
      const { response } = sent;
      if (response.ok || REDIRECT_STATUSES.has(response.status)) {
        return parseMetadata(ctx, source, sent, details);
      }
      if (response.status === 404 && source.kind === "hub")
        await recordMissing(ctx, source, paths, file, response);
      throw await statusError(sent, "HEAD", details);
    } catch (caught) {
      if (!(caught instanceof HubError) || !retryable.has(caught)) throw caught;
      error = caught;
    }
    if (tries >= ctx.maxTries) throw withTries(error, tries);
    if (tries === 1 && (await lookupCache(ctx.m, paths, source.revision, file)).path !== undefined)
      throw error;
    await sleep(backoffMs(ctx, tries, retryable.get(error)), ctx.signal);
  }
}

/** A 404 for a file of an existing commit: `.no_exist/{commit}/{file}` and `refs/{revision}`, as Python does. */
async function recordMissing(
  ctx: HubContext,
  source: HubSource,
  paths: RepoCachePaths,
  file: string,
  response: Response,
): Promise<void> {
  const commit = response.headers.get("x-repo-commit");
  const code = response.headers.get("x-error-code");
  if (commit === null || !isCommitHash(commit) || (code !== null && code !== "EntryNotFound")) return;
  await writeNoExist(ctx.m, paths.noExist(commit, file));
  if (source.revision !== commit)
    await writeRef(ctx.m, paths.ref(source.revision), commit).catch(() => undefined);
}

function parseMetadata(
  ctx: HubContext,
  source: HubSource,
  sent: Sent,
  details: HubErrorDetails,
): FileMetadata {
  const { response, url } = sent;
  const headers = response.headers;
  const redirected = REDIRECT_STATUSES.has(response.status);
  const rawCommit = headers.get("x-repo-commit")?.trim();
  let commit: string;
  if (rawCommit !== undefined && SAFE_SEGMENT.test(rawCommit)) commit = rawCommit;
  else if (source.kind === "url") commit = "url";
  else {
    throw hubError(
      "HUB_NETWORK",
      `the answer to HEAD ${url} has no usable X-Repo-Commit header, so it does not come from a Hugging Face ` +
        "Hub endpoint: check HF_ENDPOINT, proxies and firewalls",
      { ...details, url },
    );
  }
  const size =
    headerInt(headers.get("x-linked-size")) ??
    (redirected ? undefined : headerInt(headers.get("content-length")));
  const rawEtag = headers.get("x-linked-etag") ?? headers.get("etag");
  let etag: string;
  if (rawEtag !== null && normalizeEtag(rawEtag) !== "") etag = normalizeEtag(rawEtag);
  else if (source.kind === "url") {
    // A plain server without ETag: name the blob after the URL, Last-Modified and size.
    const basis = [url, headers.get("last-modified") ?? "", String(size ?? "")].join("\n");
    etag = `url-${ctx.m.crypto.createHash("sha256").update(basis).digest("hex").slice(0, 40)}`;
  } else {
    throw hubError(
      "HUB_NETWORK",
      `the answer to HEAD ${url} has no ETag: the file cannot be cached reliably`,
      {
        ...details,
        url,
      },
    );
  }
  return { commit, etag, blobName: safeBlobName(ctx.m, etag), size };
}

/** `bytes start-end/size` (size may be `*`). */
function parseContentRange(value: string | null): { start: number; size: number | undefined } | undefined {
  const match = /^bytes\s+(\d+)-(\d+)\/(\d+|\*)$/i.exec(value?.trim() ?? "");
  if (match === null) return undefined;
  return { start: Number(match[1]), size: match[3] === "*" ? undefined : Number(match[3]) };
}

async function hashFile(m: NodeModules, file: string): Promise<Hash> {
  const hash = m.crypto.createHash("sha256");
  for await (const chunk of m.fs.createReadStream(file)) hash.update(chunk as Uint8Array);
  return hash;
}

/**
 * GETs the file into `blob + ".incomplete"`, resuming with `Range: bytes={have}-` after a failure (a 206 is
 * appended; a 200 restarts from 0), checks size and LFS sha256, and renames it to `blob`. Consecutive tries
 * without progress are limited to `maxTries`. On a checksum failure nothing is kept.
 */
async function downloadBlob(
  ctx: HubContext,
  source: HubSource,
  file: string,
  meta: FileMetadata,
  blob: string,
  details: HubErrorDetails,
): Promise<void> {
  const { m } = ctx;
  const { fs } = m;
  const incomplete = `${blob}.incomplete`;
  const url = source.fileUrl(file);
  const expectedSha = isSha256(meta.etag) ? meta.etag : undefined;
  const progress = progressReporter(ctx, source, file);
  let total = meta.size;
  let hash: Hash | undefined;
  let hashed = 0;
  let failures = 0;
  let best = -1;
  let downloadedFromZero = false;
  let leftoverRetried = false;

  for (let attempt = 1; ; attempt++) {
    let have = await fileSize(m, incomplete);
    if (total !== undefined && have > total) {
      await fs.promises.rm(incomplete, { force: true });
      have = 0;
    }
    if (have === 0) downloadedFromZero = true;
    let failure: HubError | undefined;
    let complete = total !== undefined && have === total;
    if (complete && have === 0) await fs.promises.writeFile(incomplete, new Uint8Array(0));
    if (!complete) {
      progress.update(have, total);
      try {
        const sent = await send(
          ctx,
          source,
          url,
          "GET",
          have > 0 ? { Range: `bytes=${have}-` } : {},
          details,
        );
        const { response } = sent;
        const range = parseContentRange(response.headers.get("content-range"));
        if (response.status === 416 && have > 0) {
          await response.body?.cancel().catch(() => undefined);
          const size = headerInt(
            /\/\s*(\d+)\s*$/.exec(response.headers.get("content-range") ?? "")?.[1] ?? null,
          );
          if (size === have) {
            total = have;
            complete = true;
          } else {
            await fs.promises.rm(incomplete, { force: true });
            throw markRetryable(hubError("HUB_NETWORK", `HTTP 416 for a resume at byte ${have}`, details));
          }
        } else if (!response.ok) {
          throw await statusError(sent, "GET", details);
        } else if (response.body === null) {
          throw markRetryable(hubError("HUB_NETWORK", `GET ${sent.url}: the answer has no body`, details));
        } else {
          let append = false;
          if (response.status === 206) {
            if (range === undefined || range.start !== have) {
              await response.body.cancel().catch(() => undefined);
              await fs.promises.rm(incomplete, { force: true });
              throw markRetryable(
                hubError(
                  "HUB_NETWORK",
                  `GET ${sent.url}: a partial answer not starting at byte ${have}`,
                  details,
                ),
              );
            }
            append = true;
            total ??= range.size;
          } else {
            // 200: the whole file (a server that ignores Range restarts the download from 0).
            have = 0;
            downloadedFromZero = true;
            const encoding = response.headers.get("content-encoding");
            if (encoding === null || encoding === "identity") {
              total ??= headerInt(response.headers.get("content-length"));
            }
          }
          if (expectedSha !== undefined) {
            if (!append) {
              hash = m.crypto.createHash("sha256");
              hashed = 0;
            } else if (hash === undefined || hashed !== have) {
              hash = await hashFile(m, incomplete);
              hashed = have;
            }
          }
          const handle = await fs.promises.open(incomplete, append ? "a" : "w");
          const reader = response.body.getReader();
          let streamed = false;
          try {
            for (;;) {
              let chunk: ReadableStreamReadResult<Uint8Array>;
              try {
                chunk = await reader.read();
              } catch (cause) {
                if (ctx.signal?.aborted) throw ctx.signal.reason;
                throw markRetryable(
                  hubError(
                    "HUB_NETWORK",
                    `the connection dropped after ${have} of ${total ?? "?"} bytes: ${describeFailure(cause)}`,
                    { ...details, url: sent.url, cause },
                  ),
                );
              }
              if (chunk.done) {
                streamed = true;
                break;
              }
              await handle.write(chunk.value);
              have += chunk.value.length;
              if (hash !== undefined) {
                hash.update(chunk.value);
                hashed += chunk.value.length;
              }
              if (total !== undefined && have > total) break;
              progress.update(have, total);
            }
          } finally {
            if (!streamed) await reader.cancel().catch(() => undefined);
            reader.releaseLock();
            await handle.close();
          }
          if (total !== undefined && have > total) {
            await fs.promises.rm(incomplete, { force: true });
            throw hubError(
              "HUB_CHECKSUM",
              `received more than the ${total} bytes announced: the download is corrupt, nothing was kept`,
              { ...details, url: sent.url },
            );
          }
          if (total !== undefined && have < total) {
            throw markRetryable(
              hubError("HUB_NETWORK", `the answer ended after ${have} of ${total} bytes`, {
                ...details,
                url: sent.url,
              }),
            );
          }
          total ??= have;
          complete = true;
        }
      } catch (caught) {
        if (!(caught instanceof HubError) || !retryable.has(caught)) throw caught;
        failure = caught;
      }
    }

    if (complete) {
      const size = await fileSize(m, incomplete);
      if (expectedSha !== undefined) {
        if (hash === undefined || hashed !== size) hash = await hashFile(m, incomplete);
        const actual = hash.digest("hex");
        hash = undefined;
        hashed = 0;
        if (actual !== expectedSha) {
          await fs.promises.rm(incomplete, { force: true });
          if (!downloadedFromZero && !leftoverRetried) {
            // The bytes kept from an earlier interrupted download were bad: download once more from 0.
            leftoverRetried = true;
            continue;
          }
          throw hubError(
            "HUB_CHECKSUM",
            `the sha256 of the downloaded bytes is ${actual}, but the server announced ${expectedSha} (LFS): ` +
              "the download is corrupt, nothing was kept",
            { ...details, url },
          );
        }
      }
      await fs.promises.rename(incomplete, blob);
      progress.done(size, false);
      return;
    }

    const current = await fileSize(m, incomplete);
    if (current > best) {
      if (best >= 0) failures = 0;
      best = current;
    }
    failures++;
    if (failures >= ctx.maxTries || attempt >= ctx.maxTries * 20) throw withTries(failure!, attempt);
    await sleep(
      backoffMs(ctx, failures, failure === undefined ? undefined : retryable.get(failure)),
      ctx.signal,
    );
  }
}
