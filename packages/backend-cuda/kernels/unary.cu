// unary: out[i] = f(x[i]) for f in neg, exp, log, sqrt, rsqrt, abs, erf, tanh, relu, sigmoid (op 0..9),
// in float32 with the correctly rounded libdevice functions (no fast math; rsqrt as 1 / sqrt).
#include "common.cuh"

extern "C" __global__ void unary_f32(float* out, const float* x, long long n, int op) {
  DCU_FOR_EACH(i, n) {
    const float v = x[i];
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
    out[i] = r;
  }
}
