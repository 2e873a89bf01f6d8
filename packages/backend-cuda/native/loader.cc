// dlopen of the driver (libcuda.so.1, installed by the NVIDIA driver) and of cuBLASLt (CUDA toolkit or the
// pip wheel nvidia-cublas), resolving the entry points of cuda_api.h by their exported, versioned names.
#include "loader.h"

#include <dlfcn.h>

namespace dcu {

#define DCU_DEFINE_POINTER(name, symbol, type) Id<type> name = nullptr;
DCU_DRIVER_FUNCTIONS(DCU_DEFINE_POINTER)
DCU_POOL_FUNCTIONS(DCU_DEFINE_POINTER)
DCU_GRAPH_FUNCTIONS(DCU_DEFINE_POINTER)
DCU_BLASLT_FUNCTIONS(DCU_DEFINE_POINTER)
#undef DCU_DEFINE_POINTER

namespace {
void* driverLib = nullptr;
std::string driverPathValue;
bool poolsResolved = false;
bool graphsResolved = false;
void* blasLtLib = nullptr;
std::string blasLtPathValue;

std::string dlerrorText() {
  const char* e = dlerror();
  return e == nullptr ? "unknown dlopen error" : e;
}
}  // namespace

std::string loadDriver(const std::vector<std::string>& candidates) {
  if (driverLib != nullptr) return "";
  std::string reasons;
  for (const std::string& path : candidates) {
    void* lib = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (lib == nullptr) {
      reasons += (reasons.empty() ? "" : "; ") + dlerrorText();
      continue;
    }
    std::string missing;
#define DCU_RESOLVE(name, symbol, type)                                   \
  name = reinterpret_cast<Id<type>>(dlsym(lib, symbol));                  \
  if (name == nullptr) missing += (missing.empty() ? "" : ", ") + std::string(symbol);
    DCU_DRIVER_FUNCTIONS(DCU_RESOLVE)
#undef DCU_RESOLVE
    if (!missing.empty()) {
      reasons += (reasons.empty() ? "" : "; ") + path + " lacks " + missing;
      dlclose(lib);
      continue;
    }
    bool pools = true;
#define DCU_RESOLVE_OPTIONAL(name, symbol, type)                      \
  name = reinterpret_cast<Id<type>>(dlsym(lib, symbol));              \
  if (name == nullptr) pools = false;
    DCU_POOL_FUNCTIONS(DCU_RESOLVE_OPTIONAL)
#undef DCU_RESOLVE_OPTIONAL
    poolsResolved = pools;
    bool graphs = true;
#define DCU_RESOLVE_GRAPH(name, symbol, type)                         \
  name = reinterpret_cast<Id<type>>(dlsym(lib, symbol));              \
  if (name == nullptr) graphs = false;
    DCU_GRAPH_FUNCTIONS(DCU_RESOLVE_GRAPH)
#undef DCU_RESOLVE_GRAPH
    graphsResolved = graphs;
    driverLib = lib;
    Dl_info info;
    driverPathValue = (dladdr(reinterpret_cast<void*>(cuInit), &info) != 0 && info.dli_fname != nullptr)
                          ? info.dli_fname
                          : path;
    return "";
  }
  return reasons.empty() ? "no candidate paths" : reasons;
}

bool driverLoaded() { return driverLib != nullptr; }
const std::string& driverPath() { return driverPathValue; }
bool poolFunctionsLoaded() { return poolsResolved; }
bool graphFunctionsLoaded() { return graphsResolved; }

std::string loadBlasLt(const std::vector<std::string>& candidates) {
  if (blasLtLib != nullptr) return "";
  std::string reasons;
  for (const std::string& path : candidates) {
    void* lib = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (lib == nullptr) {
      reasons += (reasons.empty() ? "" : "; ") + dlerrorText();
      continue;
    }
    std::string missing;
#define DCU_RESOLVE(name, symbol, type)                                   \
  name = reinterpret_cast<Id<type>>(dlsym(lib, symbol));                  \
  if (name == nullptr) missing += (missing.empty() ? "" : ", ") + std::string(symbol);
    DCU_BLASLT_FUNCTIONS(DCU_RESOLVE)
#undef DCU_RESOLVE
    if (!missing.empty()) {
      reasons += (reasons.empty() ? "" : "; ") + path + " lacks " + missing;
      dlclose(lib);
      continue;
    }
    blasLtLib = lib;
    Dl_info info;
    blasLtPathValue =
        (dladdr(reinterpret_cast<void*>(cublasLtCreate), &info) != 0 && info.dli_fname != nullptr)
            ? info.dli_fname
            : path;
    return "";
  }
  return reasons.empty() ? "no candidate paths" : reasons;
}

bool blasLtLoaded() { return blasLtLib != nullptr; }
const std::string& blasLtPath() { return blasLtPathValue; }

std::string describe(CUresult r) {
  if (driverLib == nullptr) return "CUresult " + std::to_string(r);
  const char* name = nullptr;
  const char* text = nullptr;
  if (cuGetErrorName(r, &name) != CUDA_SUCCESS || name == nullptr) name = "CUDA_ERROR_UNKNOWN";
  if (cuGetErrorString(r, &text) != CUDA_SUCCESS || text == nullptr) text = "";
  return std::string(name) + " (" + std::to_string(r) + "): " + text;
}

}  // namespace dcu
