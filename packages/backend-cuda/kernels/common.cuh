// Shared by the kernels (included, not an op): shapes and strides passed by value, strided offsets, the
// grid-stride loop, block reductions, and the float storage types. Every tensor is contiguous; floats are
// stored as the backend's dtype (float32, float16 or bfloat16: one per backend) and computed in float32
// (toF / fromF), integers as int32; offsets and strides count elements.
#pragma once
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <stdint.h>
#define DCU_MAX_RANK 8

/** Every float storage type, as X(suffix, type): each float kernel is instantiated once per type. */
#define DCU_FLOAT_TYPES(X) X(f32, float) X(f16, __half) X(bf16, __nv_bfloat16)
/** Element widths of the kernels that copy bits (any dtype of that width), as X(bits, type). */
#define DCU_BIT_TYPES(X) X(32, unsigned) X(16, unsigned short)

__device__ __forceinline__ float toF(float x) { return x; }
__device__ __forceinline__ float toF(__half x) { return __half2float(x); }
__device__ __forceinline__ float toF(__nv_bfloat16 x) { return __bfloat162float(x); }

/** float32 to the storage type, rounded to nearest even; float16 saturates finite and infinite values at
 * ±65504 (so float32's lowest, the mask value, stays finite, as transformers masks with finfo(float16).min;
 * the WebGPU backend's f16 stores do the same), NaN stays NaN. */
template <class T>
__device__ __forceinline__ T fromF(float x);
template <>
__device__ __forceinline__ float fromF<float>(float x) { return x; }
template <>
__device__ __forceinline__ __half fromF<__half>(float x) {
  return __float2half_rn(x != x ? x : fminf(fmaxf(x, -65504.0f), 65504.0f));
}
template <>
__device__ __forceinline__ __nv_bfloat16 fromF<__nv_bfloat16>(float x) { return __float2bfloat16_rn(x); }

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

/** C += A·B on tensor cores for one warp: mma.sync m16n8k16, row.col, 16-bit T operands (float16 or
 * bfloat16), float32 accumulators. a[4] (A, 16 x 16) and b0, b1 (B, 16 x 8) hold two T each, c[4] four
 * floats of C (16 x 8), per lane in PTX's fragment layout (spelled out in disentangled_attention_mma.cu). */
template <class T>
__device__ __forceinline__ void mmaSync(float c[4], const uint32_t a[4], uint32_t b0, uint32_t b1);
template <>
__device__ __forceinline__ void mmaSync<__half>(float c[4], const uint32_t a[4], uint32_t b0, uint32_t b1) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
      "{%0, %1, %2, %3};\n"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}
template <>
__device__ __forceinline__ void mmaSync<__nv_bfloat16>(float c[4], const uint32_t a[4], uint32_t b0,
                                                       uint32_t b1) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
      "{%0, %1, %2, %3};\n"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

/** Two floats as one .b32 mma operand register of T: lo (rounded to nearest even) in the low 16 bits. */
template <class T>
__device__ __forceinline__ uint32_t packPair(float lo, float hi);
template <>
__device__ __forceinline__ uint32_t packPair<__half>(float lo, float hi) {
  const __half2 v = __floats2half2_rn(lo, hi);
  return *reinterpret_cast<const uint32_t*>(&v);
}
template <>
__device__ __forceinline__ uint32_t packPair<__nv_bfloat16>(float lo, float hi) {
  const __nv_bfloat162 v = __floats2bfloat162_rn(lo, hi);
  return *reinterpret_cast<const uint32_t*>(&v);
}
