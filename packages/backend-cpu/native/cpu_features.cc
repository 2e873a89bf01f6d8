// Picks the instruction-set path: cpuid through GCC's __builtin_cpu_supports (which also checks that the OS
// saves the AVX / AVX-512 register state). Compiled with baseline flags.
#include <string.h>

#include "engine.h"

namespace deberta {

const IsaKernels* isa_by_name(const char* name) {
  if (strcmp(name, "avx512") == 0) return isa_avx512();
  if (strcmp(name, "avx2") == 0) return isa_avx2();
  if (strcmp(name, "portable") == 0) return isa_portable();
  return nullptr;
}

bool isa_runs_here(const IsaKernels* isa) {
  if (isa == nullptr) return false;
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (isa == isa_avx512()) return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma");
  if (isa == isa_avx2()) return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
  return isa == isa_portable();
}

const IsaKernels* best_isa() {
  if (isa_runs_here(isa_avx512())) return isa_avx512();
  if (isa_runs_here(isa_avx2())) return isa_avx2();
  return isa_portable();
}

}  // namespace deberta
