// strided copy (transpose, slice, making a broadcast view contiguous): out[i] = x[off_x(i)], i over the
// output shape in row-major order; x's strides say where each output coordinate reads (x already offset).
#include "common.cuh"

extern "C" __global__ void copy_strided_32(unsigned* out, const unsigned* x, long long n, int rank, Dims shape,
                                           Dims stride) {
  DCU_FOR_EACH(i, n) out[i] = x[stridedOffset(i, rank, shape, stride)];
}
