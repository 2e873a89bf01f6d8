// layerNorm (+ residual): per row of [rows, cols], v = x (+ residual); μ = mean(v); σ² = mean((v - μ)²);
// out = ((v - μ) · 1/√(σ² + ε)) · γ + β. One block per row, two passes over the row, float32 with block
// reductions (the reference's order of operations).
#include "common.cuh"

extern "C" __global__ void layer_norm_f32(float* out, const float* x, const float* residual, const float* gamma,
                                          const float* beta, int cols, float epsilon) {
  __shared__ float scratch[32];
  const long long base = (long long)blockIdx.x * cols;
  float sum = 0.0f;
  for (int c = threadIdx.x; c < cols; c += blockDim.x) {
    float v = x[base + c];
    if (residual != nullptr) v += residual[base + c];
    sum += v;
  }
  const float mean = blockSum(sum, scratch) / cols;
  float sq = 0.0f;
  for (int c = threadIdx.x; c < cols; c += blockDim.x) {
    float v = x[base + c];
    if (residual != nullptr) v += residual[base + c];
    const float d = v - mean;
    sq += d * d;
  }
  const float variance = blockSum(sq, scratch) / cols;
  const float inv = 1.0f / sqrtf(variance + epsilon);
  for (int c = threadIdx.x; c < cols; c += blockDim.x) {
    float v = x[base + c];
    if (residual != nullptr) v += residual[base + c];
    out[base + c] = ((v - mean) * inv) * gamma[c] + beta[c];
  }
}
