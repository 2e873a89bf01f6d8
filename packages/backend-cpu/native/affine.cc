// out = x * scale + shift elementwise, computed in double and rounded once, as the JavaScript kernel does.
#include "engine.h"

namespace deberta {

Status Engine::affine(const float* x, float* out, size_t count, double scale, double shift) {
  for (size_t i = 0; i < count; i++) out[i] = static_cast<float>(static_cast<double>(x[i]) * scale + shift);
  return OK;
}

}  // namespace deberta
