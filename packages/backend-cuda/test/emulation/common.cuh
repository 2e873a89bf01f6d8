// Host stand-in for kernels/common.cuh: lets g++ compile a kernel file (float32 instantiation only) and run
// its blocks on CPU threads, one std::thread per CUDA thread, __syncthreads as a std::barrier, static
// __shared__ arrays shared by the block's threads (blocks run one after another), and warp shuffles through
// shared slots (valid for kernels whose every thread reaches each shuffle, as the attention kernel's do).
// Used by attention-emulation.cc; not part of the package build.
#pragma once
#include <barrier>
#include <cmath>

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
