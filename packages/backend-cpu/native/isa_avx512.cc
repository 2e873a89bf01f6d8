// The AVX-512F path: 14 x 32 register tile (28 zmm accumulators, 2 zmm of B, broadcasts of A folded into
// the FMAs). Compiled with -mavx512f -mavx2 -mfma (scripts/build-native.mjs); called only when cpuid says
// the CPU and OS support AVX-512F.
#include "isa.h"

#if defined(__x86_64__) && defined(__AVX512F__)
#define VBYTES 64
#define MR 14
#define NV 2
#define KC 256
#define MC 112
#define ISA_NAME "avx512"
#include "gemm_kernel.inc"
const deberta::IsaKernels* deberta::isa_avx512() { return &kKernels; }
#else
const deberta::IsaKernels* deberta::isa_avx512() { return nullptr; }
#endif
