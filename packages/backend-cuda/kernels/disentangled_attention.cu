// disentangledAttention, one block per (query row i, head h, batch b), straightforward (correctness first):
//   q' = (q_i + q_bias) · scale                      (qkv [B, L, H·3·hs], per head: q, k, v blocks)
//   δ  = clamp(i - j + span, 0, 2·span - 1)
//   s_j = q'·k_j + q'·posKey[h, δ] + k_j·posQuery[h, δ]   (each relative term only when given)
//   s_j = float32 lowest where the mask is 0 (2-D mask: m[b,i]·m[b,j]; 3-D: m[b,i,j])
//   p = softmax(s);  context[b, i, h·hs + d] = Σ_j p_j (v_j[d] + v_bias[h·hs + d])
//   probs[b, h, i, j] = p_j, written only when probs is not null.
// Shared memory: the L scores and q' (dynamic, (L + hs) floats). Scores, softmax and context in float32
// whatever the storage type (disentangled_attention_f32 / _f16 / _bf16); a float mask has the storage type.
#include "common.cuh"

template <class T>
__device__ __forceinline__ void attentionImpl(T* context, T* probs, const T* qkv, const T* qBias, const T* vBias,
                                              const void* mask, const T* posKey, const T* posQuery, int L, int H,
                                              int hs, int span, float scale, int mask3d, int maskInt) {
  extern __shared__ float shared[];
  __shared__ float scratch[32];
  float* scores = shared;
  float* q = shared + L;
  const int i = blockIdx.x, h = blockIdx.y, b = blockIdx.z;
  const long long width = 3LL * H * hs;
  const T* row = qkv + ((long long)b * L + i) * width + (long long)h * 3 * hs;
  for (int d = threadIdx.x; d < hs; d += blockDim.x) q[d] = (toF(row[d]) + toF(qBias[h * hs + d])) * scale;
  __syncthreads();
  auto maskAt = [&](long long idx) -> bool {
    return maskInt ? static_cast<const int*>(mask)[idx] != 0 : toF(static_cast<const T*>(mask)[idx]) != 0.0f;
  };
  const bool rowKept = mask3d ? true : maskAt((long long)b * L + i);
  float localMax = -3.402823466e38f;
  for (int j = threadIdx.x; j < L; j += blockDim.x) {
    const T* k = qkv + ((long long)b * L + j) * width + (long long)h * 3 * hs + hs;
    int delta = i - j + span;
    delta = delta < 0 ? 0 : (delta > 2 * span - 1 ? 2 * span - 1 : delta);
    float s = 0.0f;
    for (int d = 0; d < hs; d++) s = fmaf(q[d], toF(k[d]), s);
    if (posKey != nullptr) {
      const T* pk = posKey + ((long long)h * 2 * span + delta) * hs;
      float t = 0.0f;
      for (int d = 0; d < hs; d++) t = fmaf(q[d], toF(pk[d]), t);
      s += t;
    }
    if (posQuery != nullptr) {
      const T* pq = posQuery + ((long long)h * 2 * span + delta) * hs;
      float t = 0.0f;
      for (int d = 0; d < hs; d++) t = fmaf(toF(k[d]), toF(pq[d]), t);
      s += t;
    }
    const bool kept = mask3d ? maskAt(((long long)b * L + i) * L + j) : (rowKept && maskAt((long long)b * L + j));
    s = kept ? s : -3.402823466e38f;
    scores[j] = s;
    localMax = fmaxf(localMax, s);
  }
  const float max = blockMax(localMax, scratch);
  float localSum = 0.0f;
  for (int j = threadIdx.x; j < L; j += blockDim.x) {
    const float e = expf(scores[j] - max);
    scores[j] = e;
    localSum += e;
  }
  const float sum = blockSum(localSum, scratch);
  for (int j = threadIdx.x; j < L; j += blockDim.x) {
    const float p = scores[j] / sum;
    scores[j] = p;
    if (probs != nullptr) probs[(((long long)b * H + h) * L + i) * L + j] = fromF<T>(p);
  }
  __syncthreads();
  T* out = context + ((long long)b * L + i) * H * hs + (long long)h * hs;
  for (int d = threadIdx.x; d < hs; d += blockDim.x) {
    const float bias = toF(vBias[h * hs + d]);
    float c = 0.0f;
    for (int j = 0; j < L; j++) {
      const T* v = qkv + ((long long)b * L + j) * width + (long long)h * 3 * hs + 2 * hs;
      c = fmaf(scores[j], toF(v[d]) + bias, c);
    }
    out[d] = fromF<T>(c);
  }
}

#define DCU_ATTENTION(S, T)                                                                               \
  extern "C" __global__ void disentangled_attention_##S(T* context, T* probs, const T* qkv, const T* qBias, \
                                                        const T* vBias, const void* mask, const T* posKey, \
                                                        const T* posQuery, int L, int H, int hs, int span,  \
                                                        float scale, int mask3d, int maskInt) {             \
    attentionImpl<T>(context, probs, qkv, qBias, vBias, mask, posKey, posQuery, L, H, hs, span, scale, mask3d, \
                     maskInt);                                                                              \
  }
DCU_FLOAT_TYPES(DCU_ATTENTION)
