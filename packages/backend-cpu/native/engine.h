// The GEMM engine: one instruction-set path, one thread pool, scratch buffers; and Linear weights packed
// for it. All dimensions reaching these functions were checked by binding.cc (and before that by the
// TypeScript side).
#pragma once
#include <stddef.h>
#include <stdint.h>

#include <condition_variable>
#include <mutex>

#include "isa.h"
#include "thread_pool.h"

namespace deberta {

// Status codes returned to JavaScript (src/native/addon.ts, NATIVE_STATUS).
enum Status {
  OK = 0,
  ERR_ARGUMENT = 1,         // a value of the wrong type
  ERR_SHAPE = 2,            // a dimension, offset or length that does not fit the arrays given
  ERR_OUT_OF_MEMORY = 3,    // an allocation failed
  ERR_ISA_UNSUPPORTED = 4,  // the instruction-set path asked for is not compiled in or not run by this CPU
  ERR_DISPOSED = 5,         // an engine or packed weight used after its dispose / with another engine's ISA
};

struct PackedB {
  float* data = nullptr;  // ceil(n / nr) panels of k x nr floats, 64-byte aligned
  int n = 0;
  int k = 0;
  const IsaKernels* isa = nullptr;
  size_t bytes = 0;
};

class Engine {
 public:
  Engine(const IsaKernels* isa, int threads);
  ~Engine();
  bool ok() const { return ok_; }
  const IsaKernels* isa() const { return isa_; }
  int threads() const { return pool_.threads(); }

  // W [n, k] (row-major, PyTorch's Linear layout) packed as B = W^T (k x n) panels. ERR_OUT_OF_MEMORY or OK.
  Status pack_weight(const float* w, int n, int k, PackedB* out);
  // C[m, n] = act(A[m, k] * B + bias) with B packed.
  Status gemm_packed(const float* a, int m, const PackedB& b, float* c, const float* bias, int act);
  // C[m, n] = A[m, k] * B with B as [k, n] or, transposed, [n, k]: B is packed into scratch first.
  Status gemm(const float* a, const float* b, bool transposed, float* c, int m, int n, int k);

  // Fused DeBERTa disentangled attention (attention.cc); arguments checked by binding.cc.
  Status attention(const struct AttentionArgs& args);
  // out = layerNorm(x (+ residual)) row by row (layer_norm.cc); residual may be null.
  Status layer_norm(const float* x, const float* residual, const float* gamma, const float* beta, float* out,
                    int rows, int n, float eps);
  // x[0..count) = act(x) in place, act an Activation code (activation.cc).
  Status activate(float* x, size_t count, int act);
  // c[rows, n] = act(c + bias) in place, bias [n] or null (activation.cc).
  Status bias_activate(float* c, int rows, int n, const float* bias, int act);
  // out[i, :] = table[idx[i], :]; ERR_SHAPE (nothing written) when an index is outside [0, rows) (gather.cc).
  Status gather(const float* table, int64_t rows, int64_t width, const int32_t* idx, int64_t count, float* out);
  // out = a op b over a broadcast shape (binary.cc); op a BinaryOp code.
  Status binary(int op, const float* a, const float* b, float* out, const struct Strided& shape);
  // out = x read through strides (transpose, slice, reshape), 4-byte elements (strided_copy.cc).
  Status strided_copy(const uint32_t* x, uint32_t* out, const struct Strided& shape);
  // out = x * scale + shift, in double like the JavaScript kernel (affine.cc).
  Status affine(const float* x, float* out, size_t count, double scale, double shift);
  // out = softmax over rows of n of where(mask != 0, x, lowest), the mask read through shape's first
  // strides (masked_softmax.cc); mask null: plain softmax. Mask entries are float or int32 (mask_is_int).
  Status masked_softmax(const float* x, const void* mask, bool mask_is_int, float* out, int64_t rows, int n,
                        const struct Strided& mask_shape);

  // Calls that use the pool run one at a time, in the order their tickets were taken (on the JavaScript
  // thread): a program submitted to run asynchronously and a later synchronous call keep their order.
  uint64_t take_ticket();
  void wait_turn(uint64_t ticket);
  void end_turn();

 private:
  Status run(const float* a, int m, int k, const float* pb, int n, float* c, const float* bias, int act);
  Status pack(const float* b, size_t ldb, bool transposed, int k, int n, float* out);
  float* grow(float** buf, size_t* cap, size_t floats);

  const IsaKernels* isa_;
  ThreadPool pool_;
  bool ok_ = true;
  float** a_scratch_ = nullptr;  // one MC x KC packed-A block per participant
  float* b_scratch_ = nullptr;
  size_t b_cap_ = 0;
  float* bias_scratch_ = nullptr;
  size_t bias_cap_ = 0;
  float** att_scratch_ = nullptr;  // per-participant attention scratch (attention.cc)
  size_t att_cap_ = 0;
  int32_t* att_index_ = nullptr;  // the attention's relative index table, checked and shifted (attention.cc)
  size_t att_index_cap_ = 0;
  std::mutex turn_mu_;
  std::condition_variable turn_cv_;
  uint64_t next_ticket_ = 0;
  uint64_t serving_ = 0;
};

// Holds the engine's turn for a synchronous call made from the JavaScript thread.
class Turn {
 public:
  explicit Turn(Engine* e) : e_(e) { e_->wait_turn(e_->take_ticket()); }
  ~Turn() { e_->end_turn(); }
  Turn(const Turn&) = delete;
  Turn& operator=(const Turn&) = delete;

 private:
  Engine* e_;
};

// A broadcast / strided view over an output of `dims` (row-major, contiguous): element strides of up to
// two inputs per dimension (0 repeats). binding_program.cc checks that every offset stays in its array.
constexpr int kMaxRank = 6;
struct Strided {
  int rank;  // 1..kMaxRank
  int64_t dims[kMaxRank];
  int64_t stride[2][kMaxRank];
  int64_t offset[2];
};

// Binary op codes (src/native/program.ts, BINARY_OPS).
enum BinaryOp { BIN_ADD = 0, BIN_SUB = 1, BIN_MUL = 2, BIN_DIV = 3, BIN_MAX = 4, BIN_MIN = 5 };

// Arguments of Engine::attention (see attention.cc for the maths). Every length was checked.
struct AttentionArgs {
  const float* qkv;       // [batch, length, heads * 3 * head_size]: per head q, k, v of head_size each
  const float* q_bias;    // [heads * head_size]
  const float* v_bias;    // [heads * head_size]
  const int32_t* keep;    // [batch, length] or, mask3d, [batch, length, length]; 0: masked
  bool mask3d;
  const float* pos_key;   // [heads, 2 * span, head_size] or null (no c2p)
  const float* pos_query; // [heads, 2 * span, head_size] or null (no p2c)
  float* context;         // [batch, length, heads * head_size]
  float* probs;           // [batch, heads, length, length] or null
  int batch, length, heads, head_size, span;
  float scale;
  const float* k_bias;        // [heads * head_size] or null (v1: no key bias)
  const int32_t* rel_index;   // [2 * length - 1], entries in [0, 2 * span), or null (v1: clamped i - j + span)
};

float* aligned_floats(size_t floats);  // 64-byte aligned, or null
void free_floats(float* p);

const IsaKernels* isa_by_name(const char* name);  // null: unknown name or not compiled in
bool isa_runs_here(const IsaKernels* isa);          // cpuid (and OS state) allow it
const IsaKernels* best_isa();

}  // namespace deberta
