// where: out[i] = condition[off_c(i)] != 0 ? a[off_a(i)] : b[off_b(i)], broadcasting through strides;
// the condition is a float or int32 (conditionKind 0: 4-byte float, 1: int32, 2: 2-byte float; a float is
// "!= 0" unless ±0, NaN included), a and b any dtype of the kernel's width (copied as bits: where_32,
// where_16).
#include "common.cuh"

__device__ __forceinline__ bool conditionAt(const void* condition, long long c, int kind) {
  if (kind == 1) return static_cast<const int*>(condition)[c] != 0;
  if (kind == 2) return (static_cast<const unsigned short*>(condition)[c] & 0x7fffu) != 0;
  return (static_cast<const unsigned*>(condition)[c] & 0x7fffffffu) != 0;
}

#define DCU_WHERE(B, T)                                                                                   \
  extern "C" __global__ void where_##B(T* out, const void* condition, const T* a, const T* b, long long n,\
                                       int rank, int conditionKind, Dims shape, Dims strideC, Dims strideA, \
                                       Dims strideB) {                                                    \
    DCU_FOR_EACH(i, n) {                                                                                  \
      const bool pick = conditionAt(condition, stridedOffset(i, rank, shape, strideC), conditionKind);    \
      out[i] = pick ? a[stridedOffset(i, rank, shape, strideA)] : b[stridedOffset(i, rank, shape, strideB)]; \
    }                                                                                                     \
  }
DCU_BIT_TYPES(DCU_WHERE)
