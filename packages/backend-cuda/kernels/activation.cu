// activation (+ bias): out[i] = f(x[i] + bias[i mod cols]) (bias optional: null), for f in transformers'
// ACT2FN names: 0 gelu = x·½(1 + erf(x/√2)); 1 gelu_new / gelu_pytorch_tanh = ½x(1 + tanh(√(2/π)(x +
// 0.044715x³))); 2 relu; 3 tanh; 4 sigmoid; 5 linear (identity). Also the epilogue of `linear`. float32
// math; one entry point per float storage type (bias_activation_f32 / _f16 / _bf16).
#include "common.cuh"

template <class T>
__device__ __forceinline__ void biasActivationImpl(T* out, const T* x, const T* bias, long long n, int cols, int fn) {
  DCU_FOR_EACH(i, n) {
    float v = toF(x[i]);
    if (bias != nullptr) v += toF(bias[i % cols]);
    float r;
    switch (fn) {
      case 0: r = v * (0.5f * erff(v * 0.70710678118654752f) + 0.5f); break;
      case 1: {
        const float inner = (v + 0.044715f * (v * v * v)) * 0.79788456080286536f;
        r = v * (0.5f * tanhf(inner) + 0.5f);
        break;
      }
      case 2: r = v > 0.0f ? v : 0.0f; break;
      case 3: r = tanhf(v); break;
      case 4: r = 1.0f / (1.0f + expf(-v)); break;
      default: r = v; break;
    }
    out[i] = fromF<T>(r);
  }
}

#define DCU_BIAS_ACTIVATION(S, T)                                                                         \
  extern "C" __global__ void bias_activation_##S(T* out, const T* x, const T* bias, long long n, int cols, \
                                                 int fn) {                                                \
    biasActivationImpl<T>(out, x, bias, n, cols, fn);                                                     \
  }
DCU_FLOAT_TYPES(DCU_BIAS_ACTIVATION)
