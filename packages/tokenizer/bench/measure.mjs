// Timing and comparison helpers shared by the throughput and scaling runs: an optional explicit GC before each
// timed call, median / rounding, id-array comparison, and the log line writer. Separate because both runners
// and the report use them and none of them depends on a tokenizer.
import v8 from "node:v8";
import vm from "node:vm";

export const MIB = 1024 * 1024;

// Optional explicit GC between timed runs (less GC noise inside a measurement); harmless if refused.

let collectGarbage = () => {};
try {
  v8.setFlagsFromString("--expose-gc");
  const gc = vm.runInNewContext("gc");
  if (typeof gc === "function") collectGarbage = gc;
} catch {
  // keep the no-op
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
export const round = (x, digits = 2) => Number(x.toFixed(digits));

export function timed(fn) {
  collectGarbage();
  const t0 = performance.now();
  const value = fn();
  return { ms: performance.now() - t0, value };
}

export function sameIds(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function firstDifference(a, b) {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

export function log(msg = "") {
  process.stdout.write(msg + "\n");
}
