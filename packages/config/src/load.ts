import { DebertaConfigError } from "./errors.js";

/** The part of a `fetch` Response that loading needs. */
export interface FetchResponseLike {
  readonly ok: boolean;
  readonly status: number;
  readonly statusText: string;
  text(): Promise<string>;
}

/** A `fetch`-compatible function; the global `fetch` by default. */
export type FetchLike = (url: string, init?: { signal?: AbortSignal }) => Promise<FetchResponseLike>;

/** Options of {@link DebertaConfig.from_pretrained} and {@link readConfigText}. */
export interface LoadOptions {
  /** Used for `http(s)` locations instead of the global `fetch` (auth headers, caching, tests). */
  readonly fetch?: FetchLike;
  /** Cancels a pending download. */
  readonly signal?: AbortSignal;
}

/** The text of a `config.json` and where it came from (a path or a URL, as named in errors). */
export interface ConfigText {
  readonly text: string;
  readonly file: string;
}

const CONFIG_FILE = "config.json";
const URL_SCHEME = /^[a-z][a-z\d+.-]*:\/\//i;

function readError(file: string, problem: string, cause?: unknown): DebertaConfigError {
  return new DebertaConfigError("CONFIG_READ", `DeBERTa config ${file}: ${problem}`, { file, cause });
}

/**
 * Where `config.json` lives for a URL: a URL whose path ends in `.json` is taken as the file itself, any
 * other URL as a folder (a Hub `.../resolve/main` URL or a static-hosting directory).
 */
export function resolveConfigUrl(url: URL): URL {
  if (url.pathname.toLowerCase().endsWith(".json")) return new URL(url.href);
  const resolved = new URL(url.href);
  resolved.pathname = `${resolved.pathname.endsWith("/") ? resolved.pathname : `${resolved.pathname}/`}${CONFIG_FILE}`;
  return resolved;
}

async function fetchText(url: URL, options: LoadOptions): Promise<ConfigText> {
  const file = resolveConfigUrl(url).href;
  const fetchFn: FetchLike | undefined =
    options.fetch ?? (typeof globalThis.fetch === "function" ? globalThis.fetch.bind(globalThis) : undefined);
  if (fetchFn === undefined) throw readError(file, "no fetch() is available in this runtime to download it");
  let response: FetchResponseLike;
  try {
    response = await fetchFn(file, options.signal === undefined ? undefined : { signal: options.signal });
  } catch (cause) {
    throw readError(
      file,
      `download failed (${cause instanceof Error ? cause.message : String(cause)})`,
      cause,
    );
  }
  if (!response.ok) {
    throw readError(file, `download failed with HTTP ${response.status} ${response.statusText}`.trimEnd());
  }
  try {
    return { text: await response.text(), file };
  } catch (cause) {
    throw readError(file, "download failed while reading the body", cause);
  }
}

function errnoCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

// Node built-ins are imported lazily, and through a variable specifier: bundlers targeting browsers then
// neither try to resolve nor polyfill them (a literal `import("node:fs/promises")` fails some webpack and
// esbuild browser builds, and tsup would rewrite it to a bare "fs/promises"). The import only runs when a
// local path is actually read.
function importNodeBuiltin<T>(specifier: string): Promise<T> {
  return import(/* webpackIgnore: true */ /* @vite-ignore */ specifier) as Promise<T>;
}

async function readLocal(location: string): Promise<ConfigText> {
  let fs: typeof import("node:fs/promises");
  let path: typeof import("node:path");
  try {
    [fs, path] = await Promise.all([
      importNodeBuiltin<typeof import("node:fs/promises")>("node:fs/promises"),
      importNodeBuiltin<typeof import("node:path")>("node:path"),
    ]);
  } catch (cause) {
    throw readError(location, "reading local files needs Node.js; pass an http(s) URL instead", cause);
  }
  let file = location;
  try {
    if ((await fs.stat(location)).isDirectory()) file = path.join(location, CONFIG_FILE);
  } catch (cause) {
    if (errnoCode(cause) === "ENOENT") throw readError(location, "file or folder not found", cause);
    throw readError(location, `cannot be accessed (${errnoCode(cause) ?? String(cause)})`, cause);
  }
  try {
    return { text: await fs.readFile(file, "utf8"), file };
  } catch (cause) {
    const code = errnoCode(cause);
    if (code === "ENOENT") throw readError(file, "file not found", cause);
    throw readError(file, `cannot be read (${code ?? String(cause)})`, cause);
  }
}

/**
 * Reads the text of a `config.json` from a local file, a local folder (`<dir>/config.json`), a `file:`
 * URL, or an `http(s)` URL (a URL not ending in `.json` is a folder). In a browser, a string without a
 * scheme is resolved against the page's URL, since there is no file system to read it from.
 *
 * @throws {@link DebertaConfigError} `CONFIG_READ` naming the file or URL when it cannot be read.
 */
export async function readConfigText(location: string | URL, options: LoadOptions = {}): Promise<ConfigText> {
  const text = typeof location === "string" ? location : location.href;
  if (!URL_SCHEME.test(text) && !/^file:/i.test(text)) {
    const base = (globalThis as { location?: { href?: unknown } }).location?.href;
    const isNode = typeof (globalThis as { process?: { versions?: { node?: unknown } } }).process?.versions
      ?.node;
    if (isNode !== "string" && typeof base === "string") return fetchText(new URL(text, base), options);
    return readLocal(text);
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch (cause) {
    throw readError(text, "is not a valid URL", cause);
  }
  if (url.protocol === "http:" || url.protocol === "https:") return fetchText(url, options);
  if (url.protocol === "file:") {
    let fileURLToPath: typeof import("node:url")["fileURLToPath"];
    try {
      ({ fileURLToPath } = await importNodeBuiltin<typeof import("node:url")>("node:url"));
    } catch (cause) {
      throw readError(url.href, "reading file: URLs needs Node.js", cause);
    }
    return readLocal(fileURLToPath(url));
  }
  throw readError(
    url.href,
    `has the unsupported protocol ${url.protocol} (use a path, file:, http: or https:)`,
  );
}
