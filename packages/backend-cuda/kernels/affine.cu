// affine: out[i] = x[i] · scale + shift (float32 math; affine_f32 / _f16 / _bf16 by storage type).
#include "common.cuh"

#define DCU_AFFINE(S, T)                                                                                  \
  extern "C" __global__ void affine_##S(T* out, const T* x, long long n, float scale, float shift) {       \
    DCU_FOR_EACH(i, n) out[i] = fromF<T>(toF(x[i]) * scale + shift);                                      \
  }
DCU_FLOAT_TYPES(DCU_AFFINE)
