// out = a op b elementwise over a broadcast shape, op in {+, -, *, /, max, min} (BinaryOp). max / min
// return NaN when either side is NaN, as JavaScript's Math.max / Math.min (the JS kernel's semantics).
#include "engine.h"
#include "strided.h"

namespace deberta {
namespace {

struct BinaryJob {
  const Strided* s;
  const float *a, *b;
  float* out;
  int op, chunks;
  int64_t rows;
};

template <int Op>
inline float apply(float x, float y) {
  if (Op == BIN_ADD) return x + y;
  if (Op == BIN_SUB) return x - y;
  if (Op == BIN_MUL) return x * y;
  if (Op == BIN_DIV) return x / y;
  if (x != x || y != y) return x + y;  // NaN
  if (Op == BIN_MAX) return x > y ? x : y;
  return x < y ? x : y;
}

template <int Op>
void rows_of(const BinaryJob& j, int64_t r0, int64_t r1) {
  const Strided& s = *j.s;
  const int64_t w = s.dims[s.rank - 1];
  const int64_t sa = s.stride[0][s.rank - 1], sb = s.stride[1][s.rank - 1];
  for_strided_rows(s, r0, r1, [&](int64_t row, int64_t oa, int64_t ob) {
    float* o = j.out + row * w;
    const float* pa = j.a + oa;
    const float* pb = j.b + ob;
    if (sa == 1 && sb == 1)
      for (int64_t c = 0; c < w; c++) o[c] = apply<Op>(pa[c], pb[c]);
    else if (sa == 1 && sb == 0)
      for (int64_t c = 0; c < w; c++) o[c] = apply<Op>(pa[c], pb[0]);
    else
      for (int64_t c = 0; c < w; c++) o[c] = apply<Op>(pa[c * sa], pb[c * sb]);
  });
}

void binary_task(void* ctx, int task, int) {
  const BinaryJob& j = *static_cast<BinaryJob*>(ctx);
  const int64_t r0 = j.rows * task / j.chunks, r1 = j.rows * (task + 1) / j.chunks;
  switch (j.op) {
    case BIN_ADD: return rows_of<BIN_ADD>(j, r0, r1);
    case BIN_SUB: return rows_of<BIN_SUB>(j, r0, r1);
    case BIN_MUL: return rows_of<BIN_MUL>(j, r0, r1);
    case BIN_DIV: return rows_of<BIN_DIV>(j, r0, r1);
    case BIN_MAX: return rows_of<BIN_MAX>(j, r0, r1);
    default: return rows_of<BIN_MIN>(j, r0, r1);
  }
}

}  // namespace

Status Engine::binary(int op, const float* a, const float* b, float* out, const Strided& s) {
  if (op < BIN_ADD || op > BIN_MIN) return ERR_ARGUMENT;
  const int64_t rows = strided_rows(s);
  if (rows == 0 || s.dims[s.rank - 1] == 0) return OK;
  BinaryJob job = {&s, a, b, out, op, 0, rows};
  job.chunks = strided_chunks(rows, s.dims[s.rank - 1], pool_.threads());
  pool_.run(job.chunks, binary_task, &job);
  return OK;
}

}  // namespace deberta
