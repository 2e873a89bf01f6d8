// Test harness for native/commands.cc without a driver (src/commands-native.test.ts compiles it with g++):
// the driver entry points it calls are fakes that print what they were given, one line per call.
// Usage: harness <commands file> <mode> <graph id> [fail-at-call]
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

#include "commands.h"

namespace dcu {
#define DCU_DEFINE_POINTER(name, symbol, type) Id<type> name = nullptr;
DCU_DRIVER_FUNCTIONS(DCU_DEFINE_POINTER)
DCU_POOL_FUNCTIONS(DCU_DEFINE_POINTER)
DCU_GRAPH_FUNCTIONS(DCU_DEFINE_POINTER)
DCU_BLASLT_FUNCTIONS(DCU_DEFINE_POINTER)
#undef DCU_DEFINE_POINTER

int calls = 0;
int failAt = -1;
int next() { return ++calls == failAt ? 719 : 0; }

bool graphFunctionsLoaded() { return true; }
int ensureBlasLt(Context*) {
  std::printf("ensureBlasLt\n");
  return 0;
}
int blasLtMatmul(Context*, int transa, int transb, long long m, long long n, long long k, CUdeviceptr a,
                 long long lda, long long strideA, CUdeviceptr b, long long ldb, long long strideB,
                 CUdeviceptr d, long long ldd, long long strideD, int batch, CUdeviceptr bias, int dataType,
                 int computeType) {
  std::printf("blaslt %d %d %lld %lld %lld %llu %lld %lld %llu %lld %lld %llu %lld %lld %d %llu %d %d\n", transa,
              transb, m, n, k, a, lda, strideA, b, ldb, strideB, d, ldd, strideD, batch, bias, dataType,
              computeType);
  return next();
}
}  // namespace dcu

using namespace dcu;

int main(int argc, char** argv) {
  if (argc < 4) return 2;
  if (argc > 4) failAt = std::atoi(argv[4]);
  std::ifstream in(argv[1], std::ios::binary);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  cuCtxSetCurrent = [](CUcontext) -> CUresult { return 0; };
  cuLaunchKernel = [](CUfunction f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                      unsigned shared, CUstream, void** kernelParams, void** extra) -> CUresult {
    std::printf("launch %zu %u %u %u %u %u %u %u", reinterpret_cast<size_t>(f), gx, gy, gz, bx, by, bz, shared);
    if (kernelParams != nullptr || extra == nullptr || extra[0] != DCU_LAUNCH_PARAM_BUFFER_POINTER ||
        extra[2] != DCU_LAUNCH_PARAM_BUFFER_SIZE || extra[4] != DCU_LAUNCH_PARAM_END) {
      std::printf(" bad-extra\n");
      return 1;
    }
    size_t size = *static_cast<size_t*>(extra[3]);
    std::printf(" params");
    for (size_t i = 0; i < size; i++) std::printf(" %u", static_cast<uint8_t*>(extra[1])[i]);
    std::printf("\n");
    return next();
  };
  cuMemsetD32Async = [](CUdeviceptr p, unsigned v, size_t n, CUstream) -> CUresult {
    std::printf("memset %llu %u %zu\n", p, v, n);
    return next();
  };
  cuMemcpyDtoDAsync = [](CUdeviceptr d, CUdeviceptr s, size_t n, CUstream) -> CUresult {
    std::printf("copy %llu %llu %zu\n", d, s, n);
    return next();
  };
  cuStreamBeginCapture = [](CUstream, int mode) -> CUresult {
    std::printf("beginCapture %d\n", mode);
    return 0;
  };
  cuStreamEndCapture = [](CUstream, CUgraph* g) -> CUresult {
    std::printf("endCapture\n");
    *g = reinterpret_cast<CUgraph>(0x77);
    return 0;
  };
  cuGraphInstantiateWithFlags = [](CUgraphExec* e, CUgraph, unsigned long long) -> CUresult {
    std::printf("instantiate\n");
    *e = reinterpret_cast<CUgraphExec>(0x88);
    return 0;
  };
  cuGraphDestroy = [](CUgraph) -> CUresult {
    std::printf("graphDestroy\n");
    return 0;
  };
  cuGraphExecDestroy = [](CUgraphExec) -> CUresult {
    std::printf("execDestroy\n");
    return 0;
  };
  cuGraphLaunch = [](CUgraphExec e, CUstream) -> CUresult {
    std::printf("graphLaunch %zu\n", reinterpret_cast<size_t>(e));
    return 0;
  };
  Context c;
  for (size_t i = 0; i < 3; i++) c.functions.push_back(reinterpret_cast<CUfunction>(100 + i));
  int mode = std::atoi(argv[2]);
  int id = std::atoi(argv[3]);
  int status = submitCommands(&c, bytes.data(), bytes.size(), mode, id);
  std::printf("status %d failed %zu graphs %zu\n", status, c.lastFailedCommand, c.graphs.size());
  if (status == 0 && mode == SUBMIT_CAPTURE) {
    // The stored graph replays.
    status = submitCommands(&c, nullptr, 0, SUBMIT_REPLAY, id);
    std::printf("replay %d\n", status);
    destroyGraphs(&c);
  }
  return 0;
}
