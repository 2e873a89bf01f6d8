// The register-level micro-kernels of the GEMM: the 6 x 8 tile shape (MR, NR), the full tile (tileFull, k
// unrolled by 4) and the edge tile (tileEdge, any rows / columns / k), with the lane-wise load / store helpers
// of edge tiles, and the activation epilogue of a finished block (activateBlock), which reads and writes
// through the same lane helpers. Separate from the loop nest in gemm.ts: these are the register-level code
// the tile measurements below are about, and they change for different reasons than the cache blocking.

import { VMath } from "./vmath";

// Register tile: MR rows x NR columns = 6 x 2 f32x4 accumulators, plus 2 vectors of B and one broadcast of
// A: 15 of the 16 vector registers V8 uses on x64. Measured on a 2-core AMD EPYC (Zen 5) in Node 20 against
// 3x12, 4x8, 4x12, 5x8, 2x16, 3x16, 6x4, 7x8 and 8x8 tiles: 6x8 was the fastest both for SIMD128
// (~52 GFLOP/s per core vs ~43 for 3x12) and for relaxed-SIMD FMA (~52).
export const MR: i32 = 6;
export const NR: i32 = 8;
// Init modes for a tile's first K block.
export const INIT_ZERO: i32 = 0;
export const INIT_LOAD: i32 = 1; // acc = C
export const INIT_SCALE: i32 = 2; // acc = beta * C

// Lane-wise helpers for edge tiles: only lanes whose column j (jBase + lane) is in [lo, hi) are touched.
function loadLanes(p: usize, jBase: i32, lo: i32, hi: i32): v128 {
  let v = f32x4.splat(0);
  if (jBase >= lo && jBase < hi) v = f32x4.replace_lane(v, 0, load<f32>(p));
  if (jBase + 1 >= lo && jBase + 1 < hi) v = f32x4.replace_lane(v, 1, load<f32>(p, 4));
  if (jBase + 2 >= lo && jBase + 2 < hi) v = f32x4.replace_lane(v, 2, load<f32>(p, 8));
  if (jBase + 3 >= lo && jBase + 3 < hi) v = f32x4.replace_lane(v, 3, load<f32>(p, 12));
  return v;
}

function storeLanes(p: usize, v: v128, jBase: i32, lo: i32, hi: i32): void {
  if (jBase >= lo && jBase < hi) store<f32>(p, f32x4.extract_lane(v, 0));
  if (jBase + 1 >= lo && jBase + 1 < hi) store<f32>(p, f32x4.extract_lane(v, 1), 4);
  if (jBase + 2 >= lo && jBase + 2 < hi) store<f32>(p, f32x4.extract_lane(v, 2), 8);
  if (jBase + 3 >= lo && jBase + 3 < hi) store<f32>(p, f32x4.extract_lane(v, 3), 12);
}

/**
 * Full MR x NR register tile: C[0:6][0:8] (=|+=) A[0:6][0:kl] * Bpanel[0:kl][0:8] (+ bias[0:8]).
 * `a0` points at A[row 0][k 0] (lda in bytes), `b` at the panel's first row for this K block, `c0` at
 * C[row 0][panel column 0] (ldc in bytes), `bias` at the bias of panel column 0 (or 0 for none).
 * mode: INIT_ZERO (C is overwritten), INIT_LOAD (C += ...), INIT_SCALE (C = beta * C + ...).
 * kl must be a multiple of 4: the k loop is unrolled by 4 and is the function's only loop. (With a second,
 * remainder loop V8 spilled accumulators: ~35 instead of ~52 GFLOP/s. gemm() sends the last 1-3 steps of K
 * through tileEdge instead.)
 */
export function tileFull(
  a0: usize,
  lda: usize,
  b: usize,
  kl: i32,
  c0: usize,
  ldc: usize,
  mode: i32,
  beta: f32,
  bias: usize,
): void {
  const a1 = a0 + lda;
  const a2 = a1 + lda;
  const a3 = a2 + lda;
  const a4 = a3 + lda;
  const a5 = a4 + lda;
  const c1 = c0 + ldc;
  const c2 = c1 + ldc;
  const c3 = c2 + ldc;
  const c4 = c3 + ldc;
  const c5 = c4 + ldc;
  let x00 = f32x4.splat(0);
  let x01 = f32x4.splat(0);
  let x10 = f32x4.splat(0);
  let x11 = f32x4.splat(0);
  let x20 = f32x4.splat(0);
  let x21 = f32x4.splat(0);
  let x30 = f32x4.splat(0);
  let x31 = f32x4.splat(0);
  let x40 = f32x4.splat(0);
  let x41 = f32x4.splat(0);
  let x50 = f32x4.splat(0);
  let x51 = f32x4.splat(0);
  if (mode !== INIT_ZERO) {
    x00 = v128.load(c0, 0);
    x01 = v128.load(c0, 16);
    x10 = v128.load(c1, 0);
    x11 = v128.load(c1, 16);
    x20 = v128.load(c2, 0);
    x21 = v128.load(c2, 16);
    x30 = v128.load(c3, 0);
    x31 = v128.load(c3, 16);
    x40 = v128.load(c4, 0);
    x41 = v128.load(c4, 16);
    x50 = v128.load(c5, 0);
    x51 = v128.load(c5, 16);
    if (mode === INIT_SCALE) {
      const s = f32x4.splat(beta);
      x00 = f32x4.mul(x00, s);
      x01 = f32x4.mul(x01, s);
      x10 = f32x4.mul(x10, s);
      x11 = f32x4.mul(x11, s);
      x20 = f32x4.mul(x20, s);
      x21 = f32x4.mul(x21, s);
      x30 = f32x4.mul(x30, s);
      x31 = f32x4.mul(x31, s);
      x40 = f32x4.mul(x40, s);
      x41 = f32x4.mul(x41, s);
      x50 = f32x4.mul(x50, s);
      x51 = f32x4.mul(x51, s);
    }
  }
  if (bias !== 0) {
    const y0 = v128.load(bias, 0);
    const y1 = v128.load(bias, 16);
    x00 = f32x4.add(x00, y0);
    x01 = f32x4.add(x01, y1);
    x10 = f32x4.add(x10, y0);
    x11 = f32x4.add(x11, y1);
    x20 = f32x4.add(x20, y0);
    x21 = f32x4.add(x21, y1);
    x30 = f32x4.add(x30, y0);
    x31 = f32x4.add(x31, y1);
    x40 = f32x4.add(x40, y0);
    x41 = f32x4.add(x41, y1);
    x50 = f32x4.add(x50, y0);
    x51 = f32x4.add(x51, y1);
  }
  const end = (<usize>kl) << 2;
  let off: usize = 0;
  // kl is a multiple of 4; unrolled by 4 with immediate offsets: per k, 2 vectors of B and 6 broadcasts
  // of A. (A remainder loop here makes V8 spill accumulators: ~35 instead of ~52 GFLOP/s.)
  while (off < end) {
    const b00 = v128.load(b, 0);
    const b01 = v128.load(b, 16);
    const a00v = v128.load32_splat(a0 + off);
    x00 = VMath.madd(a00v, b00, x00);
    x01 = VMath.madd(a00v, b01, x01);
    const a01v = v128.load32_splat(a1 + off);
    x10 = VMath.madd(a01v, b00, x10);
    x11 = VMath.madd(a01v, b01, x11);
    const a02v = v128.load32_splat(a2 + off);
    x20 = VMath.madd(a02v, b00, x20);
    x21 = VMath.madd(a02v, b01, x21);
    const a03v = v128.load32_splat(a3 + off);
    x30 = VMath.madd(a03v, b00, x30);
    x31 = VMath.madd(a03v, b01, x31);
    const a04v = v128.load32_splat(a4 + off);
    x40 = VMath.madd(a04v, b00, x40);
    x41 = VMath.madd(a04v, b01, x41);
    const a05v = v128.load32_splat(a5 + off);
    x50 = VMath.madd(a05v, b00, x50);
    x51 = VMath.madd(a05v, b01, x51);
    const b10 = v128.load(b, 32);
    const b11 = v128.load(b, 48);
    const a10v = v128.load32_splat(a0 + off, 4);
    x00 = VMath.madd(a10v, b10, x00);
    x01 = VMath.madd(a10v, b11, x01);
    const a11v = v128.load32_splat(a1 + off, 4);
    x10 = VMath.madd(a11v, b10, x10);
    x11 = VMath.madd(a11v, b11, x11);
    const a12v = v128.load32_splat(a2 + off, 4);
    x20 = VMath.madd(a12v, b10, x20);
    x21 = VMath.madd(a12v, b11, x21);
    const a13v = v128.load32_splat(a3 + off, 4);
    x30 = VMath.madd(a13v, b10, x30);
    x31 = VMath.madd(a13v, b11, x31);
    const a14v = v128.load32_splat(a4 + off, 4);
    x40 = VMath.madd(a14v, b10, x40);
    x41 = VMath.madd(a14v, b11, x41);
    const a15v = v128.load32_splat(a5 + off, 4);
    x50 = VMath.madd(a15v, b10, x50);
    x51 = VMath.madd(a15v, b11, x51);
    const b20 = v128.load(b, 64);
    const b21 = v128.load(b, 80);
    const a20v = v128.load32_splat(a0 + off, 8);
    x00 = VMath.madd(a20v, b20, x00);
    x01 = VMath.madd(a20v, b21, x01);
    const a21v = v128.load32_splat(a1 + off, 8);
    x10 = VMath.madd(a21v, b20, x10);
    x11 = VMath.madd(a21v, b21, x11);
    const a22v = v128.load32_splat(a2 + off, 8);
    x20 = VMath.madd(a22v, b20, x20);
    x21 = VMath.madd(a22v, b21, x21);
    const a23v = v128.load32_splat(a3 + off, 8);
    x30 = VMath.madd(a23v, b20, x30);
    x31 = VMath.madd(a23v, b21, x31);
    const a24v = v128.load32_splat(a4 + off, 8);
    x40 = VMath.madd(a24v, b20, x40);
    x41 = VMath.madd(a24v, b21, x41);
    const a25v = v128.load32_splat(a5 + off, 8);
    x50 = VMath.madd(a25v, b20, x50);
    x51 = VMath.madd(a25v, b21, x51);
    const b30 = v128.load(b, 96);
    const b31 = v128.load(b, 112);
    const a30v = v128.load32_splat(a0 + off, 12);
    x00 = VMath.madd(a30v, b30, x00);
    x01 = VMath.madd(a30v, b31, x01);
    const a31v = v128.load32_splat(a1 + off, 12);
    x10 = VMath.madd(a31v, b30, x10);
    x11 = VMath.madd(a31v, b31, x11);
    const a32v = v128.load32_splat(a2 + off, 12);
    x20 = VMath.madd(a32v, b30, x20);
    x21 = VMath.madd(a32v, b31, x21);
    const a33v = v128.load32_splat(a3 + off, 12);
    x30 = VMath.madd(a33v, b30, x30);
    x31 = VMath.madd(a33v, b31, x31);
    const a34v = v128.load32_splat(a4 + off, 12);
    x40 = VMath.madd(a34v, b30, x40);
    x41 = VMath.madd(a34v, b31, x41);
    const a35v = v128.load32_splat(a5 + off, 12);
    x50 = VMath.madd(a35v, b30, x50);
    x51 = VMath.madd(a35v, b31, x51);
    off += 16;
    b += 128;
  }
  v128.store(c0, x00, 0);
  v128.store(c0, x01, 16);
  v128.store(c1, x10, 0);
  v128.store(c1, x11, 16);
  v128.store(c2, x20, 0);
  v128.store(c2, x21, 16);
  v128.store(c3, x30, 0);
  v128.store(c3, x31, 16);
  v128.store(c4, x40, 0);
  v128.store(c4, x41, 16);
  v128.store(c5, x50, 0);
  v128.store(c5, x51, 16);
}

/**
 * Edge tile: rows [0, rows) (rows <= MR) and panel columns [lo, hi) (0 <= lo < hi <= NR), any kl. Same
 * arguments as tileFull plus rows / lo / hi. Rows past the edge alias row 0 of A (computed, never stored);
 * C and bias are only touched lane by lane inside [lo, hi), so nothing past a matrix edge is read or written.
 * Also used for full tiles when K % 4 != 0 (the last 1-3 steps, mode INIT_LOAD).
 */
export function tileEdge(
  a0: usize,
  lda: usize,
  rows: i32,
  b: usize,
  kl: i32,
  c0: usize,
  ldc: usize,
  lo: i32,
  hi: i32,
  mode: i32,
  beta: f32,
  bias: usize,
): void {
  // Rows past the edge (r >= rows) alias row 0: they are computed but never loaded from C or stored.
  const a1 = rows > 1 ? a0 + lda : a0;
  const a2 = rows > 2 ? a1 + lda : a0;
  const a3 = rows > 3 ? a2 + lda : a0;
  const a4 = rows > 4 ? a3 + lda : a0;
  const a5 = rows > 5 ? a4 + lda : a0;
  const c1 = rows > 1 ? c0 + ldc : c0;
  const c2 = rows > 2 ? c1 + ldc : c0;
  const c3 = rows > 3 ? c2 + ldc : c0;
  const c4 = rows > 4 ? c3 + ldc : c0;
  const c5 = rows > 5 ? c4 + ldc : c0;
  let x00 = f32x4.splat(0);
  let x01 = f32x4.splat(0);
  let x10 = f32x4.splat(0);
  let x11 = f32x4.splat(0);
  let x20 = f32x4.splat(0);
  let x21 = f32x4.splat(0);
  let x30 = f32x4.splat(0);
  let x31 = f32x4.splat(0);
  let x40 = f32x4.splat(0);
  let x41 = f32x4.splat(0);
  let x50 = f32x4.splat(0);
  let x51 = f32x4.splat(0);
  if (mode !== INIT_ZERO) {
    x00 = loadLanes(c0 + 0, 0, lo, hi);
    x01 = loadLanes(c0 + 16, 4, lo, hi);
    x10 = loadLanes(c1 + 0, 0, lo, hi);
    x11 = loadLanes(c1 + 16, 4, lo, hi);
    x20 = loadLanes(c2 + 0, 0, lo, hi);
    x21 = loadLanes(c2 + 16, 4, lo, hi);
    x30 = loadLanes(c3 + 0, 0, lo, hi);
    x31 = loadLanes(c3 + 16, 4, lo, hi);
    x40 = loadLanes(c4 + 0, 0, lo, hi);
    x41 = loadLanes(c4 + 16, 4, lo, hi);
    x50 = loadLanes(c5 + 0, 0, lo, hi);
    x51 = loadLanes(c5 + 16, 4, lo, hi);
    if (mode === INIT_SCALE) {
      const s = f32x4.splat(beta);
      x00 = f32x4.mul(x00, s);
      x01 = f32x4.mul(x01, s);
      x10 = f32x4.mul(x10, s);
      x11 = f32x4.mul(x11, s);
      x20 = f32x4.mul(x20, s);
      x21 = f32x4.mul(x21, s);
      x30 = f32x4.mul(x30, s);
      x31 = f32x4.mul(x31, s);
      x40 = f32x4.mul(x40, s);
      x41 = f32x4.mul(x41, s);
      x50 = f32x4.mul(x50, s);
      x51 = f32x4.mul(x51, s);
    }
  }
  if (bias !== 0) {
    const y0 = loadLanes(bias + 0, 0, lo, hi);
    const y1 = loadLanes(bias + 16, 4, lo, hi);
    x00 = f32x4.add(x00, y0);
    x01 = f32x4.add(x01, y1);
    x10 = f32x4.add(x10, y0);
    x11 = f32x4.add(x11, y1);
    x20 = f32x4.add(x20, y0);
    x21 = f32x4.add(x21, y1);
    x30 = f32x4.add(x30, y0);
    x31 = f32x4.add(x31, y1);
    x40 = f32x4.add(x40, y0);
    x41 = f32x4.add(x41, y1);
    x50 = f32x4.add(x50, y0);
    x51 = f32x4.add(x51, y1);
  }
  const end = (<usize>kl) << 2;
  let off: usize = 0;
  while (off < end) {
    const b0 = v128.load(b, 0);
    const b1 = v128.load(b, 16);
    const av0 = v128.load32_splat(a0 + off);
    x00 = VMath.madd(av0, b0, x00);
    x01 = VMath.madd(av0, b1, x01);
    const av1 = v128.load32_splat(a1 + off);
    x10 = VMath.madd(av1, b0, x10);
    x11 = VMath.madd(av1, b1, x11);
    const av2 = v128.load32_splat(a2 + off);
    x20 = VMath.madd(av2, b0, x20);
    x21 = VMath.madd(av2, b1, x21);
    const av3 = v128.load32_splat(a3 + off);
    x30 = VMath.madd(av3, b0, x30);
    x31 = VMath.madd(av3, b1, x31);
    const av4 = v128.load32_splat(a4 + off);
    x40 = VMath.madd(av4, b0, x40);
    x41 = VMath.madd(av4, b1, x41);
    const av5 = v128.load32_splat(a5 + off);
    x50 = VMath.madd(av5, b0, x50);
    x51 = VMath.madd(av5, b1, x51);
    off += 4;
    b += 32;
  }
  storeLanes(c0 + 0, x00, 0, lo, hi);
  storeLanes(c0 + 16, x01, 4, lo, hi);
  if (rows > 1) {
    storeLanes(c1 + 0, x10, 0, lo, hi);
    storeLanes(c1 + 16, x11, 4, lo, hi);
  }
  if (rows > 2) {
    storeLanes(c2 + 0, x20, 0, lo, hi);
    storeLanes(c2 + 16, x21, 4, lo, hi);
  }
  if (rows > 3) {
    storeLanes(c3 + 0, x30, 0, lo, hi);
    storeLanes(c3 + 16, x31, 4, lo, hi);
  }
  if (rows > 4) {
    storeLanes(c4 + 0, x40, 0, lo, hi);
    storeLanes(c4 + 16, x41, 4, lo, hi);
  }
  if (rows > 5) {
    storeLanes(c5 + 0, x50, 0, lo, hi);
    storeLanes(c5 + 16, x51, 4, lo, hi);
  }
}

/**
 * Applies activation `act` in place to a finished block of C: rows [0, rows) of one panel, panel columns
 * [lo, hi) (only those lanes are read or written). gemm calls it once per panel and row block (up to MC x NR
 * floats, 3 KiB) right after the block's last K step, while the block is in L1. (Measured: as fast as or
 * slightly faster than once per 6 x 8 tile, or than one specialised loop per activation; and the register
 * kernels stay untouched, so the plain product keeps its speed.)
 */
export function activateBlock(c0: usize, ldc: usize, rows: i32, lo: i32, hi: i32, act: i32): void {
  let c = c0;
  if (lo === 0 && hi === NR) {
    for (let r = 0; r < rows; r++) {
      const v0 = v128.load(c, 0);
      const v1 = v128.load(c, 16);
      v128.store(c, VMath.activate(v0, act), 0);
      v128.store(c, VMath.activate(v1, act), 16);
      c += ldc;
    }
  } else {
    for (let r = 0; r < rows; r++) {
      storeLanes(c, VMath.activate(loadLanes(c, 0, lo, hi), act), 0, lo, hi);
      storeLanes(c + 16, VMath.activate(loadLanes(c + 16, 4, lo, hi), act), 4, lo, hi);
      c += ldc;
    }
  }
}
