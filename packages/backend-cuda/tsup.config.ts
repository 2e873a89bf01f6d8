import { defineConfig } from "tsup";

export default defineConfig({
  entry: ["src/index.ts"],
  format: ["esm", "cjs"],
  dts: true,
  sourcemap: true,
  // The native addon (scripts/build-native.mjs, run after tsup) stays: its recorded input hash then spares a
  // recompile when only the TypeScript changed.
  clean: ["!native/**"],
  target: "es2022",
  platform: "node",
  esbuildOptions(options) {
    options.logOverride = { ...options.logOverride, "empty-import-meta": "silent" };
  },
});
