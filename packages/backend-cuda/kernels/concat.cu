// concat (one input per launch): x viewed as [outer, extent, inner] lands in out [outer, total, inner] at
// axis position `offset`: out[o, offset + a, r] = x[o, a, r]. Copies bits: concat_32 (float32, int32),
// concat_16 (float16, bfloat16).
#include "common.cuh"

#define DCU_CONCAT(B, T)                                                                                  \
  extern "C" __global__ void concat_##B(T* out, const T* x, long long n, int extent, int inner, int total,\
                                        int offset) {                                                     \
    DCU_FOR_EACH(i, n) {                                                                                  \
      const long long block = (long long)extent * inner;                                                  \
      const long long o = i / block, r = i % block;                                                       \
      out[o * total * inner + (long long)offset * inner + r] = x[i];                                      \
    }                                                                                                     \
  }
DCU_BIT_TYPES(DCU_CONCAT)
