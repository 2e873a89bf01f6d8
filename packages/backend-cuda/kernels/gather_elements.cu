// gatherElements (numpy take_along_axis): with x [outer, extentX, inner] and indices / out
// [outer, extentOut, inner], out[o, a, r] = x[o, indices[o, a, r], r] (negative indices count from the
// end; checked in TypeScript when uploaded, clamped here). Copies bits: gather_elements_32 / _16.
#include "common.cuh"

#define DCU_GATHER_ELEMENTS(B, T)                                                                         \
  extern "C" __global__ void gather_elements_##B(T* out, const T* x, const int* indices, long long n,     \
                                                 int extentOut, int extentX, int inner) {                 \
    DCU_FOR_EACH(i, n) {                                                                                  \
      const long long o = i / ((long long)extentOut * inner), r = i % inner;                              \
      int j = indices[i];                                                                                 \
      if (j < 0) j += extentX;                                                                            \
      j = j < 0 ? 0 : (j >= extentX ? extentX - 1 : j);                                                   \
      out[i] = x[(o * extentX + j) * inner + r];                                                          \
    }                                                                                                     \
  }
DCU_BIT_TYPES(DCU_GATHER_ELEMENTS)
