import { shapeError } from "./errors.js";

/** numpy broadcasting of two shapes; throws a shape error naming `op` when they do not broadcast. */
export function broadcastShapes(op: string, a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw shapeError(op, "shapes do not broadcast", [a, b]);
    out[i] = da === 1 ? db : da;
  }
  return out;
}
