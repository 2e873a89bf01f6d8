// layerNorm (+ residual): per row of [rows, cols], v = x (+ residual); μ = mean(v); σ² = mean((v - μ)²);
// out = ((v - μ) · 1/√(σ² + ε)) · γ + β. One block per row, two passes over the row, float32 with block
// reductions (the reference's order of operations) whatever the storage type (layer_norm_f32 / _f16 /
// _bf16).
#include "common.cuh"

template <class T>
__device__ __forceinline__ void layerNormImpl(T* out, const T* x, const T* residual, const T* gamma,
                                              const T* beta, int cols, float epsilon) {
  __shared__ float scratch[32];
  const long long base = (long long)blockIdx.x * cols;
  float sum = 0.0f;
  for (int c = threadIdx.x; c < cols; c += blockDim.x) {
    float v = toF(x[base + c]);
    if (residual != nullptr) v += toF(residual[base + c]);
    sum += v;
  }
  const float mean = blockSum(sum, scratch) / cols;
  float sq = 0.0f;
  for (int c = threadIdx.x; c < cols; c += blockDim.x) {
    float v = toF(x[base + c]);
    if (residual != nullptr) v += toF(residual[base + c]);
    const float d = v - mean;
    sq += d * d;
  }
  const float variance = blockSum(sq, scratch) / cols;
  const float inv = 1.0f / sqrtf(variance + epsilon);
  for (int c = threadIdx.x; c < cols; c += blockDim.x) {
    float v = toF(x[base + c]);
    if (residual != nullptr) v += toF(residual[base + c]);
    out[base + c] = fromF<T>(((v - mean) * inv) * toF(gamma[c]) + toF(beta[c]));
  }
}

#define DCU_LAYER_NORM(S, T)                                                                              \
  extern "C" __global__ void layer_norm_##S(T* out, const T* x, const T* residual, const T* gamma,        \
                                            const T* beta, int cols, float epsilon) {                     \
    layerNormImpl<T>(out, x, residual, gamma, beta, cols, epsilon);                                       \
  }
DCU_FLOAT_TYPES(DCU_LAYER_NORM)
