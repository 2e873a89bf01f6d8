// cast: int32 -> float32 (rounded to nearest) and float32 -> int32 (truncated toward zero, as numpy's
// astype; saturating at the int32 range, NaN -> 0).
#include "common.cuh"

extern "C" __global__ void cast_i32_f32(float* out, const int* x, long long n) {
  DCU_FOR_EACH(i, n) out[i] = static_cast<float>(x[i]);
}

extern "C" __global__ void cast_f32_i32(int* out, const float* x, long long n) {
  DCU_FOR_EACH(i, n) out[i] = __float2int_rz(x[i]);
}
