// matmul: c[z] = a[z] · b[z] (or · b[z]ᵀ with transB) for a [M, K], b [K, N] ([N, K] transposed), c [M, N],
// z over the broadcast batch shape (a's and b's batch strides, 0 where broadcast). 16 x 16 output tiles
// through shared memory (held in float32), float32 fused multiply-adds in k order, one rounding to the
// storage type at the end (matmul_f32 / _f16 / _bf16). The fallback GEMM (and `matmul`'s batched /
// broadcast cases); `linear` goes through cuBLASLt where it is loaded.
#include "common.cuh"

#define TILE 16

template <class T>
__device__ __forceinline__ void matmulImpl(T* c, const T* a, const T* b, int M, int N, int K, int transB,
                                           int batchRank, const Dims& batchShape, const Dims& batchStrideA,
                                           const Dims& batchStrideB) {
  __shared__ float as[TILE][TILE + 1];
  __shared__ float bs[TILE][TILE + 1];
  const long long z = blockIdx.z;
  const T* A = a + stridedOffset(z, batchRank, batchShape, batchStrideA);
  const T* B = b + stridedOffset(z, batchRank, batchShape, batchStrideB);
  T* C = c + z * (long long)M * N;
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int row = blockIdx.y * TILE + ty, col = blockIdx.x * TILE + tx;
  float acc = 0.0f;
  for (int k0 = 0; k0 < K; k0 += TILE) {
    as[ty][tx] = (row < M && k0 + tx < K) ? toF(A[(long long)row * K + k0 + tx]) : 0.0f;
    const int kb = k0 + ty;
    float bv = 0.0f;
    if (kb < K && col < N) bv = toF(transB ? B[(long long)col * K + kb] : B[(long long)kb * N + col]);
    bs[ty][tx] = bv;
    __syncthreads();
    const int kk = K - k0 < TILE ? K - k0 : TILE;
    for (int k = 0; k < kk; k++) acc = fmaf(as[ty][k], bs[k][tx], acc);
    __syncthreads();
  }
  if (row < M && col < N) C[(long long)row * N + col] = fromF<T>(acc);
}

#define DCU_MATMUL(S, T)                                                                                  \
  extern "C" __global__ void matmul_##S(T* c, const T* a, const T* b, int M, int N, int K, int transB,     \
                                        int batchRank, Dims batchShape, Dims batchStrideA,                \
                                        Dims batchStrideB) {                                              \
    matmulImpl<T>(c, a, b, M, N, K, transB, batchRank, batchShape, batchStrideA, batchStrideB);           \
  }
DCU_FLOAT_TYPES(DCU_MATMUL)
