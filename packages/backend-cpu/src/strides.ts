export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1]! * shape[i + 1]!;
  return s;
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * Element offsets of `shape` broadcast to `outShape`: for every output position, where to read. Computed
 * incrementally (an odometer), so a broadcast costs one array of offsets, not a division per element.
 */
export function broadcastOffsets(shape: readonly number[], outShape: readonly number[]): Int32Array {
  const n = sizeOf(outShape);
  const rank = outShape.length;
  const inStrides = stridesOf(shape);
  const eff = new Array<number>(rank).fill(0);
  for (let i = 0; i < shape.length; i++) {
    const axis = rank - shape.length + i;
    eff[axis] = shape[i] === 1 ? 0 : inStrides[i]!;
  }
  const out = new Int32Array(n);
  const idx = new Array<number>(rank).fill(0);
  let off = 0;
  for (let p = 0; p < n; p++) {
    out[p] = off;
    for (let a = rank - 1; a >= 0; a--) {
      idx[a]!++;
      off += eff[a]!;
      if (idx[a]! < outShape[a]!) break;
      off -= eff[a]! * outShape[a]!;
      idx[a] = 0;
    }
  }
  return out;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
