// Masked softmax over the last axis (transformers' masked_fill then softmax):
//
//   v[i, j] = mask[i, j] == 0 ? float32 lowest : x[i, j];   out[i, :] = softmax(v[i, :])
//
// The mask broadcasts against x (read through Strided strides, float32 or int32 entries); masked entries come
// out exactly 0 (row_kernels.inc, softmax_row). Rows are split over the pool as in layer_norm.cc.
#include <float.h>
#include <string.h>

#include "engine.h"
#include "strided.h"

namespace deberta {
namespace {

struct MaskedSoftmaxJob {
  const IsaKernels* isa;
  const Strided* s;
  const float* x;
  const void* mask;
  bool mask_is_int;
  float* out;
  int64_t rows;
  int n, chunks;
};

void masked_softmax_task(void* ctx, int task, int) {
  const MaskedSoftmaxJob& j = *static_cast<MaskedSoftmaxJob*>(ctx);
  const int64_t r0 = j.rows * task / j.chunks, r1 = j.rows * (task + 1) / j.chunks;
  if (j.mask == nullptr) {
    for (int64_t r = r0; r < r1; r++) {
      float* o = j.out + r * j.n;
      if (o != j.x + r * j.n) memcpy(o, j.x + r * j.n, sizeof(float) * j.n);
      j.isa->softmax_row(o, j.n);
    }
    return;
  }
  const int64_t step = j.s->stride[0][j.s->rank - 1];
  for_strided_rows(*j.s, r0, r1, [&](int64_t r, int64_t om, int64_t) {
    float* o = j.out + r * j.n;
    const float* x = j.x + r * j.n;
    if (j.mask_is_int) {
      const int32_t* m = static_cast<const int32_t*>(j.mask) + om;
      for (int c = 0; c < j.n; c++) o[c] = m[c * step] == 0 ? -FLT_MAX : x[c];
    } else {
      const float* m = static_cast<const float*>(j.mask) + om;
      for (int c = 0; c < j.n; c++) o[c] = m[c * step] == 0.0f ? -FLT_MAX : x[c];
    }
    j.isa->softmax_row(o, j.n);
  });
}

}  // namespace

Status Engine::masked_softmax(const float* x, const void* mask, bool mask_is_int, float* out, int64_t rows, int n,
                              const Strided& mask_shape) {
  if (rows == 0 || n == 0) return OK;
  MaskedSoftmaxJob job = {isa_, &mask_shape, x, mask, mask_is_int, out, rows, n, 0};
  job.chunks = strided_chunks(rows, n, pool_.threads());
  pool_.run(job.chunks, masked_softmax_task, &job);
  return OK;
}

}  // namespace deberta
