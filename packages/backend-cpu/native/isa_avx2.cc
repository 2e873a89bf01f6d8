// The AVX2 + FMA path: 6 x 16 register tile (12 ymm accumulators, 2 ymm of B, 1 broadcast), the classic
// BLIS Haswell shape. Compiled with -mavx2 -mfma; called only when cpuid reports AVX2 and FMA.
#include "isa.h"

#if defined(__x86_64__) && defined(__AVX2__) && defined(__FMA__)
#define VBYTES 32
#define MR 6
#define NV 2
#define KC 256
#define MC 96
#define ISA_NAME "avx2"
#include "gemm_kernel.inc"
const deberta::IsaKernels* deberta::isa_avx2() { return &kKernels; }
#else
const deberta::IsaKernels* deberta::isa_avx2() { return nullptr; }
#endif
