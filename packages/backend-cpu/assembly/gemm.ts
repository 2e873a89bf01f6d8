// Float32 GEMM kernels for the CPU backend, compiled by AssemblyScript to WebAssembly SIMD128.
//
// The same source is compiled into several variants by scripts/build-wasm.mjs:
//   - SIMD128: multiply + add (`f32x4.mul` then `f32x4.add`),
//   - relaxed SIMD: fused multiply-add (`f32x4.relaxed_madd`), selected at compile time through
//     the builtin constant ASC_FEATURE_RELAXED_SIMD,
// each with an imported shared memory (threads) and with an imported non-shared memory.
//
// All pointers are byte offsets into the imported memory. The module has no data segments, no start
// function and no globals of its own, so any number of threads may instantiate it over one shared memory.
//
// Layouts:
//   A: row-major M x K with leading dimension lda (floats).
//   packed B: ceil(N / NR) panels; panel p holds columns [p*NR, p*NR + NR) as K rows of NR floats
//     (K-major), zero-padded past N. Panel p starts at float offset p * K * NR.
//   C: row-major M x N with leading dimension ldc (floats).
//
// Besides the GEMM (with an optional activation epilogue), the module exports the row softmax and in-place
// activations built on the f32x4 elementary functions of assembly/vmath.ts.

import { ACT_GELU, VMath } from "./vmath";

// Register tile: MR rows x NR columns = 6 x 2 f32x4 accumulators, plus 2 vectors of B and one broadcast of
// A: 15 of the 16 vector registers V8 uses on x64. Measured on a 2-core AMD EPYC (Zen 5) in Node 20 against
// 3x12, 4x8, 4x12, 5x8, 2x16, 3x16, 6x4, 7x8 and 8x8 tiles: 6x8 was the fastest both for SIMD128
// (~52 GFLOP/s per core vs ~43 for 3x12) and for relaxed-SIMD FMA (~52).
const MR: i32 = 6;
const NR: i32 = 8;
// Cache blocking over K: a KC x NR panel of B is 8 KiB (stays in L1 while MC rows of A pass over it).
const KC: i32 = 256;
const MC: i32 = 96;

/** Rows of the register tile. */
export function tileRows(): i32 {
  return MR;
}

/** Columns of a packed-B panel (the register tile's width). */
export function panelWidth(): i32 {
  return NR;
}

/** 1 when this build uses relaxed-SIMD fused multiply-add, else 0. */
export function usesRelaxedSimd(): i32 {
  return ASC_FEATURE_RELAXED_SIMD ? 1 : 0;
}

/** Size of packed B for a K x N operand, in floats. */
export function packedBSize(K: i32, N: i32): i32 {
  return ((N + NR - 1) / NR) * NR * K;
}

/**
 * Packs B into panels. B[k][n] is read from src + 4 * (k * ld + n) when transposed = 0, and from
 * src + 4 * (n * ld + k) when transposed = 1 (B given as N x K row-major, e.g. a PyTorch Linear weight
 * [out, in]).
 */
export function packBStrided(src: usize, ld: i32, K: i32, N: i32, transposed: i32, dst: usize): void {
  const panels = (N + NR - 1) / NR;
  const ldb = (<usize>ld) << 2;
  for (let p = 0; p < panels; p++) {
    const n0 = p * NR;
    const nv = min(NR, N - n0);
    let d = dst + ((<usize>p * <usize>K * <usize>NR) << 2);
    if (transposed === 0) {
      let s = src + ((<usize>n0) << 2);
      if (nv === NR) {
        for (let k = 0; k < K; k++) {
          v128.store(d, v128.load(s));
          v128.store(d, v128.load(s, 16), 16);
          s += ldb;
          d += NR << 2;
        }
      } else {
        for (let k = 0; k < K; k++) {
          for (let j = 0; j < NR; j++) {
            store<f32>(d + ((<usize>j) << 2), j < nv ? load<f32>(s + ((<usize>j) << 2)) : 0);
          }
          s += ldb;
          d += NR << 2;
        }
      }
    } else {
      // Rows n0 .. n0 + nv of the N x K source; 4 x 4 blocks are transposed in registers.
      const s0 = src + <usize>n0 * ldb;
      if (nv === NR) {
        let k = 0;
        for (; k + 4 <= K; k += 4) {
          const kOff = (<usize>k) << 2;
          for (let g = 0; g < NR; g += 4) {
            const r = s0 + <usize>g * ldb + kOff;
            const x0 = v128.load(r);
            const x1 = v128.load(r + ldb);
            const x2 = v128.load(r + 2 * ldb);
            const x3 = v128.load(r + 3 * ldb);
            const t0 = i32x4.shuffle(x0, x1, 0, 4, 1, 5);
            const t1 = i32x4.shuffle(x2, x3, 0, 4, 1, 5);
            const t2 = i32x4.shuffle(x0, x1, 2, 6, 3, 7);
            const t3 = i32x4.shuffle(x2, x3, 2, 6, 3, 7);
            const o = d + ((<usize>g) << 2);
            v128.store(o, i64x2.shuffle(t0, t1, 0, 2));
            v128.store(o, i64x2.shuffle(t0, t1, 1, 3), NR * 4);
            v128.store(o, i64x2.shuffle(t2, t3, 0, 2), NR * 8);
            v128.store(o, i64x2.shuffle(t2, t3, 1, 3), NR * 12);
          }
          d += NR << 4;
        }
        for (; k < K; k++) {
          for (let j = 0; j < NR; j++) {
            store<f32>(d + ((<usize>j) << 2), load<f32>(s0 + <usize>j * ldb + ((<usize>k) << 2)));
          }
          d += NR << 2;
        }
      } else {
        for (let k = 0; k < K; k++) {
          for (let j = 0; j < NR; j++) {
            store<f32>(
              d + ((<usize>j) << 2),
              j < nv ? load<f32>(s0 + <usize>j * ldb + ((<usize>k) << 2)) : 0,
            );
          }
          d += NR << 2;
        }
      }
    }
  }
}

/** packBStrided with the dense leading dimension (N, or K when transposed). */
export function packB(src: usize, K: i32, N: i32, transposed: i32, dst: usize): void {
  packBStrided(src, transposed !== 0 ? K : N, K, N, transposed, dst);
}

// Init modes for a tile's first K block.
const INIT_ZERO: i32 = 0;
const INIT_LOAD: i32 = 1; // acc = C
const INIT_SCALE: i32 = 2; // acc = beta * C

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
function tileFull(
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
function tileEdge(
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
function activateBlock(c0: usize, ldc: usize, rows: i32, lo: i32, hi: i32, act: i32): void {
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

/**
 * C[rowStart:rowEnd, colStart:colEnd] = act(A * B (+ bias[n]) (+ beta * C)).
 * A: M x K row-major (leading dimension lda); packedB from packB for the full K x N operand;
 * C: leading dimension ldc; bias: 0 or pointer to N floats; beta: 0 (overwrite), 1 (accumulate) or any
 * other scale of the previous C; act: activation applied to every finished block of C (0 none,
 * 1 exact GELU, 2 ReLU, 3 tanh GELU; see assembly/vmath.ts and activateBlock), on the thread that
 * computed it.
 */
export function gemm(
  a: usize,
  lda: i32,
  packedB: usize,
  c: usize,
  ldc: i32,
  M: i32,
  N: i32,
  K: i32,
  bias: usize,
  beta: f32,
  rowStart: i32,
  rowEnd: i32,
  colStart: i32,
  colEnd: i32,
  act: i32,
): void {
  const r0 = max(rowStart, 0);
  const r1 = min(rowEnd, M);
  const q0 = max(colStart, 0);
  const q1 = min(colEnd, N);
  if (r0 >= r1 || q0 >= q1) return;
  const ldaB = (<usize>lda) << 2;
  const ldcB = (<usize>ldc) << 2;
  const pFirst = q0 / NR;
  const pEnd = (q1 + NR - 1) / NR;
  const firstMode = beta === 0 ? INIT_ZERO : beta === 1 ? INIT_LOAD : INIT_SCALE;
  let kb = 0;
  do {
    const kl = min(KC, K - kb);
    const mode = kb === 0 ? firstMode : INIT_LOAD;
    // The activation runs on each row block of each panel once its last K block is done.
    const epi = kb + kl >= K ? act : 0;
    for (let ib = r0; ib < r1; ib += MC) {
      const ie = min(ib + MC, r1);
      for (let p = pFirst; p < pEnd; p++) {
        const n0 = p * NR;
        const lo = max(q0 - n0, 0);
        const hi = min(q1 - n0, NR);
        const bp = packedB + ((<usize>p * <usize>K * <usize>NR + <usize>kb * <usize>NR) << 2);
        const biasP = kb === 0 && bias !== 0 ? bias + ((<usize>n0) << 2) : 0;
        const aK = a + ((<usize>kb) << 2);
        const cN = c + ((<usize>n0) << 2);
        let i = ib;
        if (lo === 0 && hi === NR) {
          // Full tiles: the unrolled kernel over the first kl4 = kl & ~3 steps, then (only when K % 4 != 0 in
          // the last block) the remaining 1-3 steps accumulate through the edge kernel.
          const kl4 = kl & ~3;
          for (; i + MR <= ie; i += MR) {
            const ai = aK + <usize>i * ldaB;
            const ci = cN + <usize>i * ldcB;
            if (kl4 > 0) {
              tileFull(ai, ldaB, bp, kl4, ci, ldcB, mode, beta, biasP);
              if (kl4 < kl) {
                tileEdge(
                  ai + ((<usize>kl4) << 2),
                  ldaB,
                  MR,
                  bp + ((<usize>kl4 * NR) << 2),
                  kl - kl4,
                  ci,
                  ldcB,
                  0,
                  NR,
                  INIT_LOAD,
                  1,
                  0,
                );
              }
            } else {
              tileEdge(ai, ldaB, MR, bp, kl, ci, ldcB, 0, NR, mode, beta, biasP);
            }
          }
        }
        for (; i < ie; i += MR) {
          tileEdge(
            aK + <usize>i * ldaB,
            ldaB,
            min(MR, ie - i),
            bp,
            kl,
            cN + <usize>i * ldcB,
            ldcB,
            lo,
            hi,
            mode,
            beta,
            biasP,
          );
        }
        if (epi !== 0) activateBlock(cN + <usize>ib * ldcB, ldcB, ie - ib, lo, hi, epi);
      }
    }
    kb += KC;
  } while (kb < K);
}

// ---- Elementwise and row kernels ----------------------------------------------------------------------

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
