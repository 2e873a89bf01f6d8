// matmul: c[z] = a[z] · b[z] (or · b[z]ᵀ with transB) for a [M, K], b [K, N] ([N, K] transposed), c [M, N],
// z over the broadcast batch shape (a's and b's batch strides, 0 where broadcast). 16 x 16 output tiles
// through shared memory, float32 fused multiply-adds in k order. The fallback GEMM (and `matmul`'s
// batched / broadcast cases); `linear` goes through cuBLASLt where it is loaded.
#include "common.cuh"

#define TILE 16

extern "C" __global__ void matmul_f32(float* c, const float* a, const float* b, int M, int N, int K, int transB,
                                      int batchRank, Dims batchShape, Dims batchStrideA, Dims batchStrideB) {
  __shared__ float as[TILE][TILE + 1];
  __shared__ float bs[TILE][TILE + 1];
  const long long z = blockIdx.z;
  const float* A = a + stridedOffset(z, batchRank, batchShape, batchStrideA);
  const float* B = b + stridedOffset(z, batchRank, batchShape, batchStrideB);
  float* C = c + z * (long long)M * N;
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int row = blockIdx.y * TILE + ty, col = blockIdx.x * TILE + tx;
  float acc = 0.0f;
  for (int k0 = 0; k0 < K; k0 += TILE) {
    as[ty][tx] = (row < M && k0 + tx < K) ? A[(long long)row * K + k0 + tx] : 0.0f;
    const int kb = k0 + ty;
    float bv = 0.0f;
    if (kb < K && col < N) bv = transB ? B[(long long)col * K + kb] : B[(long long)kb * N + col];
    bs[ty][tx] = bv;
    __syncthreads();
    const int kk = K - k0 < TILE ? K - k0 : TILE;
    for (int k = 0; k < kk; k++) acc = fmaf(as[ty][k], bs[k][tx], acc);
    __syncthreads();
  }
  if (row < M && col < N) C[(long long)row * N + col] = acc;
}
