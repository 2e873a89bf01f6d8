// out = x read through strides: transpose (permuted strides), slice (an offset and the source's strides)
// and reshape (identity strides: one copy). Elements are 4 bytes (float32 or int32), copied bit for bit.
#include <string.h>

#include "engine.h"
#include "strided.h"

namespace deberta {
namespace {

struct CopyJob {
  const Strided* s;
  const uint32_t* x;
  uint32_t* out;
  int chunks;
  int64_t rows;
};

void copy_task(void* ctx, int task, int) {
  const CopyJob& j = *static_cast<CopyJob*>(ctx);
  const Strided& s = *j.s;
  const int64_t w = s.dims[s.rank - 1];
  const int64_t step = s.stride[0][s.rank - 1];
  const int64_t r0 = j.rows * task / j.chunks, r1 = j.rows * (task + 1) / j.chunks;
  for_strided_rows(s, r0, r1, [&](int64_t row, int64_t ox, int64_t) {
    uint32_t* o = j.out + row * w;
    const uint32_t* px = j.x + ox;
    if (step == 1)
      memcpy(o, px, sizeof(uint32_t) * w);
    else
      for (int64_t c = 0; c < w; c++) o[c] = px[c * step];
  });
}

}  // namespace

Status Engine::strided_copy(const uint32_t* x, uint32_t* out, const Strided& s) {
  const int64_t rows = strided_rows(s);
  if (rows == 0 || s.dims[s.rank - 1] == 0) return OK;
  CopyJob job = {&s, x, out, 0, rows};
  job.chunks = strided_chunks(rows, s.dims[s.rank - 1], pool_.threads());
  pool_.run(job.chunks, copy_task, &job);
  return OK;
}

}  // namespace deberta
