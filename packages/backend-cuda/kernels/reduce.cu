// reduce: x viewed as [outer, extent, inner]; out[o, r] = sum | max | mean (op 0..2) over the middle
// axis, one thread per output, sums accumulated in float64 then rounded once.
#include "common.cuh"

extern "C" __global__ void reduce_f32(float* out, const float* x, long long n, int extent, int inner, int op) {
  DCU_FOR_EACH(i, n) {
    const long long o = i / inner, r = i % inner;
    const float* base = x + o * extent * (long long)inner + r;
    if (op == 1) {
      float m = base[0];
      for (int a = 1; a < extent; a++) m = fmaxf(m, base[(long long)a * inner]);
      out[i] = m;
    } else {
      double s = 0.0;
      for (int a = 0; a < extent; a++) s += base[(long long)a * inner];
      out[i] = static_cast<float>(op == 2 ? s / extent : s);
    }
  }
}
