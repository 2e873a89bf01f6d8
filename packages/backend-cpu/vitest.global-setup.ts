import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

/**
 * Builds the WebAssembly kernels (src/wasm/generated/kernels.ts) and the native addon
 * (dist/native/deberta_cpu.node) if they are missing or out of date (no-ops after `npm run build`; the
 * native build prints one line and does nothing where no C++ compiler exists).
 */
export default function setup(): void {
  for (const script of ["./scripts/build-wasm.mjs", "./scripts/build-native.mjs"])
    execFileSync(process.execPath, [fileURLToPath(new URL(script, import.meta.url))], { stdio: "inherit" });
}
