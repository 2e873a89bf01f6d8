// The interface between the portable GEMM driver (gemm_driver.cc) and the per-instruction-set kernels
// (isa_avx512.cc, isa_avx2.cc, isa_portable.cc, each compiled with its own target flags). Only plain C types
// cross it: no std:: template is shared between files compiled for different targets, so the linker can
// never pick an AVX-512 copy of an inline function for the portable path.
#pragma once
#include <stddef.h>

namespace deberta {

// Activation codes (src/native/native-gemm.ts, NATIVE_ACTIVATIONS). The GEMM epilogue and the ISA's
// `activate` take codes up to ACT_GELU_TANH; tanh and sigmoid run in activation.cc, in double.
enum Activation { ACT_NONE = 0, ACT_GELU = 1, ACT_RELU = 2, ACT_GELU_TANH = 3, ACT_TANH = 4, ACT_SIGMOID = 5 };
constexpr int ACT_LAST_EPILOGUE = ACT_GELU_TANH;
constexpr int ACT_LAST = ACT_SIGMOID;

// What follows the product on the last K block: C = act(C + bias). `bias` points at the block's first column
// of a copy padded to a multiple of NR (so full-panel loads stay in bounds), or is null.
struct Epilogue {
  const float* bias;
  int activation;
};

struct IsaKernels {
  const char* name;  // "avx512", "avx2", "portable"
  int mr;            // register tile rows
  int nr;            // register tile columns (= packed-B panel width)
  int kc;            // K block
  int mc;            // M block (a multiple of mr)
  // Packs columns [j0, j0 + cols) of B (K x N, row-major with leading dimension ldb; or, transposed, B^T
  // given as N x K with leading dimension ldb) into ceil(cols / nr) panels of k x nr, zero-padded.
  void (*pack_b)(const float* b, size_t ldb, bool transposed, int k, int j0, int cols, float* out);
  // Packs rows [0, rows) x cols [0, kc) of A (leading dimension lda) into ceil(rows / mr) panels of kc x mr.
  void (*pack_a)(const float* a, size_t lda, int rows, int kc, float* out);
  // C[rows, cols] (=|+=) packedA(rows x kc) * packedB(kc x cols), `cols` <= nr * panels; panels of packed B
  // are `panel_stride` floats apart; then the epilogue when `ep` is non-null.
  void (*macro)(const float* pa, int rows, int kc, const float* pb, size_t panel_stride, int cols, float* c,
                size_t ldc, bool accumulate, const Epilogue* ep);
  // Row kernels (row_kernels.inc), vectorised for the same target.
  // x[0..n) = softmax(x) in place; entries more than 87 below the row's maximum become exactly 0.
  void (*softmax_row)(float* x, int n);
  // out[0..n) = (v - mean) / sqrt(var + eps) * gamma + beta, v = x (+ residual when non-null).
  void (*layer_norm_row)(const float* x, const float* residual, const float* gamma, const float* beta,
                         float* out, int n, float eps);
  // x[0..count) = act(x) in place (Activation codes).
  void (*activate)(float* x, size_t count, int act);
};

const IsaKernels* isa_avx512();  // null when not compiled in
const IsaKernels* isa_avx2();    // null when not compiled in
const IsaKernels* isa_portable();

}  // namespace deberta
