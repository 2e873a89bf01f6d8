// A program: the ops of one or more forwards, recorded by the TypeScript side (src/native/program.ts) and run
// here in order, in one call (synchronously, or on a libuv worker thread so the JavaScript thread keeps
// running). binding_program.cc decodes and checks every command before any runs: pointers below are into
// arrays whose lengths were checked against every offset the command can touch.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "engine.h"

namespace deberta {

// Opcodes and their argument lists (after the opcode, in the Float64Array code; buffers by index, -1: none).
enum OpCode {
  OP_LINEAR_PACKED = 1,  // packed, x, xOffset, out, outOffset, rows, bias, act
  OP_LINEAR = 2,         // x, w, out, rows, n, k, bias, act          out = act(x * w^T + bias), w [n, k]
  OP_LAYER_NORM = 3,     // x, residual, gamma, beta, out, rows, n, eps
  OP_ATTENTION = 4,      // qkv, qBias, vBias, keep, mask3d, posKey, posQuery, context, probs,
                         // batch, length, heads, headSize, span, scale, kBias, relativeIndex (int32)
  OP_ACTIVATE = 5,       // x, out, count, act                         out = act(x)
  OP_MASKED_SOFTMAX = 6, // x, out, rows, n, mask, rank, dims[6], maskOffset, maskStrides[6]
  OP_GATHER = 7,         // table, rows, width, indices, count, out
  OP_BINARY = 8,         // op, a, b, out, rank, dims[6], aOffset, aStrides[6], bOffset, bStrides[6]
  OP_AFFINE = 9,         // x, out, count, scale, shift
  OP_COPY = 10,          // x, out, rank, dims[6], xOffset, xStrides[6]
};

struct Command {
  int op;
  const PackedB* packed;
  const float* in[6];
  const void* mask;  // OP_MASKED_SOFTMAX: float or int32 entries; OP_ATTENTION: int32 keep flags
  const int32_t* indices;  // OP_GATHER: row indices; OP_ATTENTION: the relative index table or null
  float* out[2];
  int64_t i[8];
  double f[2];
  Strided shape;
};

// Runs commands [0, n) in order on the engine's pool; the first failing one stops the run (*failed = its
// index). The caller holds the engine's turn.
Status run_program(Engine* e, const Command* commands, size_t n, size_t* failed);

}  // namespace deberta
