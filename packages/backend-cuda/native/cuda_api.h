// The small subset of the CUDA driver API and of cuBLASLt this addon uses, declared here so that the addon
// builds without any CUDA header (machines without the toolkit build it; it loads the libraries with
// dlopen at run time). Values are those of CUDA 13's cuda.h and cublasLt.h (stable since CUDA 11/12);
// native/check_api.cc static_asserts them against cuda.h where that header exists (scripts/build-native.mjs).
#pragma once
#include <cstddef>
#include <cstdint>

namespace dcu {

typedef int CUresult;
typedef int CUdevice;
typedef struct CUctx_st* CUcontext;
typedef struct CUstream_st* CUstream;
typedef struct CUevent_st* CUevent;
typedef struct CUmod_st* CUmodule;
typedef struct CUfunc_st* CUfunction;
typedef struct CUmemPoolHandle_st* CUmemoryPool;
typedef struct CUgraph_st* CUgraph;
typedef struct CUgraphExec_st* CUgraphExec;
typedef unsigned long long CUdeviceptr;

constexpr CUresult CUDA_SUCCESS = 0;
constexpr CUresult CUDA_ERROR_OUT_OF_MEMORY = 2;
constexpr CUresult CUDA_ERROR_NOT_READY = 600;
constexpr CUresult CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED = 900;
constexpr CUresult CUDA_ERROR_STREAM_CAPTURE_INVALIDATED = 901;
constexpr int CU_STREAM_CAPTURE_MODE_THREAD_LOCAL = 1;  // CUstreamCaptureMode
constexpr int CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT = 16;
constexpr int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75;
constexpr int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76;
constexpr int CU_DEVICE_ATTRIBUTE_MEMORY_POOLS_SUPPORTED = 115;
constexpr int CU_MEMPOOL_ATTR_RELEASE_THRESHOLD = 4;
constexpr int CU_JIT_ERROR_LOG_BUFFER = 5;
constexpr int CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES = 6;
constexpr unsigned CU_STREAM_NON_BLOCKING = 1;
constexpr unsigned CU_EVENT_DISABLE_TIMING = 2;
constexpr unsigned MEMHOSTALLOC_PORTABLE = 1;  // CU_MEMHOSTALLOC_PORTABLE
#define DCU_LAUNCH_PARAM_END ((void*)0x00)
#define DCU_LAUNCH_PARAM_BUFFER_POINTER ((void*)0x01)
#define DCU_LAUNCH_PARAM_BUFFER_SIZE ((void*)0x02)

// Driver entry points, by the exported (versioned) symbol each is resolved from.
#define DCU_DRIVER_FUNCTIONS(X)                                                                           \
  X(cuInit, "cuInit", CUresult (*)(unsigned))                                                              \
  X(cuDriverGetVersion, "cuDriverGetVersion", CUresult (*)(int*))                                          \
  X(cuDeviceGetCount, "cuDeviceGetCount", CUresult (*)(int*))                                              \
  X(cuDeviceGet, "cuDeviceGet", CUresult (*)(CUdevice*, int))                                              \
  X(cuDeviceGetName, "cuDeviceGetName", CUresult (*)(char*, int, CUdevice))                                \
  X(cuDeviceGetAttribute, "cuDeviceGetAttribute", CUresult (*)(int*, int, CUdevice))                       \
  X(cuDeviceTotalMem, "cuDeviceTotalMem_v2", CUresult (*)(size_t*, CUdevice))                             \
  X(cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain", CUresult (*)(CUcontext*, CUdevice))              \
  X(cuDevicePrimaryCtxRelease, "cuDevicePrimaryCtxRelease_v2", CUresult (*)(CUdevice))                    \
  X(cuCtxSetCurrent, "cuCtxSetCurrent", CUresult (*)(CUcontext))                                           \
  X(cuStreamCreate, "cuStreamCreate", CUresult (*)(CUstream*, unsigned))                                   \
  X(cuStreamDestroy, "cuStreamDestroy_v2", CUresult (*)(CUstream))                                         \
  X(cuStreamSynchronize, "cuStreamSynchronize", CUresult (*)(CUstream))                                    \
  X(cuEventCreate, "cuEventCreate", CUresult (*)(CUevent*, unsigned))                                      \
  X(cuEventRecord, "cuEventRecord", CUresult (*)(CUevent, CUstream))                                       \
  X(cuEventSynchronize, "cuEventSynchronize", CUresult (*)(CUevent))                                       \
  X(cuEventDestroy, "cuEventDestroy_v2", CUresult (*)(CUevent))                                            \
  X(cuMemAlloc, "cuMemAlloc_v2", CUresult (*)(CUdeviceptr*, size_t))                                       \
  X(cuMemFree, "cuMemFree_v2", CUresult (*)(CUdeviceptr))                                                  \
  X(cuMemGetInfo, "cuMemGetInfo_v2", CUresult (*)(size_t*, size_t*))                                       \
  X(cuMemHostAlloc, "cuMemHostAlloc", CUresult (*)(void**, size_t, unsigned))                              \
  X(cuMemFreeHost, "cuMemFreeHost", CUresult (*)(void*))                                                   \
  X(cuMemcpyHtoDAsync, "cuMemcpyHtoDAsync_v2", CUresult (*)(CUdeviceptr, const void*, size_t, CUstream))   \
  X(cuMemcpyDtoHAsync, "cuMemcpyDtoHAsync_v2", CUresult (*)(void*, CUdeviceptr, size_t, CUstream))         \
  X(cuMemcpyDtoDAsync, "cuMemcpyDtoDAsync_v2", CUresult (*)(CUdeviceptr, CUdeviceptr, size_t, CUstream))   \
  X(cuMemsetD32Async, "cuMemsetD32Async", CUresult (*)(CUdeviceptr, unsigned, size_t, CUstream))           \
  X(cuModuleLoadDataEx, "cuModuleLoadDataEx", CUresult (*)(CUmodule*, const void*, unsigned, int*, void**)) \
  X(cuModuleUnload, "cuModuleUnload", CUresult (*)(CUmodule))                                              \
  X(cuModuleGetFunction, "cuModuleGetFunction", CUresult (*)(CUfunction*, CUmodule, const char*))          \
  X(cuLaunchKernel, "cuLaunchKernel",                                                                      \
    CUresult (*)(CUfunction, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, CUstream, \
                 void**, void**))                                                                          \
  X(cuGetErrorName, "cuGetErrorName", CUresult (*)(CUresult, const char**))                                \
  X(cuGetErrorString, "cuGetErrorString", CUresult (*)(CUresult, const char**))

// Optional (stream-ordered allocation, CUDA >= 11.2): used when all resolve and the device supports pools.
#define DCU_POOL_FUNCTIONS(X)                                                                             \
  X(cuMemAllocAsync, "cuMemAllocAsync", CUresult (*)(CUdeviceptr*, size_t, CUstream))                      \
  X(cuMemFreeAsync, "cuMemFreeAsync", CUresult (*)(CUdeviceptr, CUstream))                                 \
  X(cuDeviceGetDefaultMemPool, "cuDeviceGetDefaultMemPool", CUresult (*)(CUmemoryPool*, CUdevice))         \
  X(cuMemPoolSetAttribute, "cuMemPoolSetAttribute", CUresult (*)(CUmemoryPool, int, void*))                \
  X(cuMemPoolTrimTo, "cuMemPoolTrimTo", CUresult (*)(CUmemoryPool, size_t))

// Optional (CUDA graphs: capture of a command list, replay): used when all resolve, else lists run directly.
// cuda.h maps cuStreamBeginCapture to cuStreamBeginCapture_v2 and cuGraphInstantiate to
// cuGraphInstantiateWithFlags (CUDA 12 and 13).
#define DCU_GRAPH_FUNCTIONS(X)                                                                            \
  X(cuStreamBeginCapture, "cuStreamBeginCapture_v2", CUresult (*)(CUstream, int))                          \
  X(cuStreamEndCapture, "cuStreamEndCapture", CUresult (*)(CUstream, CUgraph*))                            \
  X(cuGraphInstantiateWithFlags, "cuGraphInstantiateWithFlags",                                            \
    CUresult (*)(CUgraphExec*, CUgraph, unsigned long long))                                               \
  X(cuGraphLaunch, "cuGraphLaunch", CUresult (*)(CUgraphExec, CUstream))                                   \
  X(cuGraphExecDestroy, "cuGraphExecDestroy", CUresult (*)(CUgraphExec))                                  \
  X(cuGraphDestroy, "cuGraphDestroy", CUresult (*)(CUgraph))

// ---- cuBLASLt -------------------------------------------------------------------------------------------
typedef int cublasStatus_t;
typedef struct cublasLtContext* cublasLtHandle_t;
typedef struct cublasLtMatmulDescOpaque_t* cublasLtMatmulDesc_t;
typedef struct cublasLtMatrixLayoutOpaque_t* cublasLtMatrixLayout_t;
typedef struct cublasLtMatmulPreferenceOpaque_t* cublasLtMatmulPreference_t;
struct cublasLtMatmulAlgo_t {
  uint64_t data[8];
};
struct cublasLtMatmulHeuristicResult_t {
  cublasLtMatmulAlgo_t algo;
  size_t workspaceSize;
  cublasStatus_t state;
  float wavesCount;
  int reserved[4];
};
constexpr int CUDA_R_32F = 0;
constexpr int CUDA_R_16F = 2;
constexpr int CUDA_R_16BF = 14;
constexpr int CUBLAS_COMPUTE_32F = 68;  // full float32 accumulation (float32 inputs: no TF32)
constexpr int CUBLAS_COMPUTE_32F_FAST_TF32 = 77;  // float32 with TF32 tensor-core inputs (allowTf32)
constexpr int CUBLAS_OP_N = 0;
constexpr int CUBLAS_OP_T = 1;
constexpr int CUBLASLT_MATMUL_DESC_TRANSA = 3;
constexpr int CUBLASLT_MATMUL_DESC_TRANSB = 4;
constexpr int CUBLASLT_MATMUL_DESC_EPILOGUE = 7;
constexpr int CUBLASLT_MATMUL_DESC_BIAS_POINTER = 8;
constexpr int CUBLASLT_EPILOGUE_DEFAULT = 1;
constexpr int CUBLASLT_EPILOGUE_BIAS = 4;
constexpr int CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT = 5;
constexpr int CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET = 6;
constexpr int CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES = 1;

#define DCU_BLASLT_FUNCTIONS(X)                                                                           \
  X(cublasLtCreate, "cublasLtCreate", cublasStatus_t (*)(cublasLtHandle_t*))                              \
  X(cublasLtDestroy, "cublasLtDestroy", cublasStatus_t (*)(cublasLtHandle_t))                             \
  X(cublasLtGetVersion, "cublasLtGetVersion", size_t (*)())                                               \
  X(cublasLtMatmulDescCreate, "cublasLtMatmulDescCreate",                                                 \
    cublasStatus_t (*)(cublasLtMatmulDesc_t*, int, int))                                                  \
  X(cublasLtMatmulDescDestroy, "cublasLtMatmulDescDestroy", cublasStatus_t (*)(cublasLtMatmulDesc_t))     \
  X(cublasLtMatmulDescSetAttribute, "cublasLtMatmulDescSetAttribute",                                     \
    cublasStatus_t (*)(cublasLtMatmulDesc_t, int, const void*, size_t))                                   \
  X(cublasLtMatrixLayoutCreate, "cublasLtMatrixLayoutCreate",                                             \
    cublasStatus_t (*)(cublasLtMatrixLayout_t*, int, uint64_t, uint64_t, int64_t))                        \
  X(cublasLtMatrixLayoutDestroy, "cublasLtMatrixLayoutDestroy", cublasStatus_t (*)(cublasLtMatrixLayout_t)) \
  X(cublasLtMatrixLayoutSetAttribute, "cublasLtMatrixLayoutSetAttribute",                                 \
    cublasStatus_t (*)(cublasLtMatrixLayout_t, int, const void*, size_t))                                 \
  X(cublasLtMatmulPreferenceCreate, "cublasLtMatmulPreferenceCreate",                                     \
    cublasStatus_t (*)(cublasLtMatmulPreference_t*))                                                      \
  X(cublasLtMatmulPreferenceDestroy, "cublasLtMatmulPreferenceDestroy",                                   \
    cublasStatus_t (*)(cublasLtMatmulPreference_t))                                                       \
  X(cublasLtMatmulPreferenceSetAttribute, "cublasLtMatmulPreferenceSetAttribute",                         \
    cublasStatus_t (*)(cublasLtMatmulPreference_t, int, const void*, size_t))                             \
  X(cublasLtMatmulAlgoGetHeuristic, "cublasLtMatmulAlgoGetHeuristic",                                     \
    cublasStatus_t (*)(cublasLtHandle_t, cublasLtMatmulDesc_t, cublasLtMatrixLayout_t,                    \
                       cublasLtMatrixLayout_t, cublasLtMatrixLayout_t, cublasLtMatrixLayout_t,            \
                       cublasLtMatmulPreference_t, int, cublasLtMatmulHeuristicResult_t*, int*))          \
  X(cublasLtMatmul, "cublasLtMatmul",                                                                     \
    cublasStatus_t (*)(cublasLtHandle_t, cublasLtMatmulDesc_t, const void*, const void*,                  \
                       cublasLtMatrixLayout_t, const void*, cublasLtMatrixLayout_t, const void*,          \
                       const void*, cublasLtMatrixLayout_t, void*, cublasLtMatrixLayout_t,                \
                       const cublasLtMatmulAlgo_t*, void*, size_t, CUstream))

template <class T>
using Id = T;
#define DCU_DECLARE_POINTER(name, symbol, type) extern Id<type> name;
DCU_DRIVER_FUNCTIONS(DCU_DECLARE_POINTER)
DCU_POOL_FUNCTIONS(DCU_DECLARE_POINTER)
DCU_GRAPH_FUNCTIONS(DCU_DECLARE_POINTER)
DCU_BLASLT_FUNCTIONS(DCU_DECLARE_POINTER)
#undef DCU_DECLARE_POINTER

}  // namespace dcu
