// Node built-ins are imported lazily, and through a variable specifier: bundlers targeting browsers then
// neither try to resolve nor polyfill them (a literal `import("node:fs")` fails some webpack and esbuild
// browser builds, and tsup would rewrite it to a bare "fs"). The import only runs when a local file is
// actually read, or a deflated zip entry actually inflated.
export function importNodeBuiltin<T>(specifier: string): Promise<T> {
  return import(/* webpackIgnore: true */ /* @vite-ignore */ specifier) as Promise<T>;
}

/** True when running on Node.js (or a runtime that says it is). */
export function isNode(): boolean {
  return (
    typeof (globalThis as { process?: { versions?: { node?: unknown } } }).process?.versions?.node ===
    "string"
  );
}

/** `bytes` as a plain Uint8Array over the same memory (a Node Buffer's `slice` would not copy). */
export function plainBytes(bytes: Uint8Array): Uint8Array {
  return Object.getPrototypeOf(bytes) === Uint8Array.prototype
    ? bytes
    : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
