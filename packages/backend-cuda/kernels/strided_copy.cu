// strided copy (transpose, slice, making a broadcast view contiguous): out[i] = x[off_x(i)], i over the
// output shape in row-major order; x's strides say where each output coordinate reads (x already offset).
// Copies bits: copy_strided_32 (float32, int32), copy_strided_16 (float16, bfloat16).
#include "common.cuh"

#define DCU_COPY_STRIDED(B, T)                                                                            \
  extern "C" __global__ void copy_strided_##B(T* out, const T* x, long long n, int rank, Dims shape,      \
                                              Dims stride) {                                              \
    DCU_FOR_EACH(i, n) out[i] = x[stridedOffset(i, rank, shape, stride)];                                 \
  }
DCU_BIT_TYPES(DCU_COPY_STRIDED)
