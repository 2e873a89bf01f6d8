// Elementwise activations in place:
//
//   gelu(x)      = x * Phi(x) = x (1 + erf(x / sqrt 2)) / 2     (ACT_GELU, erf form)
//   gelu_tanh(x) = x / 2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))   (ACT_GELU_TANH)
//   relu(x)      = max(x, 0)                                    (ACT_RELU)
//     these three vectorised (vmath.inc, the ISA's `activate`), as in the GEMM epilogue;
//   tanh(x), sigmoid(x) = 1 / (1 + e^-x)                        (ACT_TANH, ACT_SIGMOID)
//     in double and rounded once, as the JavaScript kernel (a pooler's activation: one row per sequence).
//
// Split into chunks of whole vectors (64-float multiples) for the pool when large enough.
#include <math.h>

#include "engine.h"

namespace deberta {
namespace {

void activate_scalar(float* x, size_t count, int act) {
  if (act == ACT_TANH)
    for (size_t i = 0; i < count; i++) x[i] = static_cast<float>(tanh(static_cast<double>(x[i])));
  else
    for (size_t i = 0; i < count; i++) x[i] = static_cast<float>(1.0 / (1.0 + exp(-static_cast<double>(x[i]))));
}

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
  if (j.act > ACT_LAST_EPILOGUE)
    activate_scalar(j.x + a, n, j.act);
  else
    j.isa->activate(j.x + a, n, j.act);
}

}  // namespace

Status Engine::activate(float* x, size_t count, int act) {
  if (act < ACT_NONE || act > ACT_LAST) return ERR_ARGUMENT;
  if (count == 0 || act == ACT_NONE) return OK;
  int chunks = count < (1u << 15) || pool_.threads() <= 1 ? 1 : pool_.threads() * 4;
  size_t per = (count + chunks - 1) / chunks;
  per = (per + 63) & ~static_cast<size_t>(63);
  chunks = static_cast<int>((count + per - 1) / per);
  ActivateJob job = {isa_, x, count, per, act};
  pool_.run(chunks, activate_task, &job);
  return OK;
}

Status Engine::bias_activate(float* c, int rows, int n, const float* bias, int act) {
  if (bias != nullptr)
    for (int r = 0; r < rows; r++) {
      float* row = c + static_cast<size_t>(r) * n;
      for (int j = 0; j < n; j++) row[j] += bias[j];
    }
  return activate(c, static_cast<size_t>(rows) * n, act);
}

}  // namespace deberta
