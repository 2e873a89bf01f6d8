// cast: int32 -> float (rounded to nearest: cast_i32_f32 / _f16 / _bf16), float -> int32 (truncated toward
// zero, as numpy's astype; saturating at the int32 range, NaN -> 0: cast_f32_i32 / cast_f16_i32 /
// cast_bf16_i32), and between float32 and the half types (cast_f32_f16, cast_f32_bf16: nearest even,
// float16 saturating at ±65504; cast_f16_f32, cast_bf16_f32: exact) for uploads and downloads.
#include "common.cuh"

#define DCU_CAST_INT(S, T)                                                                                \
  extern "C" __global__ void cast_i32_##S(T* out, const int* x, long long n) {                            \
    DCU_FOR_EACH(i, n) out[i] = fromF<T>(static_cast<float>(x[i]));                                       \
  }                                                                                                       \
  extern "C" __global__ void cast_##S##_i32(int* out, const T* x, long long n) {                          \
    DCU_FOR_EACH(i, n) out[i] = __float2int_rz(toF(x[i]));                                                \
  }
DCU_FLOAT_TYPES(DCU_CAST_INT)

#define DCU_CAST_HALF(S, T)                                                                               \
  extern "C" __global__ void cast_f32_##S(T* out, const float* x, long long n) {                          \
    DCU_FOR_EACH(i, n) out[i] = fromF<T>(x[i]);                                                           \
  }                                                                                                       \
  extern "C" __global__ void cast_##S##_f32(float* out, const T* x, long long n) {                        \
    DCU_FOR_EACH(i, n) out[i] = toF(x[i]);                                                                \
  }
DCU_CAST_HALF(f16, __half)
DCU_CAST_HALF(bf16, __nv_bfloat16)
