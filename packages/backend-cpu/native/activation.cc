// Elementwise activations in place (the GEMM epilogue's, vmath.inc):
//
//   gelu(x)      = x * Phi(x) = x (1 + erf(x / sqrt 2)) / 2     (ACT_GELU, erf form)
//   gelu_tanh(x) = x / 2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))   (ACT_GELU_TANH)
//   relu(x)      = max(x, 0)                                    (ACT_RELU)
//
// Split into chunks of whole vectors (64-float multiples) for the pool when large enough.
#include "engine.h"

namespace deberta {
namespace {

struct ActivateJob {
  const IsaKernels* isa;
  float* x;
  size_t count, per;
  int act;
};

void activate_task(void* ctx, int task, int) {
  const ActivateJob& j = *static_cast<ActivateJob*>(ctx);
  const size_t a = static_cast<size_t>(task) * j.per;
  if (a >= j.count) return;
  const size_t n = j.count - a < j.per ? j.count - a : j.per;
  j.isa->activate(j.x + a, n, j.act);
}

}  // namespace

Status Engine::activate(float* x, size_t count, int act) {
  if (count == 0 || act == ACT_NONE) return OK;
  int chunks = count < (1u << 15) || pool_.threads() <= 1 ? 1 : pool_.threads() * 4;
  size_t per = (count + chunks - 1) / chunks;
  per = (per + 63) & ~static_cast<size_t>(63);
  chunks = static_cast<int>((count + per - 1) / per);
  ActivateJob job = {isa_, x, count, per, act};
  pool_.run(chunks, activate_task, &job);
  return OK;
}

}  // namespace deberta
