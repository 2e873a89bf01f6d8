// where: out[i] = condition[off_c(i)] != 0 ? a[off_a(i)] : b[off_b(i)], broadcasting through strides;
// the condition is float32 or int32 (conditionInt), a and b any 4-byte element type (copied as bits).
#include "common.cuh"

extern "C" __global__ void where_32(unsigned* out, const void* condition, const unsigned* a, const unsigned* b,
                                    long long n, int rank, int conditionInt, Dims shape, Dims strideC,
                                    Dims strideA, Dims strideB) {
  DCU_FOR_EACH(i, n) {
    const long long c = stridedOffset(i, rank, shape, strideC);
    const bool pick = conditionInt ? static_cast<const int*>(condition)[c] != 0
                                   : static_cast<const float*>(condition)[c] != 0.0f;
    out[i] = pick ? a[stridedOffset(i, rank, shape, strideA)] : b[stridedOffset(i, rank, shape, strideB)];
  }
}
