// disentangledAttention, tiled (flash-attention style): one block of 256 threads per (query tile of 64 rows,
// head h, batch b); the key axis is walked in tiles of 64 with an online softmax, so no [L, L] buffer exists
// unless the probabilities are asked for.
//   q' = (q_i + q_bias) · scale,  k' = k_j + k_bias,  v' = v_j + v_bias   (qkv [B, L, H·3·hs], per head: q, k,
//        v blocks; k_bias only in DeBERTa-v2, else k' = k)
//   δ(i, j) = clamp(i - j + span, 0, 2·span - 1), or (v2) clamp(relIndex[i - j + L - 1], 0, 2·span - 1): the
//        table (log buckets) is trusted to be in range where it came from the host and clamped for safety
//   s(i, j) = q'_i·k'_j + q'_i·posKey[h, δ] + k'_j·posQuery[h, δ]   (each relative term only when given)
//   s(i, j) = float32 lowest where the mask is 0 (2-D mask: m[b,i]·m[b,j]; 3-D: m[b,i,j])
//   p = softmax_j(s);  context[b, i, h·hs + d] = Σ_j p(i, j) v'_j[d];  probs[b, h, i, j] = p(i, j) when asked.
//
// Scores of a (query tile i0, key tile j0) pair: thread (tx, ty) (16 x 16) owns rows i0 + 4ty + u and keys
// j0 + 4tx + w (u, w < 4). For the pair, i - j spans the contiguous band (i0 - j0) - 63 .. (i0 - j0) + 63,
// so the 127 posKey / posQuery rows δ of that band are staged in shared memory next to the q' and k chunks
// (head dimension in chunks of 16, transposed: [d][row]); band row r = (i - i0) - (j - j0) + 63, and a
// thread's 16 scores touch only 7 band rows, r = 4(ty - tx) + 60 + (u - w + 3). Per d a thread reads 4 q',
// 4 k', 7 posKey and 7 posQuery values and does s += q'·(k' + posKey[r]) + k'·posQuery[r] for its 16 pairs:
// the relative terms cost what c2c costs, with no [L, 2·span] product and no gather from global memory.
// Clamped δ (span < L) just repeats band rows 0 / 2·span - 1. With a relIndex table the band still works,
// since it is indexed by i - j alone: band row r stages row relIndex[i0 - j0 - 63 + r + L - 1] (the table
// index clamped to [0, 2L - 2] for the rows and keys past L, whose scores are never used). Each band row's δ
// is worked out once per tile pair into shared memory (bandRows) and read by the chunks' staging.
// Softmax: a row's 16 key columns of the tile live in the 16 lanes (tx) of one half warp; running max m and
// sum l per row in registers (float32, m starts at float32 lowest, so a fully masked row — every score
// lowest — gets exp(0) = 1 for each key: the uniform row the reference gives); keys j >= L (the last tile's
// padding) score -inf and weigh 0. The tile's weights go to shared memory as Pᵀ [key][row], the context
// accumulators O (rows 4ty + u, head columns tx + 16c, c < 8: head size <= 128) are rescaled by
// exp(m_old - m_new) and take P·V' with V' staged in shared memory in chunks of 64 (or 32) keys.
// With probabilities asked, a first pass over the keys computes m and l only, and a second one recomputes
// the scores and writes p = exp(s - m) / l (coalesced: 64 consecutive keys per row) while accumulating O.
// All maths in float32 whatever the storage type (disentangled_attention_f32 / _f16 / _bf16; a float mask
// has the storage type). Shared memory: 43,520 bytes, static.
#include "common.cuh"

namespace {
constexpr int TQ = 64;                                 // query rows per block
constexpr int TK = 64;                                 // keys per tile
constexpr int DC = 16;                                 // head dimensions per staged chunk
constexpr int THREADS = 256;                           // 16 x 16 threads, 4 x 4 scores each
constexpr int QS = TQ + 4;                             // row stride of the [d][row] chunks and of Pᵀ
constexpr int BAND = TQ + TK - 1;                      // relative positions of a (query, key) tile pair
constexpr int BS = BAND + 1 + 4;                       // row stride of the [d][band] chunks
constexpr int CHUNKS = 2 * DC * QS + 2 * DC * BS;      // floats of the score staging (reused for V')
constexpr int NC = 8;                                  // context columns per thread: head size <= 16·NC
constexpr float LOWEST = -3.402823466e38f;             // float32 lowest: the mask value
}  // namespace

template <class T>
__device__ __forceinline__ void attentionTiled(float* chunks, float* pt, int* bandRows, T* context, T* probs,
                                               const T* qkv, const T* qBias, const T* vBias, const void* mask,
                                               const T* posKey, const T* posQuery, const T* kBias,
                                               const int* relIndex, int L, int H, int hs, int span, float scale,
                                               int mask3d, int maskInt) {
  float* qs = chunks;               // [DC][QS]: q' chunk, rows of the query tile
  float* ks = chunks + DC * QS;     // [DC][QS]: k chunk, rows of the key tile
  float* pks = ks + DC * QS;        // [DC][BS]: posKey rows of the band
  float* pqs = pks + DC * BS;       // [DC][BS]: posQuery rows of the band
  float* vs = chunks;               // [vj][hs]: v' rows of the key tile (after the scores)
  const int tid = threadIdx.x, tx = tid & 15, ty = tid >> 4;
  const int i0 = blockIdx.x * TQ, h = blockIdx.y, b = blockIdx.z;
  const long long width = 3LL * H * hs;
  const T* x = qkv + (long long)b * L * width + (long long)h * 3 * hs;
  const T* qb = qBias + (long long)h * hs;
  const T* vb = vBias + (long long)h * hs;
  const T* kb = kBias != nullptr ? kBias + (long long)h * hs : nullptr;
  const int rel = 2 * span;
  const int vj = hs * TK <= CHUNKS ? TK : TK / 2;  // hs <= 100: 64 keys of v' at a time, else 32
  const long long relBase = (long long)h * rel * hs;
  auto maskAt = [&](long long idx) -> bool {
    return maskInt ? static_cast<const int*>(mask)[idx] != 0 : toF(static_cast<const T*>(mask)[idx]) != 0.0f;
  };
  bool rowKept[4];
#pragma unroll
  for (int u = 0; u < 4; u++) {
    const int i = i0 + 4 * ty + u;
    rowKept[u] = i < L && (mask3d != 0 || maskAt((long long)b * L + i));
  }
  float m[4], l[4], o[4][NC];
#pragma unroll
  for (int u = 0; u < 4; u++) {
    m[u] = LOWEST;
    l[u] = 0.0f;
#pragma unroll
    for (int c = 0; c < NC; c++) o[u][c] = 0.0f;
  }
  const int passes = probs != nullptr ? 2 : 1;
  for (int pass = 0; pass < passes; pass++) {
    const bool statsOnly = passes == 2 && pass == 0;
    const bool normalised = passes == 2 && pass == 1;
    for (int j0 = 0; j0 < L; j0 += TK) {
      // Scores of the tile pair, head dimension in chunks of DC.
      float acc[4][4];
#pragma unroll
      for (int u = 0; u < 4; u++)
#pragma unroll
        for (int w = 0; w < 4; w++) acc[u][w] = 0.0f;
      // δ of each band row, once per tile pair, to shared memory (read by the staging loop below; computed
      // there, the table cost registers the kernel does not have): bandStart + r, or the table at i - j + L - 1
      // of band row r; clamped. The previous tile's readers are past its last chunk barrier.
      {
        const int bandStart = i0 - j0 - (TK - 1) + span;
        for (int r = tid; r < BAND + 1; r += THREADS) {
          int delta = bandStart + r;
          if (relIndex != nullptr) {
            const int t = bandStart - span + L - 1 + r;
            delta = relIndex[t < 0 ? 0 : (t > 2 * L - 2 ? 2 * L - 2 : t)];
          }
          bandRows[r] = delta < 0 ? 0 : (delta > rel - 1 ? rel - 1 : delta);
        }
      }
      for (int dc = 0; dc < hs; dc += DC) {
        __syncthreads();  // the previous chunk, P·V' or tile is done with the staging buffers
        for (int e = tid; e < TQ * DC; e += THREADS) {
          const int r = e / DC, d = e % DC, gd = dc + d, i = i0 + r;
          float v = 0.0f;
          if (i < L && gd < hs) v = (toF(x[(long long)i * width + gd]) + toF(qb[gd])) * scale;
          qs[d * QS + r] = v;
        }
        for (int e = tid; e < TK * DC; e += THREADS) {
          const int r = e / DC, d = e % DC, gd = dc + d, j = j0 + r;
          float v = 0.0f;
          if (j < L && gd < hs) v = toF(x[(long long)j * width + hs + gd]) + (kb != nullptr ? toF(kb[gd]) : 0.0f);
          ks[d * QS + r] = v;
        }
        for (int e = tid; e < (BAND + 1) * DC; e += THREADS) {
          const int r = e / DC, d = e % DC, gd = dc + d;
          const long long at = relBase + (long long)bandRows[r] * hs + gd;
          pks[d * BS + r] = posKey != nullptr && gd < hs ? toF(posKey[at]) : 0.0f;
          pqs[d * BS + r] = posQuery != nullptr && gd < hs ? toF(posQuery[at]) : 0.0f;
        }
        __syncthreads();
        const int rb = 4 * (ty - tx) + TK - 4;
#pragma unroll 4
        for (int d = 0; d < DC; d++) {
          const float4 q4 = *reinterpret_cast<const float4*>(qs + d * QS + 4 * ty);
          const float4 k4 = *reinterpret_cast<const float4*>(ks + d * QS + 4 * tx);
          const float q[4] = {q4.x, q4.y, q4.z, q4.w};
          const float k[4] = {k4.x, k4.y, k4.z, k4.w};
          float pk[7], pq[7];
#pragma unroll
          for (int e = 0; e < 7; e++) {
            pk[e] = pks[d * BS + rb + e];
            pq[e] = pqs[d * BS + rb + e];
          }
#pragma unroll
          for (int u = 0; u < 4; u++)
#pragma unroll
            for (int w = 0; w < 4; w++) {
              acc[u][w] = fmaf(q[u], k[w] + pk[u - w + 3], acc[u][w]);
              acc[u][w] = fmaf(k[w], pq[u - w + 3], acc[u][w]);
            }
        }
      }
      // Mask; keys past L weigh nothing.
#pragma unroll
      for (int w = 0; w < 4; w++) {
        const int j = j0 + 4 * tx + w;
        const bool colKept = j < L && (mask3d != 0 || maskAt((long long)b * L + j));
#pragma unroll
        for (int u = 0; u < 4; u++) {
          const int i = i0 + 4 * ty + u;
          bool kept;
          if (mask3d != 0) kept = i < L && j < L && maskAt(((long long)b * L + i) * L + j);
          else kept = rowKept[u] && colKept;
          acc[u][w] = j < L ? (kept ? acc[u][w] : LOWEST) : -INFINITY;
        }
      }
      // Online softmax over the tile: a row's 64 keys are in the 16 lanes tx of a half warp.
      float alpha[4];
#pragma unroll
      for (int u = 0; u < 4; u++) {
        if (normalised) {
          alpha[u] = 1.0f;
#pragma unroll
          for (int w = 0; w < 4; w++) acc[u][w] = expf(acc[u][w] - m[u]) / l[u];
        } else {
          float tileMax = fmaxf(fmaxf(acc[u][0], acc[u][1]), fmaxf(acc[u][2], acc[u][3]));
#pragma unroll
          for (int o2 = 8; o2 > 0; o2 >>= 1) tileMax = fmaxf(tileMax, __shfl_xor_sync(0xffffffffu, tileMax, o2));
          const float mNew = fmaxf(m[u], tileMax);
          alpha[u] = expf(m[u] - mNew);
          float sum = 0.0f;
#pragma unroll
          for (int w = 0; w < 4; w++) {
            acc[u][w] = expf(acc[u][w] - mNew);
            sum += acc[u][w];
          }
#pragma unroll
          for (int o2 = 8; o2 > 0; o2 >>= 1) sum += __shfl_xor_sync(0xffffffffu, sum, o2);
          l[u] = l[u] * alpha[u] + sum;
          m[u] = mNew;
        }
      }
      if (statsOnly) continue;
      if (normalised) {
#pragma unroll
        for (int u = 0; u < 4; u++) {
          const int i = i0 + 4 * ty + u;
          if (i >= L) continue;
          T* row = probs + (((long long)b * H + h) * L + i) * L;
#pragma unroll
          for (int w = 0; w < 4; w++) {
            const int j = j0 + 4 * tx + w;
            if (j < L) row[j] = fromF<T>(acc[u][w]);
          }
        }
      }
      // Pᵀ to shared memory (every thread passed this tile's last chunk barrier after the previous P·V').
#pragma unroll
      for (int w = 0; w < 4; w++)
        *reinterpret_cast<float4*>(pt + (4 * tx + w) * QS + 4 * ty) =
            make_float4(acc[0][w], acc[1][w], acc[2][w], acc[3][w]);
#pragma unroll
      for (int u = 0; u < 4; u++)
#pragma unroll
        for (int c = 0; c < NC; c++) o[u][c] *= alpha[u];
      // O += P · V', V' staged vj keys at a time.
      for (int jv = 0; jv < TK && j0 + jv < L; jv += vj) {
        __syncthreads();  // Pᵀ written; the staging buffers are free
        for (int e = tid; e < vj * hs; e += THREADS) {
          const int r = e / hs, d = e % hs, j = j0 + jv + r;
          vs[e] = j < L ? toF(x[(long long)j * width + 2 * hs + d]) + toF(vb[d]) : 0.0f;
        }
        __syncthreads();
        for (int r = 0; r < vj; r++) {
          const float4 p4 = *reinterpret_cast<const float4*>(pt + (jv + r) * QS + 4 * ty);
          const float p[4] = {p4.x, p4.y, p4.z, p4.w};
          const float* v = vs + r * hs;
#pragma unroll
          for (int c = 0; c < NC; c++) {
            const int d = tx + 16 * c;
            if (d < hs) {
              const float vd = v[d];
#pragma unroll
              for (int u = 0; u < 4; u++) o[u][c] = fmaf(p[u], vd, o[u][c]);
            }
          }
        }
      }
    }
  }
#pragma unroll
  for (int u = 0; u < 4; u++) {
    const int i = i0 + 4 * ty + u;
    if (i >= L) continue;
    T* out = context + ((long long)b * L + i) * H * hs + (long long)h * hs;
    const float inv = passes == 2 ? 1.0f : 1.0f / l[u];
#pragma unroll
    for (int c = 0; c < NC; c++) {
      const int d = tx + 16 * c;
      if (d < hs) out[d] = fromF<T>(o[u][c] * inv);
    }
  }
}

// Grid (ceil(L / 64), H, B), 256 threads, head size <= 128 (checked by the caller).
#define DCU_ATTENTION(S, T)                                                                                   \
  extern "C" __global__ void __launch_bounds__(THREADS, 2)                                                    \
      disentangled_attention_##S(T* context, T* probs, const T* qkv, const T* qBias, const T* vBias,          \
                                 const void* mask, const T* posKey, const T* posQuery, const T* kBias,        \
                                 const int* relIndex, int L, int H, int hs, int span, float scale,            \
                                 int mask3d, int maskInt) {                                                   \
    __shared__ __align__(16) float chunks[CHUNKS];                                                            \
    __shared__ __align__(16) float pt[TK * QS];                                                               \
    __shared__ int bandRows[BAND + 1];                                                                        \
    attentionTiled<T>(chunks, pt, bandRows, context, probs, qkv, qBias, vBias, mask, posKey, posQuery, kBias,  \
                      relIndex, L, H, hs, span, scale, mask3d, maskInt);                                      \
  }
DCU_FLOAT_TYPES(DCU_ATTENTION)
