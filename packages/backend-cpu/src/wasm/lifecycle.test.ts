// Process-level behaviour of the worker pool, checked in child Node processes against the built package
// (dist/, produced by `npm run build`; turbo's `test` task depends on it).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const distEsm = fileURLToPath(new URL("../../dist/index.js", import.meta.url));
const distCjs = fileURLToPath(new URL("../../dist/index.cjs", import.meta.url));
const built = existsSync(distEsm) && existsSync(distCjs);
const note = built ? "" : " (skipped: run `npm run build` first, dist/ is missing)";

function runNode(args: string[], timeout = 30000) {
  return spawnSync(process.execPath, args, { encoding: "utf8", timeout });
}

const esmScript = (close: boolean) => `
import { GemmEngine } from ${JSON.stringify(distEsm)};
const e = await GemmEngine.create({ threads: 2, minParallelWork: 0 });
const h = e.heap;
const a = h.allocF32(12, [1,2,3,4,5,6,7,8,9,10,11,12]);
const c = h.alloc(9 * 4);
const p = e.packB(new Float32Array([1,0,0, 0,1,0, 0,0,1, 1,1,1]), 4, 3);
e.matmul(a, 3, 4, p, c);
console.log(JSON.stringify({ info: e.info, c: Array.from(h.f32(c, 9)) }));
${close ? "await e.close(); console.log('closed');" : "console.log('not closed');"}
`;

describe(`worker pool lifecycle in a child process${note}`, () => {
  it.skipIf(!built)(
    "ESM (node --input-type=module -e): threads run, close() terminates the workers, the process exits",
    () => {
      const r = runNode(["--input-type=module", "-e", esmScript(true)]);
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      const [json, last] = r.stdout.trim().split("\n");
      const out = JSON.parse(json!);
      expect(out.info).toMatchObject({ threads: 2, shared: true });
      expect(out.c).toEqual([5, 6, 7, 13, 14, 15, 21, 22, 23]);
      expect(last).toBe("closed");
    },
  );

  it.skipIf(!built)("ESM: an engine that is never closed does not keep the process alive", () => {
    const r = runNode(["--input-type=module", "-e", esmScript(false)]);
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split("\n").at(-1)).toBe("not closed");
  });

  it.skipIf(!built)("with --experimental-wasm-relaxed-simd the workers run the FMA kernels too", () => {
    const r = runNode(["--experimental-wasm-relaxed-simd", "--input-type=module", "-e", esmScript(true)]);
    if (r.status !== 0 && /bad option/.test(r.stderr)) return; // a Node without this flag
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout.trim().split("\n")[0]!);
    expect(out.info).toMatchObject({ simd: "relaxed-simd", threads: 2 });
    expect(out.c).toEqual([5, 6, 7, 13, 14, 15, 21, 22, 23]);
  });

  it.skipIf(!built)("CommonJS build: the pool finds gemm-worker.js through __dirname", () => {
    const script = `
const { GemmEngine } = require(${JSON.stringify(distCjs)});
(async () => {
  const e = await GemmEngine.create({ threads: 2 });
  console.log(JSON.stringify(e.info));
  await e.close();
  console.log("closed");
})();`;
    const r = runNode(["-e", script]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const [json, last] = r.stdout.trim().split("\n");
    expect(JSON.parse(json!)).toMatchObject({ threads: 2, shared: true });
    expect(last).toBe("closed");
  });
});
