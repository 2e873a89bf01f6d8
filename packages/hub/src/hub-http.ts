/**
 * The HTTP side of Hub downloads: one request with redirects followed by hand (the token never leaves its
 * host), the HubError of a failed status, which failures are worth retrying and how long to wait.
 */
import type { HubContext, HubSource } from "./hub-download.js";
import { HubError, type HubErrorDetails, hubError } from "./hub-error.js";

export const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 10;

/** Errors worth retrying (network errors, 408, 429, 5xx), with the server's `Retry-After` in ms if any. */
export const retryable = new WeakMap<HubError, number | undefined>();

export function markRetryable(error: HubError, retryAfterMs?: number): HubError {
  retryable.set(error, retryAfterMs);
  return error;
}

export function describeFailure(cause: unknown): string {
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

export interface Sent {
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
export async function send(
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
export async function statusError(sent: Sent, method: string, details: HubErrorDetails): Promise<HubError> {
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

export function backoffMs(ctx: HubContext, failures: number, retryAfter: number | undefined): number {
  const exponential = ctx.retryBaseMs * 2 ** (failures - 1);
  return Math.min(ctx.retryMaxMs, Math.max(exponential, retryAfter ?? 0));
}

export function withTries(error: HubError, tries: number): HubError {
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

export function headerInt(value: string | null): number | undefined {
  if (value === null || !/^\d+$/.test(value.trim())) return undefined;
  const n = Number(value.trim());
  return Number.isSafeInteger(n) ? n : undefined;
}

/** `bytes start-end/size` (size may be `*`). */
export function parseContentRange(
  value: string | null,
): { start: number; size: number | undefined } | undefined {
  const match = /^bytes\s+(\d+)-(\d+)\/(\d+|\*)$/i.exec(value?.trim() ?? "");
  if (match === null) return undefined;
  return { start: Number(match[1]), size: match[3] === "*" ? undefined : Number(match[3]) };
}
