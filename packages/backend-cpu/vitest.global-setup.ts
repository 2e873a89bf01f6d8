import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

/** Builds the WebAssembly kernels (src/wasm/generated/kernels.ts) if they are missing or out of date. */
export default function setup(): void {
  const script = fileURLToPath(new URL("./scripts/build-wasm.mjs", import.meta.url));
  execFileSync(process.execPath, [script], { stdio: "inherit" });
}
