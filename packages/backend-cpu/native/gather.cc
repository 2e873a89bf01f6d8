// Embedding lookup: out[i, :] = table[idx[i], :]. Every index is checked before anything is written (the
// TypeScript side checked them when the op was recorded; the arrays could have changed since).
#include <string.h>

#include "engine.h"

namespace deberta {

Status Engine::gather(const float* table, int64_t rows, int64_t width, const int32_t* idx, int64_t count,
                      float* out) {
  for (int64_t i = 0; i < count; i++)
    if (idx[i] < 0 || idx[i] >= rows) return ERR_SHAPE;
  for (int64_t i = 0; i < count; i++) memcpy(out + i * width, table + idx[i] * width, sizeof(float) * width);
  return OK;
}

}  // namespace deberta
