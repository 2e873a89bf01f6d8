// reduce: x viewed as [outer, extent, inner]; out[o, r] = sum | max | mean (op 0..2) over the middle
// axis, one thread per output, sums accumulated in float64 then rounded once (reduce_f32 / _f16 / _bf16
// by storage type).
#include "common.cuh"

template <class T>
__device__ __forceinline__ void reduceImpl(T* out, const T* x, long long n, int extent, int inner, int op) {
  DCU_FOR_EACH(i, n) {
    const long long o = i / inner, r = i % inner;
    const T* base = x + o * extent * (long long)inner + r;
    if (op == 1) {
      float m = toF(base[0]);
      for (int a = 1; a < extent; a++) m = fmaxf(m, toF(base[(long long)a * inner]));
      out[i] = fromF<T>(m);
    } else {
      double s = 0.0;
      for (int a = 0; a < extent; a++) s += toF(base[(long long)a * inner]);
      out[i] = fromF<T>(static_cast<float>(op == 2 ? s / extent : s));
    }
  }
}

#define DCU_REDUCE(S, T)                                                                                  \
  extern "C" __global__ void reduce_##S(T* out, const T* x, long long n, int extent, int inner, int op) { \
    reduceImpl<T>(out, x, n, extent, inner, op);                                                          \
  }
DCU_FLOAT_TYPES(DCU_REDUCE)
