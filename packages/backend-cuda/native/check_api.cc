// Compiled by scripts/build-native.mjs only where CUDA's own cuda.h exists (never linked into the addon):
// checks that the values declared in cuda_api.h are cuda.h's.
#include <cuda.h>
#include <library_types.h>
#include "cuda_api.h"

static_assert(dcu::CUDA_ERROR_OUT_OF_MEMORY == CUDA_ERROR_OUT_OF_MEMORY, "OOM");
static_assert(dcu::CUDA_ERROR_NOT_READY == CUDA_ERROR_NOT_READY, "NOT_READY");
static_assert(dcu::CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED == CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED, "");
static_assert(dcu::CUDA_ERROR_STREAM_CAPTURE_INVALIDATED == CUDA_ERROR_STREAM_CAPTURE_INVALIDATED, "");
static_assert(dcu::CU_STREAM_CAPTURE_MODE_THREAD_LOCAL == CU_STREAM_CAPTURE_MODE_THREAD_LOCAL, "");
static_assert(dcu::CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT == CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, "SMs");
static_assert(dcu::CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR == CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, "");
static_assert(dcu::CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR == CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, "");
static_assert(dcu::CU_DEVICE_ATTRIBUTE_MEMORY_POOLS_SUPPORTED == CU_DEVICE_ATTRIBUTE_MEMORY_POOLS_SUPPORTED, "");
static_assert(dcu::CU_MEMPOOL_ATTR_RELEASE_THRESHOLD == CU_MEMPOOL_ATTR_RELEASE_THRESHOLD, "threshold");
static_assert(dcu::CU_JIT_ERROR_LOG_BUFFER == CU_JIT_ERROR_LOG_BUFFER, "");
static_assert(dcu::CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES == CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES, "");
static_assert(dcu::CU_STREAM_NON_BLOCKING == CU_STREAM_NON_BLOCKING, "");
static_assert(dcu::CU_EVENT_DISABLE_TIMING == CU_EVENT_DISABLE_TIMING, "");
static_assert(dcu::MEMHOSTALLOC_PORTABLE == CU_MEMHOSTALLOC_PORTABLE, "");
static_assert(CU_LAUNCH_PARAM_BUFFER_POINTER_AS_INT == 0x01 && CU_LAUNCH_PARAM_BUFFER_SIZE_AS_INT == 0x02, "");
static_assert(sizeof(dcu::CUdeviceptr) == sizeof(CUdeviceptr), "");
static_assert(dcu::CUDA_R_32F == CUDA_R_32F && dcu::CUDA_R_16F == CUDA_R_16F && dcu::CUDA_R_16BF == CUDA_R_16BF, "");
// The exported names resolved with dlsym must be the ones cuda.h maps the API names to.

// The graph entry points resolved by name (cuda_api.h's DCU_GRAPH_FUNCTIONS) and their signatures.
#define DCU_STR2(x) #x
#define DCU_STR(x) DCU_STR2(x)
constexpr bool sameName(const char* a, const char* b) { return *a == *b && (*a == '\0' || sameName(a + 1, b + 1)); }
static_assert(sameName(DCU_STR(cuStreamBeginCapture), "cuStreamBeginCapture_v2"), "capture symbol");
static_assert(sameName(DCU_STR(cuStreamEndCapture), "cuStreamEndCapture"), "end capture symbol");
static_assert(sameName(DCU_STR(cuGraphInstantiate), "cuGraphInstantiateWithFlags"), "instantiate symbol");
static_assert(sameName(DCU_STR(cuGraphLaunch), "cuGraphLaunch"), "graph launch symbol");
static CUresult (*const checkBegin)(CUstream, CUstreamCaptureMode) = cuStreamBeginCapture;
static CUresult (*const checkEnd)(CUstream, CUgraph*) = cuStreamEndCapture;
static CUresult (*const checkInstantiate)(CUgraphExec*, CUgraph, unsigned long long) = cuGraphInstantiateWithFlags;
static CUresult (*const checkLaunch)(CUgraphExec, CUstream) = cuGraphLaunch;
static CUresult (*const checkExecDestroy)(CUgraphExec) = cuGraphExecDestroy;
static CUresult (*const checkDestroy)(CUgraph) = cuGraphDestroy;
