// DeBERTa disentangled self-attention, fused, one task per (batch b, head h) on the engine's pool. With
// q = qkv[b, :, h, 0], k = qkv[b, :, h, 1], v = qkv[b, :, h, 2] (each [L, hs]), rel = 2 * span and
// delta(i, j) = clamp(i - j + span, 0, rel - 1), or delta(i, j) = rel_index[i - j + L - 1] when DeBERTa-v2's
// table is given:
//
//   q' = (q + q_bias[h]) * scale,  k' = k + k_bias[h] (v2; k' = k without),  v' = v + v_bias[h]
//   S[i, j]  = q'_i . k'_j
//            + C2P[i, delta(i, j)],  C2P = q' . pos_key[h]^T     (when pos_key is given: "c2p")
//            + P2C[j, delta(i, j)],  P2C = k' . pos_query[h]^T   (when pos_query is given: "p2c")
//   S[i, j]  = lowest (float32)   where the mask drops (i, j): keep[b, i] * keep[b, j] == 0, or keep[b, i, j] == 0
//   P[i, :]  = softmax(S[i, :])    (row_kernels.inc, softmax_row)
//   context[b, i, h, :] = P[i, :] . v'
//
// delta(i, j) only takes values in [c0, c1] (without a table [clamp(span - L + 1), clamp(span + L - 1)]; with
// one, its smallest and largest entries), so C2P / P2C are computed for those rel columns only
// (L x (c1 - c0 + 1), not L x rel: half the work when span >= L, and v2's log buckets use few rows).
// The products use this ISA's packing routines and macro-kernel on the task's thread (no nested
// parallelism); without a key bias k is packed straight from qkv (B^T layout, leading dimension = qkv's row
// width) and P2C reads k from qkv as its A operand; with one, k' is written to scratch first. Scratch is per
// participant (q', k', v', S, C2P/P2C, packed B), sized once per call on the calling thread, and the table
// is checked and copied (shifted by -c0) once per call: nothing [B, H, L, 2L] or [L, L] exists, and S is the
// caller's probs slice when the probabilities are requested (then written out at no extra cost).
#include <float.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

namespace deberta {
namespace {

inline size_t round16(size_t n) { return (n + 15) & ~static_cast<size_t>(15); }

struct AttentionJob {
  const AttentionArgs* a;
  const IsaKernels* isa;
  float** a_scratch;  // the engine's per-participant packed-A blocks
  float** scratch;    // per-participant attention scratch
  int c0, wd;         // rel columns [c0, c0 + wd) of C2P / P2C
  const int32_t* table;  // rel_index - c0 (columns of C2P / P2C), or null: delta in closed form
  size_t q_off, k_off, v_off, s_off, r_off, pb_off;
};

// C[m, n] (ldc) = A[m, kd] (lda) * B, B packed as ceil(n / nr) panels of kd x nr.
void small_gemm(const IsaKernels& isa, const float* a, size_t lda, int m, int kd, const float* pb, int n, float* c,
                size_t ldc, float* abuf) {
  const size_t panel_stride = static_cast<size_t>(kd) * isa.nr;
  for (int pc = 0; pc < kd; pc += isa.kc) {
    const int kcb = kd - pc < isa.kc ? kd - pc : isa.kc;
    for (int ic = 0; ic < m; ic += isa.mc) {
      const int mcb = m - ic < isa.mc ? m - ic : isa.mc;
      isa.pack_a(a + static_cast<size_t>(ic) * lda + pc, lda, mcb, kcb, abuf);
      isa.macro(abuf, mcb, kcb, pb + static_cast<size_t>(pc) * isa.nr, panel_stride, n, c + static_cast<size_t>(ic) * ldc,
                ldc, pc > 0, nullptr);
    }
  }
}

void attention_task(void* ctx, int task, int thread) {
  const AttentionJob& job = *static_cast<AttentionJob*>(ctx);
  const AttentionArgs& a = *job.a;
  const IsaKernels& isa = *job.isa;
  const int L = a.length, hs = a.head_size, H = a.heads, rel = 2 * a.span;
  const int b = task / H, h = task % H;
  const size_t width = static_cast<size_t>(H) * 3 * hs;
  float* base = job.scratch[thread];
  float* q = base + job.q_off;
  float* v = base + job.v_off;
  float* r = base + job.r_off;
  float* pb = base + job.pb_off;
  float* abuf = job.a_scratch[thread];
  float* s = a.probs != nullptr ? a.probs + (static_cast<size_t>(b) * H + h) * L * L : base + job.s_off;

  const float* x = a.qkv + static_cast<size_t>(b) * L * width + static_cast<size_t>(h) * 3 * hs;
  const float* qb = a.q_bias + static_cast<size_t>(h) * hs;
  const float* vb = a.v_bias + static_cast<size_t>(h) * hs;
  for (int t = 0; t < L; t++) {
    const float* row = x + static_cast<size_t>(t) * width;
    float* qt = q + static_cast<size_t>(t) * hs;
    float* vt = v + static_cast<size_t>(t) * hs;
    for (int d = 0; d < hs; d++) qt[d] = (row[d] + qb[d]) * a.scale;
    for (int d = 0; d < hs; d++) vt[d] = row[2 * hs + d] + vb[d];
  }
  const float* k = x + hs;  // [L, hs] with leading dimension ldk
  size_t ldk = width;
  if (a.k_bias != nullptr) {
    float* kp = base + job.k_off;
    const float* kb = a.k_bias + static_cast<size_t>(h) * hs;
    for (int t = 0; t < L; t++) {
      const float* row = x + static_cast<size_t>(t) * width + hs;
      float* kt = kp + static_cast<size_t>(t) * hs;
      for (int d = 0; d < hs; d++) kt[d] = row[d] + kb[d];
    }
    k = kp;
    ldk = hs;
  }

  // S = q' . k'^T
  isa.pack_b(k, ldk, true, hs, 0, L, pb);
  small_gemm(isa, q, hs, L, hs, pb, L, s, L, abuf);

  const int c0 = job.c0, wd = job.wd;
  const int32_t* table = job.table;
  if (a.pos_key != nullptr) {
    isa.pack_b(a.pos_key + static_cast<size_t>(h) * rel * hs, hs, true, hs, c0, wd, pb);
    small_gemm(isa, q, hs, L, hs, pb, wd, r, wd, abuf);
    if (table != nullptr) {
      for (int i = 0; i < L; i++) {
        float* si = s + static_cast<size_t>(i) * L;
        const float* ri = r + static_cast<size_t>(i) * wd;
        const int32_t* ti = table + (i + L - 1);  // ti[-j]: delta(i, j) - c0
        for (int j = 0; j < L; j++) si[j] += ri[*(ti - j)];
      }
    } else {
      for (int i = 0; i < L; i++) {
        float* si = s + static_cast<size_t>(i) * L;
        const float* ri = r + static_cast<size_t>(i) * wd - c0;
        for (int j = 0; j < L; j++) {
          int d = i - j + a.span;
          d = d < 0 ? 0 : (d > rel - 1 ? rel - 1 : d);
          si[j] += ri[d];
        }
      }
    }
  }
  if (a.pos_query != nullptr) {
    isa.pack_b(a.pos_query + static_cast<size_t>(h) * rel * hs, hs, true, hs, c0, wd, pb);
    small_gemm(isa, k, ldk, L, hs, pb, wd, r, wd, abuf);
    if (table != nullptr) {
      for (int i = 0; i < L; i++) {
        float* si = s + static_cast<size_t>(i) * L;
        const int32_t* ti = table + (i + L - 1);
        for (int j = 0; j < L; j++) si[j] += r[static_cast<size_t>(j) * wd + *(ti - j)];
      }
    } else {
      for (int i = 0; i < L; i++) {
        float* si = s + static_cast<size_t>(i) * L;
        for (int j = 0; j < L; j++) {
          int d = i - j + a.span;
          d = d < 0 ? 0 : (d > rel - 1 ? rel - 1 : d);
          si[j] += r[static_cast<size_t>(j) * wd + d - c0];
        }
      }
    }
  }

  for (int i = 0; i < L; i++) {
    float* si = s + static_cast<size_t>(i) * L;
    if (a.mask3d) {
      const int32_t* m = a.keep + (static_cast<size_t>(b) * L + i) * L;
      for (int j = 0; j < L; j++)
        if (m[j] == 0) si[j] = -FLT_MAX;
    } else {
      const int32_t* m = a.keep + static_cast<size_t>(b) * L;
      if (m[i] == 0) {
        for (int j = 0; j < L; j++) si[j] = -FLT_MAX;
      } else {
        for (int j = 0; j < L; j++)
          if (m[j] == 0) si[j] = -FLT_MAX;
      }
    }
    isa.softmax_row(si, L);
  }

  // context[b, :, h, :] = P . v'
  isa.pack_b(v, hs, false, L, 0, hs, pb);
  small_gemm(isa, s, L, L, L, pb, hs, a.context + static_cast<size_t>(b) * L * H * hs + static_cast<size_t>(h) * hs,
             static_cast<size_t>(H) * hs, abuf);
}

}  // namespace

Status Engine::attention(const AttentionArgs& a) {
  const int L = a.length, hs = a.head_size, nr = isa_->nr;
  if (a.batch == 0 || a.heads == 0 || L == 0 || hs == 0) return OK;
  const bool pos = a.pos_key != nullptr || a.pos_query != nullptr;
  const int rel = 2 * a.span;
  int c0 = 0, wd = 0;
  const int32_t* table = nullptr;
  if (pos && a.rel_index != nullptr) {
    // binding_program.cc checked the table when it decoded the command; this copy is checked again because
    // the JavaScript side still owns the array it came from, and every read below trusts it.
    const size_t n = 2 * static_cast<size_t>(L) - 1;
    if (att_index_cap_ < n) {
      free(att_index_);
      att_index_ = static_cast<int32_t*>(malloc(n * sizeof(int32_t)));
      att_index_cap_ = att_index_ == nullptr ? 0 : n;
      if (att_index_ == nullptr) return ERR_OUT_OF_MEMORY;
    }
    int lo = rel, hi = -1;
    for (size_t m = 0; m < n; m++) {
      const int32_t d = a.rel_index[m];
      if (d < 0 || d >= rel) return ERR_SHAPE;
      att_index_[m] = d;
      lo = d < lo ? d : lo;
      hi = d > hi ? d : hi;
    }
    for (size_t m = 0; m < n; m++) att_index_[m] -= lo;
    c0 = lo;
    wd = hi - lo + 1;
    table = att_index_;
  } else if (pos) {
    const int lo = a.span - L + 1, hi = a.span + L - 1;
    c0 = lo < 0 ? 0 : lo;
    const int c1 = hi > rel - 1 ? rel - 1 : hi;
    wd = c1 - c0 + 1;
  }
  const auto panels = [nr](int n) { return static_cast<size_t>((n + nr - 1) / nr) * nr; };
  size_t pb = panels(L) * hs;
  if (pos && panels(wd) * hs > pb) pb = panels(wd) * hs;
  if (panels(hs) * L > pb) pb = panels(hs) * L;
  AttentionJob job = {&a, isa_, a_scratch_, nullptr, c0, wd, table, 0, 0, 0, 0, 0, 0};
  size_t at = 0;
  job.q_off = at, at += round16(static_cast<size_t>(L) * hs);
  job.k_off = at, at += a.k_bias == nullptr ? 0 : round16(static_cast<size_t>(L) * hs);
  job.v_off = at, at += round16(static_cast<size_t>(L) * hs);
  job.s_off = at, at += a.probs == nullptr ? round16(static_cast<size_t>(L) * L) : 0;
  job.r_off = at, at += round16(static_cast<size_t>(L) * (wd > 0 ? wd : 1));
  job.pb_off = at, at += round16(pb);
  const int n = pool_.threads();
  if (att_scratch_ == nullptr) {
    att_scratch_ = static_cast<float**>(calloc(n, sizeof(float*)));
    if (att_scratch_ == nullptr) return ERR_OUT_OF_MEMORY;
    att_cap_ = 0;
  }
  if (att_cap_ < at) {
    for (int i = 0; i < n; i++) {
      free_floats(att_scratch_[i]);
      att_scratch_[i] = aligned_floats(at);
    }
    att_cap_ = at;
    for (int i = 0; i < n; i++)
      if (att_scratch_[i] == nullptr) {
        att_cap_ = 0;
        return ERR_OUT_OF_MEMORY;
      }
  }
  job.scratch = att_scratch_;
  pool_.run(a.batch * a.heads, attention_task, &job);
  return OK;
}

}  // namespace deberta
