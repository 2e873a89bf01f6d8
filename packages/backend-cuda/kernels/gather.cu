// gather: out[t, d] = table[ids[t], d] for table [rows, width] and int32 ids (checked against rows in
// TypeScript before the launch when the ids were uploaded; clamped here so a device-computed id can never
// read outside the table). Copies bits: gather_32 (float32, int32 tables), gather_16 (half tables).
#include "common.cuh"

#define DCU_GATHER(B, T)                                                                                  \
  extern "C" __global__ void gather_##B(T* out, const T* table, const int* ids, long long n, int width,   \
                                        int rows) {                                                       \
    DCU_FOR_EACH(i, n) {                                                                                  \
      const long long t = i / width, d = i % width;                                                       \
      int id = ids[t];                                                                                    \
      id = id < 0 ? 0 : (id >= rows ? rows - 1 : id);                                                     \
      out[i] = table[(long long)id * width + d];                                                          \
    }                                                                                                     \
  }
DCU_BIT_TYPES(DCU_GATHER)
