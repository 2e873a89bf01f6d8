import { TokenizerError } from "./errors.js";

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
      throw new TokenizerError("TOKENIZER_FILE_MISSING", `Could not fetch ${location}: HTTP ${response.status}`, {
        file: location,
      });
    }
    return response.text();
  }
  // Imported lazily so that browser bundles never see node:fs.
  const fs = await import("node:fs/promises");
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
    throw new TokenizerError("TOKENIZER_FILE_INVALID", `${file} is not valid JSON: ${(cause as Error).message}`, {
      file,
      cause,
    });
  }
}
