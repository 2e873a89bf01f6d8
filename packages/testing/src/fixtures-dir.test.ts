import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it, vi } from "vitest";
import { findRepoRoot, fixturesDir, modelsDir } from "./fixtures-dir.js";

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("fixturesDir", () => {
  it("is $DEBERTA_FIXTURES when set, resolved to an absolute path", () => {
    vi.stubEnv("DEBERTA_FIXTURES", "/somewhere/fixtures");
    expect(fixturesDir()).toBe(path.resolve("/somewhere/fixtures"));
    vi.stubEnv("DEBERTA_FIXTURES", "relative/fixtures");
    expect(fixturesDir()).toBe(path.resolve(process.cwd(), "relative/fixtures"));
    expect(modelsDir()).toBe(path.resolve(process.cwd(), "relative/fixtures", "models"));
  });

  it("is ../shared/fixtures beside the repository root when $DEBERTA_FIXTURES is unset or empty", () => {
    const beside = path.resolve(findRepoRoot(), "../shared/fixtures");
    vi.stubEnv("DEBERTA_FIXTURES", undefined);
    expect(fixturesDir()).toBe(beside);
    vi.stubEnv("DEBERTA_FIXTURES", "");
    expect(fixturesDir()).toBe(beside);
  });

  it("finds the fixtures of this checkout", () => {
    vi.stubEnv("DEBERTA_FIXTURES", undefined);
    expect(existsSync(path.join(modelsDir(), "base-like", "seqcls", "expected.safetensors"))).toBe(true);
  });
});

describe("findRepoRoot", () => {
  it("is the folder with pnpm-workspace.yaml above this package", () => {
    const root = findRepoRoot();
    expect(existsSync(path.join(root, "pnpm-workspace.yaml"))).toBe(true);
    expect(path.relative(root, path.dirname(fileURLToPath(import.meta.url)))).toBe(
      path.join("packages", "testing", "src"),
    );
  });

  it("walks up from a given folder, and throws when there is no workspace above it", () => {
    const tmp = realpathSync(mkdtempSync(path.join(os.tmpdir(), "deberta-testing-")));
    try {
      const deep = path.join(tmp, "a", "b");
      mkdirSync(deep, { recursive: true });
      expect(() => findRepoRoot(deep)).toThrow(/no pnpm-workspace\.yaml above/);
      writeFileSync(path.join(tmp, "a", "pnpm-workspace.yaml"), "packages: []\n");
      expect(findRepoRoot(deep)).toBe(path.join(tmp, "a"));
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
