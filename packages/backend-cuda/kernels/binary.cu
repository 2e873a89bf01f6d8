// binary: out[i] = a[off_a(i)] ∘ b[off_b(i)] for ∘ in add, sub, mul, div, max, min (op 0..5), numpy
// broadcasting through strides (0 on broadcast axes) over the output shape; floats computed in float32
// (binary_f32 / _f16 / _bf16 by storage type), and int32 when both inputs are integers (binary_i32).
#include "common.cuh"

template <class T>
__device__ __forceinline__ void binaryImpl(T* out, const T* a, const T* b, long long n, int rank, int op,
                                           const Dims& shape, const Dims& strideA, const Dims& strideB) {
  DCU_FOR_EACH(i, n) {
    const float x = toF(a[stridedOffset(i, rank, shape, strideA)]);
    const float y = toF(b[stridedOffset(i, rank, shape, strideB)]);
    float r;
    switch (op) {
      case 0: r = x + y; break;
      case 1: r = x - y; break;
      case 2: r = x * y; break;
      case 3: r = x / y; break;
      case 4: r = fmaxf(x, y); break;
      default: r = fminf(x, y); break;
    }
    out[i] = fromF<T>(r);
  }
}

#define DCU_BINARY(S, T)                                                                                  \
  extern "C" __global__ void binary_##S(T* out, const T* a, const T* b, long long n, int rank, int op,    \
                                        Dims shape, Dims strideA, Dims strideB) {                         \
    binaryImpl<T>(out, a, b, n, rank, op, shape, strideA, strideB);                                       \
  }
DCU_FLOAT_TYPES(DCU_BINARY)

/** The same on int32 (both inputs integers): add, sub, mul, div (truncated; x / 0 = 0), max, min. */
extern "C" __global__ void binary_i32(int* out, const int* a, const int* b, long long n, int rank, int op,
                                      Dims shape, Dims strideA, Dims strideB) {
  DCU_FOR_EACH(i, n) {
    const int x = a[stridedOffset(i, rank, shape, strideA)];
    const int y = b[stridedOffset(i, rank, shape, strideB)];
    int r;
    switch (op) {
      case 0: r = x + y; break;
      case 1: r = x - y; break;
      case 2: r = x * y; break;
      case 3: r = y == 0 ? 0 : x / y; break;
      case 4: r = x > y ? x : y; break;
      default: r = x < y ? x : y; break;
    }
    out[i] = r;
  }
}
