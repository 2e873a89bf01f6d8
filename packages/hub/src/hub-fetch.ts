/**
 * `fetchHubFile`: one file of a Hub repository into memory with progress, for places without a file system
 * (browsers, workers). No cache, no lock, no retry: the caller keeps the bytes where it wants (Cache Storage,
 * OPFS). Redirects are followed by `fetch` itself (browsers hide `redirect: "manual"` targets), so a token,
 * when given, goes only to the endpoint's own host by the browser's CORS rules.
 */
import type { HubProgressEvent } from "./hub-download.js";
import { hubError } from "./hub-error.js";
import { describeFailure, statusError } from "./hub-http.js";
import { DEFAULT_REVISION, hubFileUrl } from "./hub-paths.js";

export interface FetchHubFileOptions {
  /** Branch, tag or commit. Default `main`. */
  readonly revision?: string;
  /** The Hub's address. Default `https://huggingface.co`. */
  readonly endpoint?: string;
  /** Sent as `Authorization: Bearer <token>` (a private or gated repository). */
  readonly token?: string;
  /** Called as bytes arrive: `loaded` so far, `total` when the server sent a Content-Length. */
  readonly onProgress?: (event: HubProgressEvent) => void;
  readonly signal?: AbortSignal;
  /** The `fetch` to use. Default the global one. */
  readonly fetch?: typeof fetch;
}

/**
 * Downloads `file` of `repoId` into memory. Throws a {@link HubError}: `HUB_NOT_FOUND` (404: no such
 * repository, revision or file), `HUB_UNAUTHORIZED` (401/403), `HUB_NETWORK` (no answer, another status, or a
 * body shorter than its Content-Length), `HUB_BAD_REFERENCE` (an invalid id).
 *
 * @example
 * ```ts
 * import { fetchHubFile, readWeightsFromBuffer } from "@deberta/hub";
 *
 * const bytes = await fetchHubFile("microsoft/deberta-base", "model.safetensors", {
 *   onProgress: ({ loaded, total }) => console.log(loaded, total),
 * });
 * const weights = await readWeightsFromBuffer(bytes, "model.safetensors");
 * ```
 */
export async function fetchHubFile(
  repoId: string,
  file: string,
  options: FetchHubFileOptions = {},
): Promise<Uint8Array> {
  const revision = options.revision ?? DEFAULT_REVISION;
  const url = hubFileUrl(repoId, file, revision, options.endpoint);
  const details = { repo: repoId, revision, file };
  const doFetch = options.fetch ?? globalThis.fetch;
  let response: Response;
  try {
    response = await doFetch(url, {
      headers: options.token === undefined ? {} : { Authorization: `Bearer ${options.token}` },
      signal: options.signal,
    });
  } catch (cause) {
    if (options.signal?.aborted) throw options.signal.reason;
    throw hubError("HUB_NETWORK", `GET ${url} failed: ${describeFailure(cause)}`, { ...details, url, cause });
  }
  if (!response.ok) {
    throw await statusError({ response, url, tokenSent: options.token !== undefined }, "GET", details);
  }
  const header = response.headers.get("content-length");
  const total = header === null || !/^\d+$/.test(header) ? undefined : Number(header);
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  const report = () => options.onProgress?.({ repo: repoId, file, loaded, total, cached: false });
  report();
  if (response.body !== null) {
    const reader = response.body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value);
        loaded += value.length;
        report();
      }
    } catch (cause) {
      if (options.signal?.aborted) throw options.signal.reason;
      throw hubError(
        "HUB_NETWORK",
        `GET ${url}: the download broke off after ${loaded} bytes: ${describeFailure(cause)}`,
        {
          ...details,
          url,
          cause,
        },
      );
    }
  }
  if (total !== undefined && loaded !== total) {
    throw hubError("HUB_NETWORK", `GET ${url}: got ${loaded} of ${total} bytes`, { ...details, url });
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(loaded);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
