// affine: out[i] = x[i] · scale + shift.
#include "common.cuh"

extern "C" __global__ void affine_f32(float* out, const float* x, long long n, float scale, float shift) {
  DCU_FOR_EACH(i, n) out[i] = x[i] * scale + shift;
}
