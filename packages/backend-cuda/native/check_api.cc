// Compiled by scripts/build-native.mjs only where CUDA's own cuda.h exists (never linked into the addon):
// checks that the values declared in cuda_api.h are cuda.h's.
#include <cuda.h>
#include <library_types.h>
#include "cuda_api.h"

static_assert(dcu::CUDA_ERROR_OUT_OF_MEMORY == CUDA_ERROR_OUT_OF_MEMORY, "OOM");
static_assert(dcu::CUDA_ERROR_NOT_READY == CUDA_ERROR_NOT_READY, "NOT_READY");
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
