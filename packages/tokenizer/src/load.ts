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
export async function readTextFile(location: string): Promise<string | undefined> {
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
    return response.text();
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
    return await fs.readFile(location, "utf8");
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
