// Shared by the kernels (included, not an op): shapes and strides passed by value, strided offsets, the
// grid-stride loop and block reductions. Every tensor is contiguous float32 or int32 (4-byte elements);
// offsets and strides count elements.
#pragma once
#define DCU_MAX_RANK 8

struct Dims {
  int d[DCU_MAX_RANK];
};

/** The element offset of flat index i of `shape` in a tensor with `stride` (0 on broadcast axes). */
__device__ __forceinline__ long long stridedOffset(long long i, int rank, const Dims& shape, const Dims& stride) {
  long long offset = 0;
  for (int k = rank - 1; k >= 0; k--) {
    const int size = shape.d[k];
    const long long coordinate = i % size;
    i /= size;
    offset += coordinate * stride.d[k];
  }
  return offset;
}

#define DCU_FOR_EACH(i, n)                                                          \
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < (n); \
       i += (long long)gridDim.x * blockDim.x)

/** Sum over the block (blockDim.x a multiple of 32, at most 1024); every thread gets the result. */
__device__ __forceinline__ float blockSum(float v, float* scratch) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
  __syncthreads();
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  float total = 0.0f;
  for (int w = 0; w < warps; w++) total += scratch[w];
  return total;
}

/** Maximum over the block; every thread gets the result. */
__device__ __forceinline__ float blockMax(float v, float* scratch) {
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
  __syncthreads();
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  float m = scratch[0];
  for (int w = 1; w < warps; w++) m = fmaxf(m, scratch[w]);
  return m;
}
