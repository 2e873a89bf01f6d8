// A native addon that cannot be loaded (missing, not a shared object, missing exports) never crashes:
// createCpuBackend falls back to WebAssembly and records why; engine "native" is then a typed error.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createCpuBackend } from "../create.js";

const dir = mkdtempSync(join(tmpdir(), "deberta-native-fallback-"));
const previous = process.env.DEBERTA_CPU_NATIVE_PATH;
afterEach(() => {
  if (previous === undefined) delete process.env.DEBERTA_CPU_NATIVE_PATH;
  else process.env.DEBERTA_CPU_NATIVE_PATH = previous;
});

const garbage = join(dir, "garbage.node");
writeFileSync(garbage, "this is not a shared object");
const partial = join(dir, "partial.cjs");
writeFileSync(partial, "module.exports = { info() { return {}; } };");

describe("native addon load failure", () => {
  for (const [what, path, why] of [
    ["missing file", join(dir, "missing.node"), /not built/],
    ["not a shared object", garbage, /failed to load/],
    ["missing exports", partial, /lacks createEngine/],
  ] as const) {
    it(`${what}: falls back to WebAssembly with the reason`, async () => {
      process.env.DEBERTA_CPU_NATIVE_PATH = path;
      const backend = await createCpuBackend({ threads: 1 });
      try {
        expect(backend.engine.name).toMatch(/^wasm-/);
        expect(backend.engine.fallbackReason).toMatch(why);
      } finally {
        backend.close();
      }
      await expect(createCpuBackend({ engine: "native", threads: 1 })).rejects.toMatchObject({
        code: "BACKEND_UNAVAILABLE",
        message: expect.stringMatching(why),
      });
    });
  }

  it("engine and the deprecated gemm option pick the engine asked for", async () => {
    const wasm = await createCpuBackend({ engine: "wasm", threads: 1 });
    expect(wasm.engine).toEqual({
      name: expect.stringMatching(/^wasm-/),
      fallbackReason: 'engine "wasm" requested',
    });
    wasm.close();
    const js = await createCpuBackend({ gemm: "js" });
    expect(js.engine.name).toBe("js");
    js.close();
  });
});
