// Host stand-in for kernels/common.cuh: lets g++ compile a kernel file (float32 instantiation only) and run
// its blocks on CPU threads, one std::thread per CUDA thread, __syncthreads as a std::barrier, static
// __shared__ arrays shared by the block's threads (blocks run one after another), and warp shuffles through
// shared slots (valid for kernels whose every thread reaches each shuffle, as the attention kernel's do).
// Half storage (float16 as _Float16, bfloat16 as its bits) and mma.sync m16n8k16 (mmaSync: the warp's
// fragments through shared slots, unpacked by PTX's documented layout, multiplied in double) let the
// tensor-core attention kernel run too (every thread of a block must reach each mmaSync, as there).
// Used by attention-emulation.cc and attention-mma-emulation.cc; not part of the package build.
#pragma once
#include <barrier>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

#define __global__
#define __device__
#define __forceinline__ inline
#define __shared__ static
#define __align__(n) __attribute__((aligned(n)))
#define __launch_bounds__(...)

/** Only the float32 instantiation: the maths is the same for every storage type. */
#define DCU_FLOAT_TYPES(X) X(f32, float)

struct Dim3 {
  int x = 0, y = 0, z = 0;
};
inline thread_local Dim3 threadIdx;
inline thread_local Dim3 blockIdx;
inline Dim3 blockDim;
inline Dim3 gridDim;
inline std::barrier<>* emuBarrier = nullptr;
inline float emuSlots[1024];

inline void __syncthreads() { emuBarrier->arrive_and_wait(); }

inline float __shfl_xor_sync(unsigned, float v, int laneMask) {
  const int t = threadIdx.x;
  __syncthreads();
  emuSlots[t] = v;
  __syncthreads();
  const int lane = t & 31;
  const float r = emuSlots[(t - lane) + (lane ^ laneMask)];
  __syncthreads();
  return r;
}

struct alignas(16) float4 {
  float x, y, z, w;
};
inline float4 make_float4(float x, float y, float z, float w) { return {x, y, z, w}; }

inline float toF(float x) { return x; }
template <class T>
inline T fromF(float x);
template <>
inline float fromF<float>(float x) {
  return x;
}

inline float __expf(float x) { return std::exp(x); }

struct alignas(16) uint4 {
  uint32_t x, y, z, w;
};
inline uint4 make_uint4(uint32_t x, uint32_t y, uint32_t z, uint32_t w) { return {x, y, z, w}; }
struct alignas(8) float2 {
  float x, y;
};
inline float2 make_float2(float x, float y) { return {x, y}; }

struct __half {
  _Float16 v;
};
struct __nv_bfloat16 {
  uint16_t bits;
};
inline float toF(__half x) { return static_cast<float>(x.v); }
inline float toF(__nv_bfloat16 x) {
  const uint32_t u = static_cast<uint32_t>(x.bits) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
inline __half halfRn(float x) { return {static_cast<_Float16>(x)}; }
inline __nv_bfloat16 bfloat16Rn(float x) {
  uint32_t u;
  std::memcpy(&u, &x, 4);
  if (x != x) return {static_cast<uint16_t>((u >> 16) | 0x40)};
  u += 0x7fffu + ((u >> 16) & 1u);
  return {static_cast<uint16_t>(u >> 16)};
}
template <>
inline __half fromF<__half>(float x) {
  return halfRn(x != x ? x : std::fmin(std::fmax(x, -65504.0f), 65504.0f));
}
template <>
inline __nv_bfloat16 fromF<__nv_bfloat16>(float x) {
  return bfloat16Rn(x);
}

template <class T>
inline uint32_t packPair(float lo, float hi) {
  T l, h;
  if constexpr (std::is_same_v<T, __half>) {
    l = halfRn(lo);
    h = halfRn(hi);
  } else {
    l = bfloat16Rn(lo);
    h = bfloat16Rn(hi);
  }
  uint16_t a, b;
  std::memcpy(&a, &l, 2);
  std::memcpy(&b, &h, 2);
  return static_cast<uint32_t>(a) | (static_cast<uint32_t>(b) << 16);
}

template <class T>
inline float emuHalfBits(uint32_t bits) {
  const uint16_t b = static_cast<uint16_t>(bits);
  T v;
  std::memcpy(&v, &b, 2);
  return toF(v);
}

inline uint32_t emuMmaSlots[1024][6];

/** mma.sync.aligned.m16n8k16.row.col.f32.{f16,bf16}: lane 4g + t holds a[0] = A[g][2t..2t+1],
 * a[1] = A[g+8][2t..2t+1], a[2] = A[g][2t+8..2t+9], a[3] = A[g+8][2t+8..2t+9], b0 = B[2t..2t+1][g],
 * b1 = B[2t+8..2t+9][g] (low half = lower index), c[0..1] = C[g][2t..2t+1], c[2..3] = C[g+8][2t..2t+1]. */
template <class T>
inline void mmaSync(float c[4], const uint32_t a[4], uint32_t b0, uint32_t b1) {
  const int t = threadIdx.x, lane = t & 31, base = t - lane;
  __syncthreads();
  for (int k = 0; k < 4; k++) emuMmaSlots[t][k] = a[k];
  emuMmaSlots[t][4] = b0;
  emuMmaSlots[t][5] = b1;
  __syncthreads();
  double A[16][16], B[16][8];
  for (int l = 0; l < 32; l++) {
    const int g = l >> 2, q = l & 3;
    const uint32_t* s = emuMmaSlots[base + l];
    const int rows[4] = {g, g + 8, g, g + 8}, cols[4] = {2 * q, 2 * q, 2 * q + 8, 2 * q + 8};
    for (int k = 0; k < 4; k++) {
      A[rows[k]][cols[k]] = emuHalfBits<T>(s[k]);
      A[rows[k]][cols[k] + 1] = emuHalfBits<T>(s[k] >> 16);
    }
    B[2 * q][g] = emuHalfBits<T>(s[4]);
    B[2 * q + 1][g] = emuHalfBits<T>(s[4] >> 16);
    B[2 * q + 8][g] = emuHalfBits<T>(s[5]);
    B[2 * q + 9][g] = emuHalfBits<T>(s[5] >> 16);
  }
  const int g = lane >> 2, q = lane & 3;
  for (int e = 0; e < 4; e++) {
    const int row = g + 8 * (e >> 1), col = 2 * q + (e & 1);
    double acc = c[e];
    for (int k = 0; k < 16; k++) acc += A[row][k] * B[k][col];
    c[e] = static_cast<float>(acc);
  }
  __syncthreads();
}
