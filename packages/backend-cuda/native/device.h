// One device context of the addon: the primary context, one stream, the stream-ordered pool, pinned staging
// for uploads, pinned buffers for downloads, cuBLASLt's handle and workspace. Used on the JavaScript thread
// only, except the event waits of downloads and syncs (worker threads; see binding.cc).
#pragma once
#include <cstddef>
#include <map>
#include <string>
#include <vector>
#include "cuda_api.h"

namespace dcu {

/** Status codes returned to TypeScript besides CUresult values (src/native/addon.ts mirrors them). */
constexpr int STATUS_BLASLT_BASE = 100000;   // + cublasStatus_t
constexpr int STATUS_BLASLT_MISSING = 99001;  // cuBLASLt was not loaded
constexpr int STATUS_NO_ALGORITHM = 99002;   // cuBLASLt found no algorithm for the problem
constexpr int STATUS_CLOSED = 99003;         // the context was closed
constexpr int STATUS_BAD_TYPE = 99004;       // a data or compute type cuBLASLt is not asked for here
constexpr int STATUS_BAD_COMMANDS = 99005;   // a malformed command list (commands.cc)
constexpr int STATUS_NO_GRAPHS = 99006;      // the driver lacks the CUDA graph entry points
constexpr int STATUS_NO_GRAPH = 99007;       // replay of a graph id that holds no graph

struct StagingSlot {
  void* host = nullptr;
  CUevent done = nullptr;
  bool used = false;
};

struct Context {
  CUdevice device = 0;
  CUcontext ctx = nullptr;
  CUstream stream = nullptr;
  CUmemoryPool pool = nullptr;
  bool pools = false;
  bool closed = false;
  int refs = 1;  // the JavaScript object, plus one per download / sync in flight
  static constexpr int kSlots = 4;
  static constexpr size_t kSlotBytes = 8u << 20;
  StagingSlot staging[kSlots];
  int nextSlot = 0;
  std::multimap<size_t, void*> pinnedFree;
  size_t pinnedFreeBytes = 0;
  cublasLtHandle_t lt = nullptr;
  CUdeviceptr ltWorkspace = 0;
  size_t ltWorkspaceBytes = 0;
  std::map<std::string, cublasLtMatmulAlgo_t> algos;
  /** Kernels registered for command lists (commands name them by index). */
  std::vector<CUfunction> functions;
  /** Instantiated graphs of captured command lists, by the id TypeScript's graph cache gave them. */
  std::map<int, CUgraphExec> graphs;
  /** The index of the command a failed submission stopped at. */
  size_t lastFailedCommand = 0;
};

CUresult createContext(int ordinal, Context** out);
/** Waits for the stream, frees everything the context holds; the object itself goes when refs reach 0. */
void closeContext(Context* c);
void releaseContext(Context* c);

CUresult allocDevice(Context* c, size_t bytes, CUdeviceptr* out);
CUresult freeDevice(Context* c, CUdeviceptr ptr);
/** Copies host bytes to the device through the pinned staging slots (asynchronous once staged). */
CUresult uploadBytes(Context* c, CUdeviceptr dst, const void* src, size_t bytes);
/** A pinned host buffer of at least `bytes` (from the free list when one fits). */
CUresult takePinned(Context* c, size_t bytes, void** out, size_t* capacity);
void givePinned(Context* c, void* host, size_t capacity);

/** Creates cuBLASLt's handle and its workspace on first use (before any capture: no allocation inside one). */
int ensureBlasLt(Context* c);

int blasLtMatmul(Context* c, int transa, int transb, long long m, long long n, long long k, CUdeviceptr a,
                 long long lda, long long strideA, CUdeviceptr b, long long ldb, long long strideB,
                 CUdeviceptr d, long long ldd, long long strideD, int batch, CUdeviceptr bias, int dataType,
                 int computeType);

}  // namespace dcu
