// concat (one input per launch): x viewed as [outer, extent, inner] lands in out [outer, total, inner] at
// axis position `offset`: out[o, offset + a, r] = x[o, a, r].
#include "common.cuh"

extern "C" __global__ void concat_32(unsigned* out, const unsigned* x, long long n, int extent, int inner, int total,
                                     int offset) {
  DCU_FOR_EACH(i, n) {
    const long long block = (long long)extent * inner;
    const long long o = i / block, r = i % block;
    out[o * total * inner + (long long)offset * inner + r] = x[i];
  }
}
