// Softmax over the last axis, in place, row by row (masking, when any, was applied by the caller: masked
// entries hold float32 lowest and come out exactly 0):
//
//   x[i, j] = exp(x[i, j] - max_j x[i, :]) / sum_j exp(x[i, j] - max_j x[i, :])
//
// The row maths is this ISA's softmax_row (row_kernels.inc); rows are split as in layer_norm.cc.
#include "engine.h"

namespace deberta {

int row_chunks(int rows, size_t floats, int threads);  // layer_norm.cc

namespace {

struct SoftmaxJob {
  const IsaKernels* isa;
  float* x;
  int rows, n, chunks;
};

void softmax_task(void* ctx, int task, int) {
  const SoftmaxJob& j = *static_cast<SoftmaxJob*>(ctx);
  const int r0 = static_cast<int>(static_cast<long long>(j.rows) * task / j.chunks);
  const int r1 = static_cast<int>(static_cast<long long>(j.rows) * (task + 1) / j.chunks);
  for (int i = r0; i < r1; i++) j.isa->softmax_row(j.x + static_cast<size_t>(i) * j.n, j.n);
}

}  // namespace

Status Engine::softmax_rows(float* x, int rows, int n) {
  if (rows == 0 || n == 0) return OK;
  SoftmaxJob job = {isa_, x, rows, n, 0};
  job.chunks = row_chunks(rows, static_cast<size_t>(rows) * n, pool_.threads());
  pool_.run(job.chunks, softmax_task, &job);
  return OK;
}

}  // namespace deberta
