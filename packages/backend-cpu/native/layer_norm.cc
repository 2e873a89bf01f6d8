// Layer normalisation over the last axis, row by row, with the residual sum fused:
//
//   v = x + residual (or x);  mu = mean(v);  var = mean((v - mu)^2)
//   out = (v - mu) / sqrt(var + eps) * gamma + beta
//
// The row maths is this ISA's layer_norm_row (row_kernels.inc: float partial sums of at most 8 vectors,
// accumulated in double). Rows are split into chunks (several per thread, handed out dynamically, so one
// paused thread does not hold the others up) when the tensor is large enough to wake the pool.
#include "engine.h"

namespace deberta {
namespace {

struct LayerNormJob {
  const IsaKernels* isa;
  const float *x, *r, *g, *b;
  float* out;
  int rows, n, chunks;
  float eps;
};

void layer_norm_task(void* ctx, int task, int) {
  const LayerNormJob& j = *static_cast<LayerNormJob*>(ctx);
  const int r0 = static_cast<int>(static_cast<long long>(j.rows) * task / j.chunks);
  const int r1 = static_cast<int>(static_cast<long long>(j.rows) * (task + 1) / j.chunks);
  for (int i = r0; i < r1; i++) {
    const size_t o = static_cast<size_t>(i) * j.n;
    j.isa->layer_norm_row(j.x + o, j.r == nullptr ? nullptr : j.r + o, j.g, j.b, j.out + o, j.n, j.eps);
  }
}

}  // namespace

int row_chunks(int rows, size_t floats, int threads) {
  if (threads <= 1 || floats < (1u << 15) || rows < 2) return rows > 0 ? 1 : 0;
  const int want = threads * 4;
  return rows < want ? rows : want;
}

Status Engine::layer_norm(const float* x, const float* residual, const float* gamma, const float* beta, float* out,
                          int rows, int n, float eps) {
  if (rows == 0 || n == 0) return OK;
  LayerNormJob job = {isa_, x, residual, gamma, beta, out, rows, n, 0, eps};
  job.chunks = row_chunks(rows, static_cast<size_t>(rows) * n, pool_.threads());
  pool_.run(job.chunks, layer_norm_task, &job);
  return OK;
}

}  // namespace deberta
