// disentangledAttention on tensor cores (float16 / bfloat16 storage; opt-in: backend option attention: "mma").
// Same maths as disentangled_attention.cu (see there), without probabilities (the caller runs the tiled kernel
// when they are asked for), head sizes 32, 64 and 128 (the entry point dispatches; others: the tiled kernel):
//   q' = (q_i + q_bias) · scale,  k' = k_j + k_bias (v2; else k),  v' = v_j + v_bias   (qkv [B, L, H·3·hs])
//   δ(i, j) = clamp(i - j + span, 0, 2·span - 1), or (v2) clamp(relIndex[i - j + L - 1], 0, 2·span - 1)
//   s(i, j) = q'_i·k'_j + q'_i·posKey[h, δ] + k'_j·posQuery[h, δ]   (each relative term only when given)
//   s(i, j) = float32 lowest where the mask is 0 (2-D mask: m[b,i]·m[b,j]; 3-D: m[b,i,j]); keys j >= L: -inf
//   context[b, i, h·hs + d] = Σ_j softmax_j(s)(i, j) v'_j[d]
// q', k' and v' are rounded to the storage type (they are mma operands); every product accumulates in float32,
// softmax in float32 registers, P is rounded to the storage type for P·V'.
//
// Block: 128 threads = 4 warps, one block per (64 query rows, head h, batch b), grid (⌈L / 64⌉, H, B);
// warp w owns query rows i0 + 16w .. i0 + 16w + 15. Keys are walked in tiles of 64 (j0) with an online softmax.
// Per key tile, the head dimension in chunks of DC = min(hs, 64) (staged in shared memory as storage-type
// rows, stride DC + 8 halves): K [64 keys][DC], and the 128 band rows r = 0..127 of posKey and posQuery,
// band row r being δ = clamp(i0 - j0 - 63 + span + r) (r = (i - i0) - (j - j0) + 63 for the pair (i, j);
// row 127 is padding), or with a relIndex table δ = clamp(relIndex[i0 - j0 - 63 + r + L - 1]) (band rows
// depend on i - j alone either way; the table position is clamped to [0, 2L - 2] for padding rows / keys).
// K holds k' (k + k_bias rounded to the storage type when a key bias is given). Each warp accumulates with
// mma.sync m16n8k16 (float32 accumulators):
//   S   [16 rows x 64 keys]       = q'_w · Kᵀ                         (8 n-tiles)
//   C2P [16 rows x 80 band rows]  = q'_w · posKey[band 16w .. 16w+79]ᵀ  (10 n-tiles: rows i of the warp
//        need r = (i - i0) - (j - j0) + 63 ∈ [16w, 16w + 78])
//   P2C [16 keys x 80 band rows]  = K[keys 16w .. 16w+15] · posQuery[band 48-16w .. 127-16w]ᵀ (key j of the
//        warp's 16 needs r ∈ [63 - (j - j0), 126 - (j - j0)] for the 64 rows of the block)
// C2P and P2C go to shared memory as float32 ([64][80] each, over the staging buffers) and every score takes
//   s += C2P[il][il - 16w - jl + 63] + P2C[jl][il - (jl mod 16) + 15]     (il = i - i0, jl = j - j0)
// — the relative terms exact, at 2 x 1.25 the tensor-core work of c2c and no [L, 2·span] product. Then the
// mask, the online softmax (a row's 64 keys are in the 4 lanes of a quad: 16 each), V' [64 keys][hs] staged
// in shared memory, and O [16 rows x hs] += P · V' with P taken straight from the S accumulators (below).
//
// Fragment layouts relied on (PTX ISA, "Matrix fragments for mma.m16n8k16" with .f16 / .bf16 operands and
// .f32 accumulators), lane = 4g + t (g = lane >> 2 ∈ 0..7, t = lane & 3); a .b32 register holds two
// 16-bit elements, the lower-indexed one in the low half:
//   A (16 x 16, row-major, "row"): a[0] = A[g][2t, 2t+1], a[1] = A[g+8][2t, 2t+1], a[2] = A[g][2t+8, 2t+9],
//                                  a[3] = A[g+8][2t+8, 2t+9]
//   B (16 x 8, k x n, "col"):      b[0] = B[2t, 2t+1][g],  b[1] = B[2t+8, 2t+9][g]
//   C / D (16 x 8, float32):       c[0], c[1] = C[g][2t, 2t+1],  c[2], c[3] = C[g+8][2t, 2t+1]
// For S = q'·Kᵀ, B[k = d][n = key] = K[key][d]: b[0] is the two consecutive d of key row g of K in shared
// memory (one 32-bit load); likewise posKey / posQuery rows for C2P / P2C; P2C's A is K's rows (keys) read
// the same way. For O = P·V', the A fragment of keys 16kk .. 16kk+15 is the S accumulators of n-tiles 2kk and
// 2kk+1 packed: a[0] = pack(S[2kk].c0, c1), a[1] = pack(S[2kk].c2, c3), a[2] = pack(S[2kk+1].c0, c1),
// a[3] = pack(S[2kk+1].c2, c3) (C's (row, column) pairs are exactly A's); B[k = key][n = d] = V'[key][d],
// staged row-major (16-byte stores), b[0] packed from two 16-bit loads (keys 2t and 2t + 1, column g).
// Shared-memory row strides of 72 halves (36 words) put the 32 lanes' 32-bit loads (row g, word t) in 32
// distinct banks, and the V' loads (row 2t, half g) in 16 banks, lanes g and g ^ 1 sharing a word.
// Shared memory: 46,592 bytes, static (46,080 + the band rows' δ). Global loads: 16 bytes (8 halves; hs and
// every row offset are multiples of 8, pointers 16-byte aligned: checked by the caller); k_bias and relIndex
// are read one element at a time.
#include "common.cuh"

namespace {
constexpr int MQ = 64;                      // query rows per block (4 warps x 16)
constexpr int MK = 64;                      // keys per tile
constexpr int MTHREADS = 128;
constexpr int MBAND = 128;                  // band rows of a tile pair (127) + 1 padding
constexpr int MCS = 80;                     // float stride of the C2P / P2C tiles
constexpr int MDC = 64;                     // largest head-dimension chunk
constexpr int MVS = 128 + 8;                // largest stride (halves) of the staged V' [key][d]
constexpr float MLOWEST = -3.402823466e38f;  // float32 lowest: the mask value
constexpr int STAGE_BYTES = (MK + 2 * MBAND) * (MDC + 8) * 2;
constexpr int REL_BYTES = 2 * MQ * MCS * 4;
constexpr int V_BYTES = MK * MVS * 2;
constexpr int Q_BYTES = MQ * (128 + 8) * 2;
constexpr int cmax(int a, int b) { return a > b ? a : b; }
constexpr int MMA_SMEM = cmax(cmax(STAGE_BYTES, REL_BYTES), cmax(V_BYTES, Q_BYTES));
static_assert(MMA_SMEM <= 48 * 1024, "static shared memory limit");

/** One .b32 mma operand register (two 16-bit elements) from shared memory. */
__device__ __forceinline__ uint32_t ld32(const void* p) { return *static_cast<const uint32_t*>(p); }

/** One .b32 mma operand register from two 16-bit elements `stride` apart: p[0] low, p[stride] high. */
template <class T>
__device__ __forceinline__ uint32_t ldPair(const T* p, int stride) {
  return static_cast<uint32_t>(*reinterpret_cast<const unsigned short*>(p)) |
         (static_cast<uint32_t>(*reinterpret_cast<const unsigned short*>(p + stride)) << 16);
}
}  // namespace

template <class T, int HS>
__device__ __forceinline__ void attentionMma(unsigned char* smem, int* bandRows, T* context, const T* qkv,
                                             const T* qBias, const T* vBias, const void* mask, const T* posKey,
                                             const T* posQuery, const T* kBias, const int* relIndex, int L,
                                             int H, int span, float scale, int mask3d, int maskInt) {
  constexpr int DC = HS < MDC ? HS : MDC;  // head dimensions per staged chunk
  constexpr int KS = DC + 8;               // stride (halves) of the staged K / band rows
  constexpr int QS = HS + 8;               // stride (halves) of the staged q'
  constexpr int KT = HS / 16;              // k-steps over the head dimension
  constexpr int NO = HS / 8;               // n-tiles of the context
  T* ks = reinterpret_cast<T*>(smem);      // [MK][KS]
  T* pks = ks + MK * KS;                   // [MBAND][KS]: posKey band
  T* pqs = pks + MBAND * KS;               // [MBAND][KS]: posQuery band
  float* c2p = reinterpret_cast<float*>(smem);  // [MQ][MCS]   (after the scores)
  float* p2c = c2p + MQ * MCS;                  // [MK][MCS]
  T* vs = reinterpret_cast<T*>(smem);           // [MK][QS]: V' (after the softmax)
  T* qs = reinterpret_cast<T*>(smem);           // [MQ][QS]: q' (once, at the start)

  const int tid = threadIdx.x, lane = tid & 31, w = tid >> 5, g = lane >> 2, t = lane & 3;
  const int i0 = blockIdx.x * MQ, h = blockIdx.y, b = blockIdx.z;
  const long long width = 3LL * H * HS;
  const T* x = qkv + (long long)b * L * width + (long long)h * 3 * HS;
  const T* qb = qBias + (long long)h * HS;
  const T* vb = vBias + (long long)h * HS;
  const int rel = 2 * span;
  const long long relBase = (long long)h * rel * HS;
  const bool hasC2p = posKey != nullptr, hasP2c = posQuery != nullptr;
  auto maskAt = [&](long long idx) -> bool {
    return maskInt ? static_cast<const int*>(mask)[idx] != 0 : toF(static_cast<const T*>(mask)[idx]) != 0.0f;
  };

  // q' = (q + q_bias) · scale, rounded to T, staged once and kept as A fragments.
  for (int e = tid; e < MQ * HS / 8; e += MTHREADS) {
    const int r = e / (HS / 8), c = 8 * (e % (HS / 8)), i = i0 + r;
    T vals[8];
    if (i < L) {
      const uint4 raw = *reinterpret_cast<const uint4*>(x + (long long)i * width + c);
      const T* in = reinterpret_cast<const T*>(&raw);
#pragma unroll
      for (int q = 0; q < 8; q++) vals[q] = fromF<T>((toF(in[q]) + toF(qb[c + q])) * scale);
    } else {
#pragma unroll
      for (int q = 0; q < 8; q++) vals[q] = fromF<T>(0.0f);
    }
    *reinterpret_cast<uint4*>(qs + r * QS + c) = *reinterpret_cast<const uint4*>(vals);
  }
  __syncthreads();
  uint32_t qf[KT][4];
  {
    const T* r0 = qs + (16 * w + g) * QS + 2 * t;
    const T* r1 = r0 + 8 * QS;
#pragma unroll
    for (int kk = 0; kk < KT; kk++) {
      qf[kk][0] = ld32(r0 + 16 * kk);
      qf[kk][1] = ld32(r1 + 16 * kk);
      qf[kk][2] = ld32(r0 + 16 * kk + 8);
      qf[kk][3] = ld32(r1 + 16 * kk + 8);
    }
  }

  bool rowKept[2];
#pragma unroll
  for (int hlf = 0; hlf < 2; hlf++) {
    const int i = i0 + 16 * w + g + 8 * hlf;
    rowKept[hlf] = i < L && (mask3d != 0 || maskAt((long long)b * L + i));
  }
  float m[2] = {MLOWEST, MLOWEST}, l[2] = {0.0f, 0.0f};
  float o[NO][4];
#pragma unroll
  for (int n = 0; n < NO; n++) o[n][0] = o[n][1] = o[n][2] = o[n][3] = 0.0f;

  for (int j0 = 0; j0 < L; j0 += MK) {
    float s[8][4], cp[10][4], pc[10][4];
#pragma unroll
    for (int n = 0; n < 8; n++) s[n][0] = s[n][1] = s[n][2] = s[n][3] = 0.0f;
#pragma unroll
    for (int n = 0; n < 10; n++) {
      cp[n][0] = cp[n][1] = cp[n][2] = cp[n][3] = 0.0f;
      pc[n][0] = pc[n][1] = pc[n][2] = pc[n][3] = 0.0f;
    }
    // δ of each band row, once per tile, to shared memory (read in the staging loop below, the table costs
    // registers the kernel does not have): bandStart + r, or the table at i - j + L - 1 of band row r; clamped.
    if (hasC2p || hasP2c) {
      const int bandStart = i0 - j0 - (MK - 1) + span;
      for (int r = tid; r < MBAND; r += MTHREADS) {
        int delta = bandStart + r;
        if (relIndex != nullptr) {
          const int p = bandStart - span + L - 1 + r;
          delta = relIndex[p < 0 ? 0 : (p > 2 * L - 2 ? 2 * L - 2 : p)];
        }
        bandRows[r] = delta < 0 ? 0 : (delta > rel - 1 ? rel - 1 : delta);
      }
    }
#pragma unroll
    for (int dc = 0; dc < HS; dc += DC) {
      __syncthreads();  // q' read / the previous tile's P·V' is done with the buffers
      for (int e = tid; e < MK * DC / 8; e += MTHREADS) {
        const int r = e / (DC / 8), c = 8 * (e % (DC / 8)), j = j0 + r;
        uint4 v = make_uint4(0, 0, 0, 0);
        if (j < L) v = *reinterpret_cast<const uint4*>(x + (long long)j * width + HS + dc + c);
        *reinterpret_cast<uint4*>(ks + r * KS + c) = v;
      }
      // k' = k + k_bias in place: each thread adds to the elements it staged (no barrier needed). A loop of its
      // own: folded into the staging loop above, it pushed the kernel past 255 registers (ptxas spilled).
      if (kBias != nullptr) {
#pragma unroll 1
        for (int e = tid; e < MK * DC / 8; e += MTHREADS) {
          const int r = e / (DC / 8), c = 8 * (e % (DC / 8));
          if (j0 + r >= L) continue;
          T* kv = ks + r * KS + c;
          const T* kb = kBias + (long long)h * HS + dc + c;
#pragma unroll
          for (int q = 0; q < 8; q++) kv[q] = fromF<T>(toF(kv[q]) + toF(kb[q]));
        }
      }
      if (hasC2p || hasP2c) {
        for (int e = tid; e < MBAND * DC / 8; e += MTHREADS) {
          const int r = e / (DC / 8), c = 8 * (e % (DC / 8));
          const long long at = relBase + (long long)bandRows[r] * HS + dc + c;
          if (hasC2p) *reinterpret_cast<uint4*>(pks + r * KS + c) = *reinterpret_cast<const uint4*>(posKey + at);
          if (hasP2c)
            *reinterpret_cast<uint4*>(pqs + r * KS + c) = *reinterpret_cast<const uint4*>(posQuery + at);
        }
      }
      __syncthreads();
#pragma unroll
      for (int k = 0; k < DC / 16; k++) {
        const int kk = dc / 16 + k, col = 16 * k + 2 * t;
#pragma unroll
        for (int n = 0; n < 8; n++) {
          const T* kr = ks + (8 * n + g) * KS + col;
          mmaSync<T>(s[n], qf[kk], ld32(kr), ld32(kr + 8));
        }
        if (hasC2p) {
#pragma unroll
          for (int n = 0; n < 10; n++) {
            const T* pr = pks + (16 * w + 8 * n + g) * KS + col;
            mmaSync<T>(cp[n], qf[kk], ld32(pr), ld32(pr + 8));
          }
        }
        if (hasP2c) {
          const T* a0 = ks + (16 * w + g) * KS + col;
          const uint32_t ka[4] = {ld32(a0), ld32(a0 + 8 * KS), ld32(a0 + 8), ld32(a0 + 8 * KS + 8)};
#pragma unroll
          for (int n = 0; n < 10; n++) {
            const T* pr = pqs + (48 - 16 * w + 8 * n + g) * KS + col;
            mmaSync<T>(pc[n], ka, ld32(pr), ld32(pr + 8));
          }
        }
      }
    }
    // The relative terms through shared memory (over the staging buffers), gathered per (i, j).
    if (hasC2p || hasP2c) {
      __syncthreads();
#pragma unroll
      for (int n = 0; n < 10; n++) {
        const int at = (16 * w + g) * MCS + 8 * n + 2 * t;
        if (hasC2p) {
          *reinterpret_cast<float2*>(c2p + at) = make_float2(cp[n][0], cp[n][1]);
          *reinterpret_cast<float2*>(c2p + at + 8 * MCS) = make_float2(cp[n][2], cp[n][3]);
        }
        if (hasP2c) {
          *reinterpret_cast<float2*>(p2c + at) = make_float2(pc[n][0], pc[n][1]);
          *reinterpret_cast<float2*>(p2c + at + 8 * MCS) = make_float2(pc[n][2], pc[n][3]);
        }
      }
      __syncthreads();
#pragma unroll
      for (int n = 0; n < 8; n++)
#pragma unroll
        for (int e = 0; e < 4; e++) {
          const int il = 16 * w + g + 8 * (e >> 1), jl = 8 * n + 2 * t + (e & 1);
          if (hasC2p) s[n][e] += c2p[il * MCS + (il - 16 * w) - jl + 63];
          if (hasP2c) s[n][e] += p2c[jl * MCS + il - (jl & 15) + 15];
        }
    }
    // Mask; keys past L weigh nothing.
#pragma unroll
    for (int n = 0; n < 8; n++)
#pragma unroll
      for (int c = 0; c < 2; c++) {
        const int j = j0 + 8 * n + 2 * t + c;
        const bool colKept = j < L && (mask3d != 0 || maskAt((long long)b * L + j));
#pragma unroll
        for (int hlf = 0; hlf < 2; hlf++) {
          const int i = i0 + 16 * w + g + 8 * hlf;
          bool kept;
          if (mask3d != 0) kept = i < L && j < L && maskAt(((long long)b * L + i) * L + j);
          else kept = rowKept[hlf] && colKept;
          float& v = s[n][2 * hlf + c];
          v = j < L ? (kept ? v : MLOWEST) : -INFINITY;
        }
      }
    // Online softmax: row g's 64 keys of the tile are in the quad's 4 lanes (16 each), likewise row g + 8.
#pragma unroll
    for (int hlf = 0; hlf < 2; hlf++) {
      float mx = MLOWEST;
#pragma unroll
      for (int n = 0; n < 8; n++) mx = fmaxf(mx, fmaxf(s[n][2 * hlf], s[n][2 * hlf + 1]));
      mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 1));
      mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 2));
      const float mNew = fmaxf(m[hlf], mx);
      const float alpha = __expf(m[hlf] - mNew);
      float sum = 0.0f;
#pragma unroll
      for (int n = 0; n < 8; n++)
#pragma unroll
        for (int c = 0; c < 2; c++) {
          float& v = s[n][2 * hlf + c];
          v = __expf(v - mNew);
          sum += v;
        }
      sum += __shfl_xor_sync(0xffffffffu, sum, 1);
      sum += __shfl_xor_sync(0xffffffffu, sum, 2);
      l[hlf] = l[hlf] * alpha + sum;
      m[hlf] = mNew;
#pragma unroll
      for (int n = 0; n < NO; n++) {
        o[n][2 * hlf] *= alpha;
        o[n][2 * hlf + 1] *= alpha;
      }
    }
    // V' [key][d], rounded to T (zero past L: P is 0 there, V' must not be NaN).
    __syncthreads();  // every warp is done with C2P / P2C / the staged chunks
    for (int e = tid; e < MK * HS / 8; e += MTHREADS) {
      const int r = e / (HS / 8), c = 8 * (e % (HS / 8)), j = j0 + r;
      T vals[8];
      if (j < L) {
        const uint4 raw = *reinterpret_cast<const uint4*>(x + (long long)j * width + 2 * HS + c);
        const T* in = reinterpret_cast<const T*>(&raw);
#pragma unroll
        for (int q = 0; q < 8; q++) vals[q] = fromF<T>(toF(in[q]) + toF(vb[c + q]));
      } else {
#pragma unroll
        for (int q = 0; q < 8; q++) vals[q] = fromF<T>(0.0f);
      }
      *reinterpret_cast<uint4*>(vs + r * QS + c) = *reinterpret_cast<const uint4*>(vals);
    }
    __syncthreads();
    // O += P · V'; B[k = key][n = d] = V'[key][d]: b0 = V'[16kk + 2t, + 1][8n + g] (two 16-bit loads).
#pragma unroll
    for (int kk = 0; kk < 4; kk++) {
      const uint32_t pa[4] = {packPair<T>(s[2 * kk][0], s[2 * kk][1]), packPair<T>(s[2 * kk][2], s[2 * kk][3]),
                              packPair<T>(s[2 * kk + 1][0], s[2 * kk + 1][1]),
                              packPair<T>(s[2 * kk + 1][2], s[2 * kk + 1][3])};
#pragma unroll
      for (int n = 0; n < NO; n++) {
        const T* vr = vs + (16 * kk + 2 * t) * QS + 8 * n + g;
        mmaSync<T>(o[n], pa, ldPair(vr, QS), ldPair(vr + 8 * QS, QS));
      }
    }
  }
#pragma unroll
  for (int hlf = 0; hlf < 2; hlf++) {
    const int i = i0 + 16 * w + g + 8 * hlf;
    if (i >= L) continue;
    T* out = context + ((long long)b * L + i) * H * HS + (long long)h * HS + 2 * t;
    const float inv = 1.0f / l[hlf];
#pragma unroll
    for (int n = 0; n < NO; n++) {
      out[8 * n] = fromF<T>(o[n][2 * hlf] * inv);
      out[8 * n + 1] = fromF<T>(o[n][2 * hlf + 1] * inv);
    }
  }
}

// Grid (ceil(L / 64), H, B), 128 threads; hs 32, 64 or 128 (checked by the caller; other values do nothing).
#define DCU_ATTENTION_MMA(S, T)                                                                                 \
  extern "C" __global__ void __launch_bounds__(MTHREADS)                                                        \
      disentangled_attention_mma_##S(T* context, const T* qkv, const T* qBias, const T* vBias,                  \
                                     const void* mask, const T* posKey, const T* posQuery, const T* kBias,      \
                                     const int* relIndex, int L, int H, int hs, int span, float scale,          \
                                     int mask3d, int maskInt) {                                                 \
    __shared__ __align__(16) unsigned char smem[MMA_SMEM];                                                      \
    __shared__ int bandRows[MBAND];                                                                             \
    if (hs == 64)                                                                                               \
      attentionMma<T, 64>(smem, bandRows, context, qkv, qBias, vBias, mask, posKey, posQuery, kBias, relIndex,  \
                          L, H, span, scale, mask3d, maskInt);                                                  \
    else if (hs == 32)                                                                                          \
      attentionMma<T, 32>(smem, bandRows, context, qkv, qBias, vBias, mask, posKey, posQuery, kBias, relIndex,  \
                          L, H, span, scale, mask3d, maskInt);                                                  \
    else if (hs == 128)                                                                                         \
      attentionMma<T, 128>(smem, bandRows, context, qkv, qBias, vBias, mask, posKey, posQuery, kBias, relIndex, \
                           L, H, span, scale, mask3d, maskInt);                                                 \
  }
DCU_ATTENTION_MMA(f16, __half)
DCU_ATTENTION_MMA(bf16, __nv_bfloat16)
