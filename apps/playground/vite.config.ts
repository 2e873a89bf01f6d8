import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig, type Plugin } from "vite";

const here = path.dirname(fileURLToPath(import.meta.url));
const demoModelDir = path.resolve(here, "../../examples/demo-model");

/** Cross-origin isolation: SharedArrayBuffer, hence the multi-threaded WebAssembly GEMM. */
export const ISOLATION_HEADERS = {
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-embedder-policy": "require-corp",
};

function demoModelFiles(): string[] {
  return readdirSync(demoModelDir).filter((f) => !f.startsWith("."));
}

/**
 * Ships the bundled demo model (examples/demo-model) as /models/demo/<file> with a manifest.json listing
 * its files, and the CPU backend's GEMM worker (dist/gemm-worker.js) beside the bundles that spawn it:
 * @deberta/backend-cpu finds it as `new URL("./gemm-worker.js", import.meta.url)`, a computed URL Vite
 * cannot see.
 */
function playgroundAssets(bundle: "page" | "worker"): Plugin {
  const require = createRequire(import.meta.url);
  const cpuDist = path.dirname(require.resolve("@deberta/backend-cpu"));
  const gemmWorker = path.join(cpuDist, "gemm-worker.js");
  return {
    name: "playground-assets",
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const url = (req.url ?? "").split("?")[0] ?? "";
        if (!url.startsWith("/models/demo/")) return next();
        const name = url.slice("/models/demo/".length);
        if (name === "manifest.json") {
          res.setHeader("content-type", "application/json");
          res.end(JSON.stringify({ name: "demo-model", files: demoModelFiles() }));
          return;
        }
        if (name.includes("/") || name.includes("..") || !existsSync(path.join(demoModelDir, name)))
          return next();
        res.end(readFileSync(path.join(demoModelDir, name)));
      });
    },
    generateBundle() {
      if (bundle === "worker") {
        if (existsSync(gemmWorker))
          this.emitFile({
            type: "asset",
            fileName: "assets/gemm-worker.js",
            source: readFileSync(gemmWorker),
          });
        return;
      }
      const files = demoModelFiles();
      for (const f of files)
        this.emitFile({
          type: "asset",
          fileName: `models/demo/${f}`,
          source: readFileSync(path.join(demoModelDir, f)),
        });
      this.emitFile({
        type: "asset",
        fileName: "models/demo/manifest.json",
        source: JSON.stringify({ name: "demo-model", files }),
      });
    },
  };
}

export default defineConfig({
  base: "./",
  plugins: [playgroundAssets("page")],
  server: { host: "127.0.0.1", headers: ISOLATION_HEADERS },
  preview: { host: "127.0.0.1", headers: ISOLATION_HEADERS },
  worker: { format: "es", plugins: () => [playgroundAssets("worker")] },
  build: { target: "es2022", outDir: "dist", sourcemap: true, chunkSizeWarningLimit: 2000 },
});
