// Elementwise and row kernels: the in-place activations (activationInPlace, geluInPlace), the exp / erf test
// exports and the row softmax (softmaxRows), with their vector-tail helpers. They work on plain float arrays
// and share nothing with the GEMM but the f32x4 functions of vmath.ts, hence their own file; gemm.ts (the
// compiled entry) re-exports them.

import { ACT_GELU, VMath } from "./vmath";

// Tail helpers: lanes [0, n) (n < 4) of the vector at p; the other lanes read as `fill` and are not written.
function loadTail(p: usize, n: i32, fill: f32): v128 {
  let v = f32x4.splat(fill);
  v = f32x4.replace_lane(v, 0, load<f32>(p));
  if (n > 1) v = f32x4.replace_lane(v, 1, load<f32>(p, 4));
  if (n > 2) v = f32x4.replace_lane(v, 2, load<f32>(p, 8));
  return v;
}

function storeTail(p: usize, v: v128, n: i32): void {
  store<f32>(p, f32x4.extract_lane(v, 0));
  if (n > 1) store<f32>(p, f32x4.extract_lane(v, 1), 4);
  if (n > 2) store<f32>(p, f32x4.extract_lane(v, 2), 8);
}

/** x[i] = act(x[i]) for i in [0, n) (act as in gemm). */
export function activationInPlace(ptr: usize, n: i32, act: i32): void {
  if (act === 0) return;
  let p = ptr;
  const end = ptr + ((<usize>(n & ~3)) << 2);
  // The activation is selected per vector: measured ~13% faster than one specialised loop per activation.
  while (p < end) {
    v128.store(p, VMath.activate(v128.load(p), act));
    p += 16;
  }
  const tail = n & 3;
  if (tail > 0) storeTail(p, VMath.activate(loadTail(p, tail, 0), act), tail);
}

/** x[i] = GELU(x[i]) = x[i] * Phi(x[i]) (exact, erf-based) for i in [0, n). */
export function geluInPlace(ptr: usize, n: i32): void {
  activationInPlace(ptr, n, ACT_GELU);
}

/** x[i] = erf(x[i]) for i in [0, n) (for tests of the approximation). */
export function erfInPlace(ptr: usize, n: i32): void {
  let p = ptr;
  const end = ptr + ((<usize>(n & ~3)) << 2);
  while (p < end) {
    v128.store(p, VMath.erf(v128.load(p)));
    p += 16;
  }
  const tail = n & 3;
  if (tail > 0) storeTail(p, VMath.erf(loadTail(p, tail, 0)), tail);
}

/** x[i] = exp(x[i]) for i in [0, n), x[i] <= 0 (for tests of the approximation). */
export function expInPlace(ptr: usize, n: i32): void {
  let p = ptr;
  const end = ptr + ((<usize>(n & ~3)) << 2);
  while (p < end) {
    v128.store(p, VMath.expNeg(v128.load(p), true));
    p += 16;
  }
  const tail = n & 3;
  if (tail > 0) storeTail(p, VMath.expNeg(loadTail(p, tail, 0), true), tail);
}

function hmax(v: v128): f32 {
  const m = f32x4.pmax(v, i32x4.shuffle(v, v, 2, 3, 0, 1));
  return max(f32x4.extract_lane(m, 0), f32x4.extract_lane(m, 1));
}

function hsum(v: v128): f32 {
  const s = f32x4.add(v, i32x4.shuffle(v, v, 2, 3, 0, 1));
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1);
}

/**
 * Softmax in place over `rows` rows of `cols` floats (row r starts at ptr + 4 * r * ld):
 * x = exp(x - max) / sum.
 * Masked entries at float32's lowest value (or -Infinity) give exactly 0; a row that is entirely the lowest
 * value gives the uniform 1 / cols. NaN anywhere in a row makes the row NaN (as in PyTorch).
 */
export function softmaxRows(ptr: usize, rows: i32, cols: i32, ld: i32): void {
  if (cols <= 0) return;
  const ldB = (<usize>ld) << 2;
  const n16 = cols & ~15;
  const n4 = cols & ~3;
  const tail = cols & 3;
  const ninf = f32x4.splat(-Infinity);
  let row = ptr;
  for (let r = 0; r < rows; r++) {
    // Row maximum (pmax ignores NaN here; a NaN still reaches the sum through exp).
    let m0 = ninf;
    let m1 = ninf;
    let m2 = ninf;
    let m3 = ninf;
    let j = 0;
    for (; j < n16; j += 16) {
      const p = row + ((<usize>j) << 2);
      m0 = f32x4.pmax(m0, v128.load(p, 0));
      m1 = f32x4.pmax(m1, v128.load(p, 16));
      m2 = f32x4.pmax(m2, v128.load(p, 32));
      m3 = f32x4.pmax(m3, v128.load(p, 48));
    }
    for (; j < n4; j += 4) m0 = f32x4.pmax(m0, v128.load(row + ((<usize>j) << 2)));
    if (tail > 0) m0 = f32x4.pmax(m0, loadTail(row + ((<usize>n4) << 2), tail, -Infinity));
    const mv = f32x4.splat(hmax(f32x4.pmax(f32x4.pmax(m0, m1), f32x4.pmax(m2, m3))));
    // exp(x - max) and its sum (the padding lanes of the tail are -Infinity: exp gives 0).
    let s0 = f32x4.splat(0);
    let s1 = f32x4.splat(0);
    let s2 = f32x4.splat(0);
    let s3 = f32x4.splat(0);
    for (j = 0; j < n16; j += 16) {
      const p = row + ((<usize>j) << 2);
      const e0 = VMath.expNeg(f32x4.sub(v128.load(p, 0), mv), true);
      const e1 = VMath.expNeg(f32x4.sub(v128.load(p, 16), mv), true);
      const e2 = VMath.expNeg(f32x4.sub(v128.load(p, 32), mv), true);
      const e3 = VMath.expNeg(f32x4.sub(v128.load(p, 48), mv), true);
      v128.store(p, e0, 0);
      v128.store(p, e1, 16);
      v128.store(p, e2, 32);
      v128.store(p, e3, 48);
      s0 = f32x4.add(s0, e0);
      s1 = f32x4.add(s1, e1);
      s2 = f32x4.add(s2, e2);
      s3 = f32x4.add(s3, e3);
    }
    for (; j < n4; j += 4) {
      const p = row + ((<usize>j) << 2);
      const e = VMath.expNeg(f32x4.sub(v128.load(p), mv), true);
      v128.store(p, e);
      s0 = f32x4.add(s0, e);
    }
    if (tail > 0) {
      const p = row + ((<usize>n4) << 2);
      const e = VMath.expNeg(f32x4.sub(loadTail(p, tail, -Infinity), mv), true);
      storeTail(p, e, tail);
      s1 = f32x4.add(s1, e);
    }
    const inv = f32x4.splat(<f32>1 / hsum(f32x4.add(f32x4.add(s0, s1), f32x4.add(s2, s3))));
    for (j = 0; j < n4; j += 4) {
      const p = row + ((<usize>j) << 2);
      v128.store(p, f32x4.mul(v128.load(p), inv));
    }
    if (tail > 0) {
      const p = row + ((<usize>n4) << 2);
      storeTail(p, f32x4.mul(loadTail(p, tail, 0), inv), tail);
    }
    row += ldB;
  }
}
