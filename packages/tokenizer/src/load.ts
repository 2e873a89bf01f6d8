import { TokenizerError } from "./errors.js";

// Node built-ins are imported lazily through a variable specifier, so that browser bundlers neither resolve
// nor polyfill them (and tsup does not rewrite "node:fs/promises" to a bare "fs/promises").
function importNodeBuiltin<T>(specifier: string): Promise<T> {
  return import(/* webpackIgnore: true */ /* @vite-ignore */ specifier) as Promise<T>;
}

const isUrl = (location: string) => /^https?:\/\//i.test(location);

/** Joins a folder (path or URL) and a file name. */
export function joinLocation(base: string, file: string): string {
  if (isUrl(base)) return base.endsWith("/") ? base + file : `${base}/${file}`;
  return base.endsWith("/") || base.endsWith("\\") ? base + file : `${base}/${file}`;
}

/**
 * Reads a text file from a local path (Node) or a URL (fetch). Resolves `undefined` when the file does
 * not exist, so callers can fall back to another layout; other failures throw a typed error.
 */
export function readTextFile(location: string): Promise<string | undefined> {
  return readFileAs(location, "text");
}

/** Reads a binary file (such as `spm.model`) like {@link readTextFile}. */
export function readBinaryFile(location: string): Promise<Uint8Array | undefined> {
  return readFileAs(location, "binary");
}

async function readFileAs(location: string, mode: "text"): Promise<string | undefined>;
async function readFileAs(location: string, mode: "binary"): Promise<Uint8Array | undefined>;
async function readFileAs(
  location: string,
  mode: "text" | "binary",
): Promise<string | Uint8Array | undefined> {
  if (isUrl(location)) {
    let response: Response;
    try {
      response = await fetch(location);
    } catch (cause) {
      throw new TokenizerError("TOKENIZER_FILE_MISSING", `Could not fetch ${location}: ${String(cause)}`, {
        file: location,
        cause,
      });
    }
    if (response.status === 404) return undefined;
    if (!response.ok) {
      throw new TokenizerError(
        "TOKENIZER_FILE_MISSING",
        `Could not fetch ${location}: HTTP ${response.status}`,
        {
          file: location,
        },
      );
    }
    return mode === "text" ? response.text() : new Uint8Array(await response.arrayBuffer());
  }
  let fs: typeof import("node:fs/promises");
  try {
    fs = await importNodeBuiltin<typeof import("node:fs/promises")>("node:fs/promises");
  } catch (cause) {
    throw new TokenizerError(
      "TOKENIZER_FILE_MISSING",
      `Reading ${location} needs Node.js; pass an http(s) URL instead`,
      {
        file: location,
        cause,
      },
    );
  }
  try {
    return mode === "text"
      ? await fs.readFile(location, "utf8")
      : new Uint8Array(await fs.readFile(location));
  } catch (cause) {
    const code = (cause as { code?: string }).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw new TokenizerError("TOKENIZER_FILE_MISSING", `Could not read ${location}: ${String(cause)}`, {
      file: location,
      cause,
    });
  }
}

export function parseJsonFile(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new TokenizerError(
      "TOKENIZER_FILE_INVALID",
      `${file} is not valid JSON: ${(cause as Error).message}`,
      {
        file,
        cause,
      },
    );
  }
}
