// unary: out[i] = f(x[i]) for f in neg, exp, log, sqrt, rsqrt, abs, erf, tanh, relu, sigmoid (op 0..9),
// computed in float32 with the correctly rounded libdevice functions (no fast math; rsqrt as 1 / sqrt);
// one entry point per float storage type (unary_f32, unary_f16, unary_bf16).
#include "common.cuh"

template <class T>
__device__ __forceinline__ void unaryImpl(T* out, const T* x, long long n, int op) {
  DCU_FOR_EACH(i, n) {
    const float v = toF(x[i]);
    float r;
    switch (op) {
      case 0: r = -v; break;
      case 1: r = expf(v); break;
      case 2: r = logf(v); break;
      case 3: r = sqrtf(v); break;
      case 4: r = 1.0f / sqrtf(v); break;
      case 5: r = fabsf(v); break;
      case 6: r = erff(v); break;
      case 7: r = tanhf(v); break;
      case 8: r = v > 0.0f ? v : 0.0f; break;
      default: r = 1.0f / (1.0f + expf(-v)); break;
    }
    out[i] = fromF<T>(r);
  }
}

#define DCU_UNARY(S, T) \
  extern "C" __global__ void unary_##S(T* out, const T* x, long long n, int op) { unaryImpl<T>(out, x, n, op); }
DCU_FLOAT_TYPES(DCU_UNARY)
