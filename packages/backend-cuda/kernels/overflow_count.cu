// overflow_count: the tally of values out of range (the op overflowCount). overflow_count_prepare copies the
// previous tally (n counts) and zeroes slot n, in one block; overflow_count_32 / _16 then count the elements
// of x (by width: float32, or float16 / bfloat16) whose magnitude bits (the sign cleared) are at least
// limitBits, each block adding its total to the slot atomically. Bits, not floats: NaN and ±inf order above
// every finite magnitude as integers, and no float comparison (which fast maths may assume finite) is made.
#include "common.cuh"

extern "C" __global__ void overflow_count_prepare(int* out, const int* counts, int n) {
  for (int i = threadIdx.x; i < n; i += blockDim.x) out[i] = counts[i];
  if (threadIdx.x == 0) out[n] = 0;
}

template <class Bits>
__device__ __forceinline__ void overflowCount(int* slot, const Bits* x, long long n, Bits magnitude,
                                              Bits limitBits) {
  __shared__ int total;
  if (threadIdx.x == 0) total = 0;
  __syncthreads();
  int c = 0;
  DCU_FOR_EACH(i, n) c += (x[i] & magnitude) >= limitBits ? 1 : 0;
  if (c != 0) atomicAdd(&total, c);
  __syncthreads();
  if (threadIdx.x == 0 && total != 0) atomicAdd(slot, total);
}

extern "C" __global__ void overflow_count_32(int* slot, const unsigned* x, long long n, unsigned limitBits) {
  overflowCount<unsigned>(slot, x, n, 0x7fffffffu, limitBits);
}

extern "C" __global__ void overflow_count_16(int* slot, const unsigned short* x, long long n, unsigned limitBits) {
  overflowCount<unsigned short>(slot, x, n, static_cast<unsigned short>(0x7fff),
                                static_cast<unsigned short>(limitBits));
}
