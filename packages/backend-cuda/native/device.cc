#include "device.h"

#include <cstring>

#include "commands.h"
#include "loader.h"

namespace dcu {

#define DCU_TRY(expr)                      \
  do {                                     \
    CUresult r_ = (expr);                  \
    if (r_ != CUDA_SUCCESS) return r_;     \
  } while (0)

CUresult createContext(int ordinal, Context** out) {
  Context* c = new Context();
  CUresult r = cuDeviceGet(&c->device, ordinal);
  if (r == CUDA_SUCCESS) r = cuDevicePrimaryCtxRetain(&c->ctx, c->device);
  if (r != CUDA_SUCCESS) {
    delete c;
    return r;
  }
  r = cuCtxSetCurrent(c->ctx);
  if (r == CUDA_SUCCESS) r = cuStreamCreate(&c->stream, CU_STREAM_NON_BLOCKING);
  for (int i = 0; r == CUDA_SUCCESS && i < Context::kSlots; i++)
    r = cuEventCreate(&c->staging[i].done, CU_EVENT_DISABLE_TIMING);
  if (r == CUDA_SUCCESS && poolFunctionsLoaded()) {
    int supported = 0;
    if (cuDeviceGetAttribute(&supported, CU_DEVICE_ATTRIBUTE_MEMORY_POOLS_SUPPORTED, c->device) ==
            CUDA_SUCCESS &&
        supported != 0 && cuDeviceGetDefaultMemPool(&c->pool, c->device) == CUDA_SUCCESS) {
      // Keep freed memory in the pool (no release back to the driver at each synchronisation).
      unsigned long long threshold = ~0ull;
      cuMemPoolSetAttribute(c->pool, CU_MEMPOOL_ATTR_RELEASE_THRESHOLD, &threshold);
      c->pools = true;
    }
  }
  if (r != CUDA_SUCCESS) {
    closeContext(c);
    releaseContext(c);
    return r;
  }
  *out = c;
  return CUDA_SUCCESS;
}

void closeContext(Context* c) {
  if (c->closed) return;
  c->closed = true;
  cuCtxSetCurrent(c->ctx);
  if (c->stream != nullptr) cuStreamSynchronize(c->stream);
  destroyGraphs(c);
  if (c->lt != nullptr) cublasLtDestroy(c->lt);
  c->lt = nullptr;
  if (c->ltWorkspace != 0) freeDevice(c, c->ltWorkspace);
  c->ltWorkspace = 0;
  for (auto& slot : c->staging) {
    if (slot.host != nullptr) cuMemFreeHost(slot.host);
    if (slot.done != nullptr) cuEventDestroy(slot.done);
    slot = StagingSlot();
  }
  for (auto& entry : c->pinnedFree) cuMemFreeHost(entry.second);
  c->pinnedFree.clear();
  c->pinnedFreeBytes = 0;
  if (c->stream != nullptr) {
    cuStreamSynchronize(c->stream);
    cuStreamDestroy(c->stream);
  }
  c->stream = nullptr;
  if (c->pools) cuMemPoolTrimTo(c->pool, 0);
  if (c->ctx != nullptr) cuDevicePrimaryCtxRelease(c->device);
}

void releaseContext(Context* c) {
  if (--c->refs == 0) delete c;
}

CUresult allocDevice(Context* c, size_t bytes, CUdeviceptr* out) {
  if (c->closed) return STATUS_CLOSED;
  DCU_TRY(cuCtxSetCurrent(c->ctx));
  if (c->pools) return cuMemAllocAsync(out, bytes, c->stream);
  return cuMemAlloc(out, bytes);
}

CUresult freeDevice(Context* c, CUdeviceptr ptr) {
  DCU_TRY(cuCtxSetCurrent(c->ctx));
  // Stream-ordered: the memory returns to the pool after the work queued so far that may read it.
  if (c->pools && c->stream != nullptr) return cuMemFreeAsync(ptr, c->stream);
  if (c->stream != nullptr) DCU_TRY(cuStreamSynchronize(c->stream));
  return cuMemFree(ptr);
}

CUresult uploadBytes(Context* c, CUdeviceptr dst, const void* src, size_t bytes) {
  if (c->closed) return STATUS_CLOSED;
  DCU_TRY(cuCtxSetCurrent(c->ctx));
  const char* from = static_cast<const char*>(src);
  size_t done = 0;
  while (done < bytes) {
    StagingSlot& slot = c->staging[c->nextSlot];
    c->nextSlot = (c->nextSlot + 1) % Context::kSlots;
    if (slot.host == nullptr) DCU_TRY(cuMemHostAlloc(&slot.host, Context::kSlotBytes, MEMHOSTALLOC_PORTABLE));
    // Blocks only when the copy that last used this slot is still queued behind other work.
    if (slot.used) DCU_TRY(cuEventSynchronize(slot.done));
    size_t n = bytes - done < Context::kSlotBytes ? bytes - done : Context::kSlotBytes;
    std::memcpy(slot.host, from + done, n);
    DCU_TRY(cuMemcpyHtoDAsync(dst + done, slot.host, n, c->stream));
    DCU_TRY(cuEventRecord(slot.done, c->stream));
    slot.used = true;
    done += n;
  }
  return CUDA_SUCCESS;
}

static size_t pinnedClass(size_t bytes) {
  size_t n = 65536;
  while (n < bytes) n <<= 1;
  return n;
}

CUresult takePinned(Context* c, size_t bytes, void** out, size_t* capacity) {
  size_t size = pinnedClass(bytes);
  auto it = c->pinnedFree.find(size);
  if (it != c->pinnedFree.end()) {
    *out = it->second;
    *capacity = size;
    c->pinnedFreeBytes -= size;
    c->pinnedFree.erase(it);
    return CUDA_SUCCESS;
  }
  DCU_TRY(cuCtxSetCurrent(c->ctx));
  DCU_TRY(cuMemHostAlloc(out, size, MEMHOSTALLOC_PORTABLE));
  *capacity = size;
  return CUDA_SUCCESS;
}

void givePinned(Context* c, void* host, size_t capacity) {
  constexpr size_t kKeep = 256u << 20;
  if (c->closed || c->pinnedFreeBytes + capacity > kKeep) {
    cuMemFreeHost(host);
    return;
  }
  c->pinnedFree.emplace(capacity, host);
  c->pinnedFreeBytes += capacity;
}

int ensureBlasLt(Context* c) {
  if (c->closed) return STATUS_CLOSED;
  if (!blasLtLoaded()) return STATUS_BLASLT_MISSING;
  CUresult r = cuCtxSetCurrent(c->ctx);
  if (r != CUDA_SUCCESS) return r;
  if (c->lt == nullptr) {
    cublasStatus_t s = cublasLtCreate(&c->lt);
    if (s != 0) return STATUS_BLASLT_BASE + s;
  }
  if (c->ltWorkspace == 0) {
    c->ltWorkspaceBytes = 32u << 20;
    r = allocDevice(c, c->ltWorkspaceBytes, &c->ltWorkspace);
    if (r != CUDA_SUCCESS) {
      c->ltWorkspace = 0;
      c->ltWorkspaceBytes = 0;
      return r;
    }
  }
  return 0;
}

int blasLtMatmul(Context* c, int transa, int transb, long long m, long long n, long long k, CUdeviceptr a,
                 long long lda, long long strideA, CUdeviceptr b, long long ldb, long long strideB,
                 CUdeviceptr d, long long ldd, long long strideD, int batch, CUdeviceptr bias, int dataType,
                 int computeType) {
  if (c->closed) return STATUS_CLOSED;
  if (dataType != CUDA_R_32F && dataType != CUDA_R_16F && dataType != CUDA_R_16BF) return STATUS_BAD_TYPE;
  if (computeType != CUBLAS_COMPUTE_32F && computeType != CUBLAS_COMPUTE_32F_FAST_TF32) return STATUS_BAD_TYPE;
  if (!blasLtLoaded()) return STATUS_BLASLT_MISSING;
  int ready = ensureBlasLt(c);
  if (ready != 0) return ready;
  cublasLtMatmulDesc_t op = nullptr;
  cublasLtMatrixLayout_t la = nullptr, lb = nullptr, ld = nullptr;
  cublasLtMatmulPreference_t pref = nullptr;
  int status = 0;
  auto check = [&status](cublasStatus_t s) {
    if (status == 0 && s != 0) status = STATUS_BLASLT_BASE + s;
    return status == 0;
  };
  // A, B, C, D (and the bias, by default) in the storage type; alpha / beta and accumulation in float32.
  // Column-major shapes as cuBLASLt sees them: op(A) is m x k, op(B) is k x n, D is m x n.
  const long long aRows = transa == CUBLAS_OP_N ? m : k, aCols = transa == CUBLAS_OP_N ? k : m;
  const long long bRows = transb == CUBLAS_OP_N ? k : n, bCols = transb == CUBLAS_OP_N ? n : k;
  const int epilogue = bias != 0 ? CUBLASLT_EPILOGUE_BIAS : CUBLASLT_EPILOGUE_DEFAULT;
  if (check(cublasLtMatmulDescCreate(&op, computeType, CUDA_R_32F)) &&
      check(cublasLtMatmulDescSetAttribute(op, CUBLASLT_MATMUL_DESC_TRANSA, &transa, sizeof transa)) &&
      check(cublasLtMatmulDescSetAttribute(op, CUBLASLT_MATMUL_DESC_TRANSB, &transb, sizeof transb)) &&
      check(cublasLtMatmulDescSetAttribute(op, CUBLASLT_MATMUL_DESC_EPILOGUE, &epilogue, sizeof epilogue)) &&
      (bias == 0 || check(cublasLtMatmulDescSetAttribute(op, CUBLASLT_MATMUL_DESC_BIAS_POINTER, &bias,
                                                         sizeof bias))) &&
      check(cublasLtMatrixLayoutCreate(&la, dataType, aRows, aCols, lda)) &&
      check(cublasLtMatrixLayoutCreate(&lb, dataType, bRows, bCols, ldb)) &&
      check(cublasLtMatrixLayoutCreate(&ld, dataType, m, n, ldd))) {
    if (batch > 1) {
      const long long sa = strideA, sb = strideB, sd = strideD;
      check(cublasLtMatrixLayoutSetAttribute(la, CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, &batch, sizeof batch));
      check(cublasLtMatrixLayoutSetAttribute(lb, CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, &batch, sizeof batch));
      check(cublasLtMatrixLayoutSetAttribute(ld, CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, &batch, sizeof batch));
      check(cublasLtMatrixLayoutSetAttribute(la, CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET, &sa, sizeof sa));
      check(cublasLtMatrixLayoutSetAttribute(lb, CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET, &sb, sizeof sb));
      check(cublasLtMatrixLayoutSetAttribute(ld, CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET, &sd, sizeof sd));
    }
  }
  cublasLtMatmulAlgo_t algo;
  if (status == 0) {
    std::string key = std::to_string(transa) + "," + std::to_string(transb) + "," + std::to_string(m) + "," +
                      std::to_string(n) + "," + std::to_string(k) + "," + std::to_string(lda) + "," +
                      std::to_string(ldb) + "," + std::to_string(ldd) + "," + std::to_string(batch) + "," +
                      std::to_string(epilogue) + "," + std::to_string((a | b | d | bias) % 16 == 0) + "," +
                      std::to_string(dataType) + "," + std::to_string(computeType);
    auto found = c->algos.find(key);
    if (found != c->algos.end()) {
      algo = found->second;
    } else if (check(cublasLtMatmulPreferenceCreate(&pref)) &&
               check(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES,
                                                          &c->ltWorkspaceBytes, sizeof c->ltWorkspaceBytes))) {
      cublasLtMatmulHeuristicResult_t result;
      std::memset(&result, 0, sizeof result);
      int count = 0;
      if (check(cublasLtMatmulAlgoGetHeuristic(c->lt, op, la, lb, ld, ld, pref, 1, &result, &count))) {
        if (count < 1) {
          status = STATUS_NO_ALGORITHM;
        } else {
          algo = result.algo;
          c->algos.emplace(key, algo);
        }
      }
    }
  }
  if (status == 0) {
    const float alpha = 1.0f, beta = 0.0f;
    check(cublasLtMatmul(c->lt, op, &alpha, reinterpret_cast<const void*>(a), la,
                         reinterpret_cast<const void*>(b), lb, &beta, reinterpret_cast<const void*>(d), ld,
                         reinterpret_cast<void*>(d), ld, &algo, reinterpret_cast<void*>(c->ltWorkspace),
                         c->ltWorkspaceBytes, c->stream));
  }
  if (pref != nullptr) cublasLtMatmulPreferenceDestroy(pref);
  if (ld != nullptr) cublasLtMatrixLayoutDestroy(ld);
  if (lb != nullptr) cublasLtMatrixLayoutDestroy(lb);
  if (la != nullptr) cublasLtMatrixLayoutDestroy(la);
  if (op != nullptr) cublasLtMatmulDescDestroy(op);
  return status;
}

}  // namespace dcu
