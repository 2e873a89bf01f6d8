// The portable path, always compiled with the compiler's baseline flags: 16-byte vectors (SSE2 on x86-64,
// NEON on arm64, scalar code elsewhere through GCC's generic vector lowering), 6 x 8 register tile.
#include "isa.h"

#define VBYTES 16
#define MR 6
#define NV 2
#define KC 256
#define MC 96
#define ISA_NAME "portable"
#include "gemm_kernel.inc"
const deberta::IsaKernels* deberta::isa_portable() { return &kKernels; }
