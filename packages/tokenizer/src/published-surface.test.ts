// Test data generators live in test/, outside what tsup bundles and npm publishes; this keeps it that way.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const PACKAGE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const SRC_DIR = path.join(PACKAGE_DIR, "src");

const isTestOnly = (file: string) => file.endsWith(".test.ts") || file === "test-support.ts";

function relativeImports(file: string): string[] {
  const text = readFileSync(path.join(SRC_DIR, file), "utf8");
  return [...text.matchAll(/from\s+"(\.{1,2}\/[^"]+)"/g)].map((m) => m[1]!);
}

describe("published surface", () => {
  it("ships only dist and the README", () => {
    const pkg = JSON.parse(readFileSync(path.join(PACKAGE_DIR, "package.json"), "utf8")) as {
      files: string[];
    };
    expect(pkg.files).toEqual(["dist", "README.md"]);
  });

  it("bundles from src/index.ts, whose sources import nothing test-only", () => {
    const tsup = readFileSync(path.join(PACKAGE_DIR, "tsup.config.ts"), "utf8");
    expect(tsup).toMatch(/entry:\s*\["src\/index\.ts"\]/);
    const sources = readdirSync(SRC_DIR).filter((f) => f.endsWith(".ts") && !isTestOnly(f));
    expect(sources).toContain("index.ts");
    const offending = sources.flatMap((file) =>
      relativeImports(file)
        .filter((spec) => !spec.startsWith("./") || /test|corpus/.test(spec))
        .map((spec) => `${file} imports ${spec}`),
    );
    expect(offending).toEqual([]);
  });

  it("keeps the GPT-2 corpus generator out of src/", () => {
    expect(readdirSync(SRC_DIR)).not.toContain("gpt2-corpus.ts");
  });
});
