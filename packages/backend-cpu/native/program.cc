// Runs a decoded program (program.h): each command is one Engine call.
#include <string.h>

#include "program.h"

namespace deberta {
namespace {

Status run_one(Engine* e, const Command& c) {
  switch (c.op) {
    case OP_LINEAR_PACKED:
      return e->gemm_packed(c.in[0], static_cast<int>(c.i[0]), *c.packed, c.out[0], c.in[1], static_cast<int>(c.i[1]));
    case OP_LINEAR: {
      const int rows = static_cast<int>(c.i[0]), n = static_cast<int>(c.i[1]), k = static_cast<int>(c.i[2]);
      const Status s = e->gemm(c.in[0], c.in[1], true, c.out[0], rows, n, k);
      if (s != OK) return s;
      if (c.in[2] == nullptr && c.i[3] == ACT_NONE) return OK;
      return e->bias_activate(c.out[0], rows, n, c.in[2], static_cast<int>(c.i[3]));
    }
    case OP_LAYER_NORM:
      return e->layer_norm(c.in[0], c.in[1], c.in[2], c.in[3], c.out[0], static_cast<int>(c.i[0]),
                           static_cast<int>(c.i[1]), static_cast<float>(c.f[0]));
    case OP_ATTENTION: {
      AttentionArgs a = {c.in[0], c.in[1], c.in[2], static_cast<const int32_t*>(c.mask), c.i[0] != 0, c.in[3],
                         c.in[4], c.out[0], c.out[1], static_cast<int>(c.i[1]), static_cast<int>(c.i[2]),
                         static_cast<int>(c.i[3]), static_cast<int>(c.i[4]), static_cast<int>(c.i[5]),
                         static_cast<float>(c.f[0]), c.in[5], c.indices};
      return e->attention(a);
    }
    case OP_ACTIVATE: {
      const size_t count = static_cast<size_t>(c.i[0]);
      if (c.out[0] != c.in[0]) memcpy(c.out[0], c.in[0], sizeof(float) * count);
      return e->activate(c.out[0], count, static_cast<int>(c.i[1]));
    }
    case OP_MASKED_SOFTMAX:
      return e->masked_softmax(c.in[0], c.mask, c.i[2] != 0, c.out[0], c.i[0], static_cast<int>(c.i[1]), c.shape);
    case OP_GATHER:
      return e->gather(c.in[0], c.i[0], c.i[1], c.indices, c.i[2], c.out[0]);
    case OP_BINARY:
      return e->binary(static_cast<int>(c.i[0]), c.in[0], c.in[1], c.out[0], c.shape);
    case OP_AFFINE:
      return e->affine(c.in[0], c.out[0], static_cast<size_t>(c.i[0]), c.f[0], c.f[1]);
    case OP_COPY:
      return e->strided_copy(reinterpret_cast<const uint32_t*>(c.in[0]), reinterpret_cast<uint32_t*>(c.out[0]),
                             c.shape);
    default:
      return ERR_ARGUMENT;
  }
}

}  // namespace

Status run_program(Engine* e, const Command* commands, size_t n, size_t* failed) {
  for (size_t k = 0; k < n; k++) {
    const Status s = run_one(e, commands[k]);
    if (s != OK) {
      *failed = k;
      return s;
    }
  }
  return OK;
}

}  // namespace deberta
