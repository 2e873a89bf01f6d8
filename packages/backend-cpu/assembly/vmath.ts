// f32x4 elementary functions for the GEMM epilogue, the row softmax and the in-place activations
// (imported by assembly/gemm.ts; compiled into the same four variants).
//
// All are static @inline methods of VMath (AssemblyScript inlines @inline methods; TypeScript tooling does
// not accept decorators on plain functions), branch-free on the four lanes and built from constants only
// (v128.const after optimisation): the module still has no data segments and no globals.
//
// Accuracy (float32 evaluation against float64, measured over every float32 in the ranges; the tests in
// src/wasm/vmath-suite.ts check strided subsets):
//   expNeg(y), y <= 0  relative error <= 8.5e-8; exactly 1 at y = 0; with exactZero, exactly 0 for
//                      y < -87 (-Infinity and float32's lowest value included; results below 2^-126 are
//                      flushed to 0)
//   erf(x)             absolute error <= 1.1e-7 on all of float32 (exactly +-1 far out)
//   gelu(x)            x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2)): error <= 1.26e-7 * max(1, |x|); exactly
//                      x for x >= 12 (Phi rounds to 1) and exactly 0 for x <= -12 (-Infinity included)
//   geluTanh(x)        0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), computed as x * sigmoid(2u)
//   relu(x)            max(x, 0)
// NaN inputs give NaN.

// ---- exp ---------------------------------------------------------------------------------------------

// Below this, exp(y) is set to 0 (e^-87 = 1.6e-38 is just above float32's smallest normal 2^-126).
const EXP_LO: f32 = -87.0;
const LOG2E: f32 = <f32>Math.LOG2E;
// Cody-Waite split of ln 2: LN2_HI has 10 significant bits, so k * LN2_HI is exact for |k| < 2^14.
const LN2_HI: f32 = 0.693359375;
const LN2_LO: f32 = -2.1219444e-4;
// 1.5 * 2^23 + 127: y * log2(e) + EXP_SHIFT rounds y * log2(e) to the nearest integer k and leaves k + 127 in
// the low mantissa bits, so (bits << 23) is the float 2^k (for -126 <= k <= 127).
const EXP_SHIFT: f32 = 12583039.0;
// exp(r) = 1 + r + r^2 * P(r), P of degree 4, on |r| <= ln(2) / 2: minimax of the relative error (3.1e-9,
// coefficients rounded to float32 one by one), ~6e-8 relative in float32 arithmetic.
const E2: f32 = 0.4999999403953552;
const E3: f32 = 0.1666652113199234;
const E4: f32 = 0.041668277233839035;
const E5: f32 = 0.008368692360818386;
const E6: f32 = 0.0013819965533912182;

// ---- erf / erfc ---------------------------------------------------------------------------------------

// erfc(z) = t * P(t) * exp(-z^2), t = 1 / (1 + p z), z >= 0: the form of Abramowitz-Stegun 7.1.26 with one
// more coefficient, refitted (weighted minimax of the absolute error of erfc over z in [0, 12], coefficients
// rounded to float32 one by one and the rest refitted): |error| <= 8.2e-9 in exact arithmetic (A-S 7.1.26:
// 1.5e-7). Its float32 evaluation loses accuracy near z = 0, where 1 - erfc(z) cancels (~4e-7 at z -> 0), so
// for small arguments erf uses the odd polynomial below instead.
const ERFC_P: f32 = 0.3903231918811798;
const C0: f32 = 0.23524771630764008;
const C1: f32 = 0.09345147758722305;
const C2: f32 = 0.6442821025848389;
const C3: f32 = -0.6276915669441223;
const C4: f32 = 0.8816102743148804;
const C5: f32 = -0.22690001130104065;

// erf(x) = x * Q(x^2) on |x| < 1 (minimax of the absolute error, 2.3e-8).
const ERF_SMALL: f32 = 1.0;
const S0: f32 = 1.1283788681030273;
const S1: f32 = -0.37611815333366394;
const S2: f32 = 0.11277288943529129;
const S3: f32 = -0.026644356548786163;
const S4: f32 = 0.004849680699408054;
const S5: f32 = -0.000538140709977597;

// ---- GELU -------------------------------------------------------------------------------------------

// Phi(x) - 1/2 = erf(x / sqrt 2) / 2 = x * R(x^2) on |x| < sqrt 2 (minimax of the absolute error, 9.6e-9).
const GELU_SMALL: f32 = <f32>Math.SQRT2;
const G0: f32 = 0.3989422023296356;
const G1: f32 = -0.06648920476436615;
const G2: f32 = 0.009968637488782406;
const G3: f32 = -0.0011785282986238599;
const G4: f32 = 0.00010769343498395756;
const G5: f32 = -6.046734142728383e-6;
// Phi(-|x|) = erfc(|x| / sqrt 2) / 2 = t * H(t) * exp(-x^2 / 2), t = 1 / (1 + q |x|), on |x| >= sqrt 2:
// fitted like erfcPos but in x directly and only where it is used (abs. error 2.2e-9 with 4 coefficients).
const GELU_Q: f32 = 0.2920909821987152;
const H0: f32 = 0.10941661149263382;
const H1: f32 = 0.16881033778190613;
const H2: f32 = -0.038142502307891846;
const H3: f32 = 0.2605127692222595;
const GELU_ZERO: f32 = -12.0;

// 2 sqrt(2 / pi) and 2 sqrt(2 / pi) * 0.044715.
const TANH_A: f32 = 1.5957691216057308;
const TANH_B: f32 = TANH_A * 0.044715;

// Activation codes, shared with src/wasm/gemm-options.ts (ACTIVATION_CODES).
export const ACT_NONE: i32 = 0;
export const ACT_GELU: i32 = 1;
export const ACT_RELU: i32 = 2;
export const ACT_GELU_TANH: i32 = 3;

/** f32x4 functions, all inlined by the AssemblyScript compiler (@inline needs methods). */
// biome-ignore lint/complexity/noStaticOnlyClass: @inline needs methods (see the top of this file)
export class VMath {
  /** a * b + c: fused (relaxed-SIMD FMA where ASC_FEATURE_RELAXED_SIMD) or multiply then add (SIMD128). */
  @inline static madd(a: v128, b: v128, c: v128): v128 {
    if (ASC_FEATURE_RELAXED_SIMD) {
      return f32x4.relaxed_madd(a, b, c);
    } else {
      return f32x4.add(f32x4.mul(a, b), c);
    }
  }

  /** mask ? a : b per lane; `mask` lanes must be all-ones or all-zeros (comparison results). */
  @inline static select(a: v128, b: v128, mask: v128): v128 {
    if (ASC_FEATURE_RELAXED_SIMD) {
      return i32x4.relaxed_laneselect(a, b, mask);
    } else {
      return v128.bitselect(a, b, mask);
    }
  }

  /**
   * exp(y) for y <= 0 (any y <= 0 including -Infinity; NaN gives NaN). Cody-Waite range reduction
   * y = k ln2 + r, |r| <= ln2 / 2, degree-6 polynomial for exp(r), 2^k built from the integer bits.
   * For y < -87 the result is exactly 0 when `exactZero` (a compile-time constant), else exp(-87) (callers
   * that multiply it by something negligible save the two instructions).
   */
  @inline static expNeg(y: v128, exactZero: bool): v128 {
    // pmax(y, lo) = y < lo ? lo : y keeps NaN (the comparison is false).
    const yc = f32x4.pmax(y, f32x4.splat(EXP_LO));
    const kf = VMath.madd(yc, f32x4.splat(LOG2E), f32x4.splat(EXP_SHIFT));
    const k = f32x4.sub(kf, f32x4.splat(EXP_SHIFT));
    let r = VMath.madd(k, f32x4.splat(-LN2_HI), yc);
    r = VMath.madd(k, f32x4.splat(-LN2_LO), r);
    let p = VMath.madd(f32x4.splat(E6), r, f32x4.splat(E5));
    p = VMath.madd(p, r, f32x4.splat(E4));
    p = VMath.madd(p, r, f32x4.splat(E3));
    p = VMath.madd(p, r, f32x4.splat(E2));
    const r2 = f32x4.mul(r, r);
    const e = f32x4.add(VMath.madd(p, r2, r), f32x4.splat(1));
    const scaled = f32x4.mul(e, i32x4.shl(kf, 23));
    if (exactZero) return v128.andnot(scaled, f32x4.lt(y, f32x4.splat(EXP_LO)));
    return scaled;
  }

  /** erfc(z) for z >= 0 (and +Infinity). */
  @inline static erfcPos(z: v128): v128 {
    const t = f32x4.div(f32x4.splat(1), VMath.madd(f32x4.splat(ERFC_P), z, f32x4.splat(1)));
    let p = VMath.madd(f32x4.splat(C5), t, f32x4.splat(C4));
    p = VMath.madd(p, t, f32x4.splat(C3));
    p = VMath.madd(p, t, f32x4.splat(C2));
    p = VMath.madd(p, t, f32x4.splat(C1));
    p = VMath.madd(p, t, f32x4.splat(C0));
    p = f32x4.mul(p, t);
    return f32x4.mul(p, VMath.expNeg(f32x4.neg(f32x4.mul(z, z)), false));
  }

  /** erf(x), absolute error <= ~1.2e-7 on all of float32. */
  @inline static erf(x: v128): v128 {
    const a = f32x4.abs(x);
    const x2 = f32x4.mul(x, x);
    let q = VMath.madd(f32x4.splat(S5), x2, f32x4.splat(S4));
    q = VMath.madd(q, x2, f32x4.splat(S3));
    q = VMath.madd(q, x2, f32x4.splat(S2));
    q = VMath.madd(q, x2, f32x4.splat(S1));
    q = VMath.madd(q, x2, f32x4.splat(S0));
    const small = f32x4.mul(x, q);
    // 1 - erfc(|x|) with the sign of x (copysign through the sign bit).
    const big = v128.or(f32x4.sub(f32x4.splat(1), VMath.erfcPos(a)), v128.and(x, f32x4.splat(-0.0)));
    return VMath.select(small, big, f32x4.lt(a, f32x4.splat(ERF_SMALL)));
  }

  /**
   * Exact (erf) GELU: x * Phi(x), Phi(x) = (1 + erf(x / sqrt 2)) / 2. For |x| >= sqrt 2, Phi is computed from
   * h = erfc(|x| / sqrt 2) / 2 as 1 - h (x > 0) or h (x < 0) (never 1 - (1 - h)). The fit bounds the absolute
   * error of h (2.2e-9), not its relative error: far in the negative tail, where |GELU(x)| < 1e-8, the result
   * is accurate in absolute terms only (~6e-4 relative at x = -5).
   */
  @inline static gelu(x: v128): v128 {
    const a = f32x4.abs(x);
    const x2 = f32x4.mul(x, x);
    let q = VMath.madd(f32x4.splat(G5), x2, f32x4.splat(G4));
    q = VMath.madd(q, x2, f32x4.splat(G3));
    q = VMath.madd(q, x2, f32x4.splat(G2));
    q = VMath.madd(q, x2, f32x4.splat(G1));
    q = VMath.madd(q, x2, f32x4.splat(G0));
    const phiSmall = VMath.madd(q, x, f32x4.splat(0.5));
    const t = f32x4.div(f32x4.splat(1), VMath.madd(f32x4.splat(GELU_Q), a, f32x4.splat(1)));
    let p = VMath.madd(f32x4.splat(H3), t, f32x4.splat(H2));
    p = VMath.madd(p, t, f32x4.splat(H1));
    p = VMath.madd(p, t, f32x4.splat(H0));
    // exp(-x^2 / 2) is clamped at exp(-87) past |x| = 13.2, where h only has to be negligible.
    const e = VMath.expNeg(f32x4.mul(x2, f32x4.splat(-0.5)), false);
    const h = f32x4.mul(f32x4.mul(p, t), e);
    const phiBig = VMath.select(f32x4.sub(f32x4.splat(1), h), h, f32x4.ge(x, f32x4.splat(0)));
    const phi = VMath.select(phiSmall, phiBig, f32x4.lt(a, f32x4.splat(GELU_SMALL)));
    // x <= -12 gives 0 (GELU(-12) = -7e-33; also keeps -Infinity * 0 from becoming NaN).
    return v128.andnot(f32x4.mul(x, phi), f32x4.le(x, f32x4.splat(GELU_ZERO)));
  }

  /**
   * tanh-approximated GELU: 0.5 x (1 + tanh(u)), u = sqrt(2/pi) (x + 0.044715 x^3), computed as
   * x * sigmoid(2u) with e = exp(-|2u|): sigmoid = 1 / (1 + e) for u >= 0, e / (1 + e) for u < 0.
   */
  @inline static geluTanh(x: v128): v128 {
    const x2 = f32x4.mul(x, x);
    const v = f32x4.mul(x, VMath.madd(x2, f32x4.splat(TANH_B), f32x4.splat(TANH_A)));
    const e = VMath.expNeg(f32x4.neg(f32x4.abs(v)), true);
    const s = f32x4.div(f32x4.splat(1), f32x4.add(f32x4.splat(1), e));
    const sig = VMath.select(s, f32x4.mul(e, s), f32x4.ge(v, f32x4.splat(0)));
    return v128.andnot(f32x4.mul(x, sig), f32x4.le(x, f32x4.splat(GELU_ZERO)));
  }

  /** max(x, 0) (NaN stays NaN). */
  @inline static relu(x: v128): v128 {
    // pmax(x, 0) = x < 0 ? 0 : x
    return f32x4.pmax(x, f32x4.splat(0));
  }

  /** The activation `act` (ACT_*) applied to four lanes; unknown codes leave them unchanged. */
  @inline static activate(v: v128, act: i32): v128 {
    if (act === ACT_GELU) return VMath.gelu(v);
    if (act === ACT_RELU) return VMath.relu(v);
    if (act === ACT_GELU_TANH) return VMath.geluTanh(v);
    return v;
  }
}
