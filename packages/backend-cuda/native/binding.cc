// Node-API surface of the CUDA addon (typed in src/native/addon.ts). Calls return a status number (0: ok,
// a CUresult, or a STATUS_* of device.h) or a value; nothing throws except on wrong argument types, which
// the TypeScript side never passes. Downloads and syncs wait on an event on a libuv worker thread, so the
// JavaScript thread never blocks on the GPU for them.
#define NAPI_VERSION 8
#include <node_api.h>

#include <cstring>
#include <string>
#include <vector>

#include "commands.h"
#include "device.h"
#include "loader.h"

using namespace dcu;

namespace {

#define NAPI_OK(call)                                   \
  do {                                                  \
    if ((call) != napi_ok) return nullptr;              \
  } while (0)

napi_value number(napi_env env, double v) {
  napi_value out;
  napi_create_double(env, v, &out);
  return out;
}

napi_value string(napi_env env, const std::string& s) {
  napi_value out;
  napi_create_string_utf8(env, s.c_str(), s.size(), &out);
  return out;
}

void set(napi_env env, napi_value obj, const char* key, napi_value v) { napi_set_named_property(env, obj, key, v); }

bool args(napi_env env, napi_callback_info info, size_t want, napi_value* argv) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc < want) {
    napi_throw_type_error(env, nullptr, "deberta_cuda: too few arguments");
    return false;
  }
  return true;
}

double toDouble(napi_env env, napi_value v) {
  double d = 0;
  napi_get_value_double(env, v, &d);
  return d;
}

std::string toString(napi_env env, napi_value v) {
  size_t n = 0;
  napi_get_value_string_utf8(env, v, nullptr, 0, &n);
  std::string s(n, '\0');
  napi_get_value_string_utf8(env, v, &s[0], n + 1, &n);
  return s;
}

std::vector<std::string> toStrings(napi_env env, napi_value v) {
  std::vector<std::string> out;
  uint32_t n = 0;
  napi_get_array_length(env, v, &n);
  for (uint32_t i = 0; i < n; i++) {
    napi_value e;
    napi_get_element(env, v, i, &e);
    out.push_back(toString(env, e));
  }
  return out;
}

void* external(napi_env env, napi_value v) {
  void* p = nullptr;
  napi_get_value_external(env, v, &p);
  return p;
}

Context* context(napi_env env, napi_value v) { return static_cast<Context*>(external(env, v)); }

CUdeviceptr pointer(napi_env env, napi_value v) { return static_cast<CUdeviceptr>(toDouble(env, v)); }

// ---- probing ------------------------------------------------------------------------------------------

napi_value Info(napi_env env, napi_callback_info) {
  napi_value out;
  napi_create_object(env, &out);
  set(env, out, "napiVersion", number(env, NAPI_VERSION));
  set(env, out, "driverLoaded", number(env, driverLoaded() ? 1 : 0));
  return out;
}

napi_value failure(napi_env env, const char* stage, int code, const std::string& reason) {
  napi_value out;
  napi_create_object(env, &out);
  napi_value f;
  napi_get_boolean(env, false, &f);
  set(env, out, "ok", f);
  set(env, out, "stage", string(env, stage));
  set(env, out, "code", number(env, code));
  set(env, out, "reason", string(env, reason));
  return out;
}

napi_value Probe(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!args(env, info, 1, argv)) return nullptr;
  std::string why = loadDriver(toStrings(env, argv[0]));
  if (!why.empty()) return failure(env, "dlopen", 0, why);
  CUresult r = cuInit(0);
  if (r != CUDA_SUCCESS) return failure(env, "cuInit", r, describe(r));
  int version = 0, count = 0;
  cuDriverGetVersion(&version);
  r = cuDeviceGetCount(&count);
  if (r != CUDA_SUCCESS) return failure(env, "cuDeviceGetCount", r, describe(r));
  napi_value out, devices, t;
  napi_create_object(env, &out);
  napi_get_boolean(env, true, &t);
  set(env, out, "ok", t);
  set(env, out, "driverPath", string(env, driverPath()));
  set(env, out, "driverVersion", number(env, version));
  set(env, out, "poolFunctions", number(env, poolFunctionsLoaded() ? 1 : 0));
  set(env, out, "graphFunctions", number(env, graphFunctionsLoaded() ? 1 : 0));
  napi_create_array_with_length(env, count, &devices);
  for (int i = 0; i < count; i++) {
    CUdevice dev = 0;
    char name[256] = {0};
    int major = 0, minor = 0, sms = 0, pools = 0;
    size_t total = 0;
    cuDeviceGet(&dev, i);
    cuDeviceGetName(name, sizeof name - 1, dev);
    cuDeviceGetAttribute(&major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev);
    cuDeviceGetAttribute(&minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, dev);
    cuDeviceGetAttribute(&sms, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, dev);
    cuDeviceGetAttribute(&pools, CU_DEVICE_ATTRIBUTE_MEMORY_POOLS_SUPPORTED, dev);
    cuDeviceTotalMem(&total, dev);
    napi_value d;
    napi_create_object(env, &d);
    set(env, d, "name", string(env, name));
    set(env, d, "major", number(env, major));
    set(env, d, "minor", number(env, minor));
    set(env, d, "multiprocessors", number(env, sms));
    set(env, d, "memoryPools", number(env, pools));
    set(env, d, "totalMemory", number(env, static_cast<double>(total)));
    napi_set_element(env, devices, i, d);
  }
  set(env, out, "devices", devices);
  return out;
}

napi_value Describe(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!args(env, info, 1, argv)) return nullptr;
  return string(env, describe(static_cast<CUresult>(toDouble(env, argv[0]))));
}

napi_value LoadBlasLt(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!args(env, info, 1, argv)) return nullptr;
  std::string why = loadBlasLt(toStrings(env, argv[0]));
  if (!why.empty()) return failure(env, "dlopen", 0, why);
  napi_value out, t;
  napi_create_object(env, &out);
  napi_get_boolean(env, true, &t);
  set(env, out, "ok", t);
  set(env, out, "path", string(env, blasLtPath()));
  set(env, out, "version", number(env, static_cast<double>(cublasLtGetVersion())));
  return out;
}

// ---- contexts, modules, memory ------------------------------------------------------------------------

void finalizeContext(napi_env, void* data, void*) {
  Context* c = static_cast<Context*>(data);
  closeContext(c);
  releaseContext(c);
}

napi_value CreateContext(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!args(env, info, 1, argv)) return nullptr;
  if (!driverLoaded()) return number(env, 3);  // CUDA_ERROR_NOT_INITIALIZED
  Context* c = nullptr;
  CUresult r = createContext(static_cast<int>(toDouble(env, argv[0])), &c);
  if (r != CUDA_SUCCESS) return number(env, r);
  napi_value out;
  NAPI_OK(napi_create_external(env, c, finalizeContext, nullptr, &out));
  return out;
}

napi_value CloseContext(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!args(env, info, 1, argv)) return nullptr;
  closeContext(context(env, argv[0]));
  return number(env, 0);
}

napi_value LoadModule(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!args(env, info, 2, argv)) return nullptr;
  Context* c = context(env, argv[0]);
  if (c->closed) return number(env, STATUS_CLOSED);
  std::string ptx = toString(env, argv[1]);
  CUresult r = cuCtxSetCurrent(c->ctx);
  CUmodule module = nullptr;
  static char log[8192];
  log[0] = '\0';
  if (r == CUDA_SUCCESS) {
    int options[2] = {CU_JIT_ERROR_LOG_BUFFER, CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES};
    void* values[2] = {log, reinterpret_cast<void*>(static_cast<uintptr_t>(sizeof log))};
    r = cuModuleLoadDataEx(&module, ptx.c_str(), 2, options, values);
  }
  if (r != CUDA_SUCCESS) {
    napi_value out;
    napi_create_object(env, &out);
    set(env, out, "code", number(env, r));
    set(env, out, "log", string(env, std::string(log, strnlen(log, sizeof log))));
    return out;
  }
  napi_value out;
  // Modules live as long as the process's context (unloaded when the primary context is released).
  NAPI_OK(napi_create_external(env, module, nullptr, nullptr, &out));
  return out;
}

napi_value GetFunction(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!args(env, info, 2, argv)) return nullptr;
  CUfunction fn = nullptr;
  CUresult r = cuModuleGetFunction(&fn, static_cast<CUmodule>(external(env, argv[0])),
                                   toString(env, argv[1]).c_str());
  if (r != CUDA_SUCCESS) return number(env, r);
  napi_value out;
  NAPI_OK(napi_create_external(env, fn, nullptr, nullptr, &out));
  return out;
}

napi_value Alloc(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!args(env, info, 2, argv)) return nullptr;
  CUdeviceptr ptr = 0;
  CUresult r = allocDevice(context(env, argv[0]), static_cast<size_t>(toDouble(env, argv[1])), &ptr);
  if (r != CUDA_SUCCESS) return number(env, -static_cast<double>(r));
  return number(env, static_cast<double>(ptr));
}

napi_value Free(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!args(env, info, 2, argv)) return nullptr;
  Context* c = context(env, argv[0]);
  if (c->closed) return number(env, 0);  // closing released the pool already
  return number(env, freeDevice(c, pointer(env, argv[1])));
}

napi_value Upload(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!args(env, info, 3, argv)) return nullptr;
  napi_typedarray_type type;
  size_t length = 0, offset = 0;
  void* data = nullptr;
  napi_value buffer;
  if (napi_get_typedarray_info(env, argv[2], &type, &length, &data, &buffer, &offset) != napi_ok) {
    napi_throw_type_error(env, nullptr, "deberta_cuda upload: expected a typed array");
    return nullptr;
  }
  size_t width = (type == napi_int8_array || type == napi_uint8_array || type == napi_uint8_clamped_array) ? 1
                 : (type == napi_int16_array || type == napi_uint16_array)                                 ? 2
                 : (type == napi_float64_array || type == napi_bigint64_array || type == napi_biguint64_array)
                     ? 8
                     : 4;
  return number(env, uploadBytes(context(env, argv[0]), pointer(env, argv[1]), data, length * width));
}

napi_value MemsetD32(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!args(env, info, 4, argv)) return nullptr;
  Context* c = context(env, argv[0]);
  if (c->closed) return number(env, STATUS_CLOSED);
  CUresult r = cuCtxSetCurrent(c->ctx);
  if (r == CUDA_SUCCESS)
    r = cuMemsetD32Async(pointer(env, argv[1]), static_cast<unsigned>(toDouble(env, argv[2])),
                         static_cast<size_t>(toDouble(env, argv[3])), c->stream);
  return number(env, r);
}

napi_value CopyDtoD(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!args(env, info, 4, argv)) return nullptr;
  Context* c = context(env, argv[0]);
  if (c->closed) return number(env, STATUS_CLOSED);
  CUresult r = cuCtxSetCurrent(c->ctx);
  if (r == CUDA_SUCCESS)
    r = cuMemcpyDtoDAsync(pointer(env, argv[1]), pointer(env, argv[2]),
                          static_cast<size_t>(toDouble(env, argv[3])), c->stream);
  return number(env, r);
}

napi_value Launch(napi_env env, napi_callback_info info) {
  napi_value argv[10];
  if (!args(env, info, 10, argv)) return nullptr;
  Context* c = context(env, argv[0]);
  if (c->closed) return number(env, STATUS_CLOSED);
  CUfunction fn = static_cast<CUfunction>(external(env, argv[1]));
  unsigned dims[7];
  for (int i = 0; i < 7; i++) dims[i] = static_cast<unsigned>(toDouble(env, argv[2 + i]));
  napi_typedarray_type type;
  size_t length = 0, offset = 0;
  void* data = nullptr;
  napi_value buffer;
  if (napi_get_typedarray_info(env, argv[9], &type, &length, &data, &buffer, &offset) != napi_ok ||
      type != napi_uint8_array) {
    napi_throw_type_error(env, nullptr, "deberta_cuda launch: params must be a Uint8Array");
    return nullptr;
  }
  size_t size = length;
  void* extra[] = {DCU_LAUNCH_PARAM_BUFFER_POINTER, data, DCU_LAUNCH_PARAM_BUFFER_SIZE, &size,
                   DCU_LAUNCH_PARAM_END};
  CUresult r = cuCtxSetCurrent(c->ctx);
  if (r == CUDA_SUCCESS)
    r = cuLaunchKernel(fn, dims[0], dims[1], dims[2], dims[3], dims[4], dims[5], dims[6], c->stream, nullptr,
                       extra);
  return number(env, r);
}

napi_value RegisterFunction(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!args(env, info, 2, argv)) return nullptr;
  Context* c = context(env, argv[0]);
  if (c->closed) return number(env, -STATUS_CLOSED);
  CUfunction fn = static_cast<CUfunction>(external(env, argv[1]));
  for (size_t i = 0; i < c->functions.size(); i++)
    if (c->functions[i] == fn) return number(env, static_cast<double>(i));
  c->functions.push_back(fn);
  return number(env, static_cast<double>(c->functions.size() - 1));
}

// submit(ctx, commands: Uint8Array, mode, graphId): one call for a whole command list (commands.h).
napi_value Submit(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!args(env, info, 4, argv)) return nullptr;
  Context* c = context(env, argv[0]);
  napi_typedarray_type type;
  size_t length = 0, offset = 0;
  void* data = nullptr;
  napi_value buffer;
  if (napi_get_typedarray_info(env, argv[1], &type, &length, &data, &buffer, &offset) != napi_ok ||
      type != napi_uint8_array) {
    napi_throw_type_error(env, nullptr, "deberta_cuda submit: commands must be a Uint8Array");
    return nullptr;
  }
  return number(env, submitCommands(c, static_cast<const uint8_t*>(data), length,
                                    static_cast<int>(toDouble(env, argv[2])),
                                    static_cast<int>(toDouble(env, argv[3]))));
}

napi_value LastFailedCommand(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!args(env, info, 1, argv)) return nullptr;
  return number(env, static_cast<double>(context(env, argv[0])->lastFailedCommand));
}

napi_value DestroyGraph(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!args(env, info, 2, argv)) return nullptr;
  Context* c = context(env, argv[0]);
  if (c->closed) return number(env, 0);  // closing destroyed every graph
  CUresult r = cuCtxSetCurrent(c->ctx);
  if (r == CUDA_SUCCESS) destroyGraph(c, static_cast<int>(toDouble(env, argv[1])));
  return number(env, r);
}

napi_value GraphsAvailable(napi_env env, napi_callback_info) {
  return number(env, graphFunctionsLoaded() ? 1 : 0);
}

napi_value MemInfo(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!args(env, info, 1, argv)) return nullptr;
  Context* c = context(env, argv[0]);
  if (c->closed) return number(env, STATUS_CLOSED);
  size_t free = 0, total = 0;
  CUresult r = cuCtxSetCurrent(c->ctx);
  if (r == CUDA_SUCCESS) r = cuMemGetInfo(&free, &total);
  if (r != CUDA_SUCCESS) return number(env, r);
  napi_value out;
  napi_create_object(env, &out);
  set(env, out, "free", number(env, static_cast<double>(free)));
  set(env, out, "total", number(env, static_cast<double>(total)));
  return out;
}

napi_value BlasLtMatmul(napi_env env, napi_callback_info info) {
  napi_value argv[19];
  if (!args(env, info, 19, argv)) return nullptr;
  auto ll = [&](int i) { return static_cast<long long>(toDouble(env, argv[i])); };
  return number(env, blasLtMatmul(context(env, argv[0]), static_cast<int>(ll(1)), static_cast<int>(ll(2)), ll(3),
                                  ll(4), ll(5), pointer(env, argv[6]), ll(7), ll(8), pointer(env, argv[9]),
                                  ll(10), ll(11), pointer(env, argv[12]), ll(13), ll(14),
                                  static_cast<int>(ll(15)), pointer(env, argv[16]), static_cast<int>(ll(17)),
                                  static_cast<int>(ll(18))));
}

// ---- waiting off the JavaScript thread ----------------------------------------------------------------

struct Wait {
  Context* c = nullptr;
  CUevent event = nullptr;
  void* pinned = nullptr;
  size_t capacity = 0;
  size_t bytes = 0;
  void* dest = nullptr;
  napi_ref destRef = nullptr;
  napi_deferred deferred = nullptr;
  napi_async_work work = nullptr;
  CUresult result = CUDA_SUCCESS;
};

void executeWait(napi_env, void* data) {
  Wait* w = static_cast<Wait*>(data);
  w->result = cuCtxSetCurrent(w->c->ctx);
  if (w->result == CUDA_SUCCESS) w->result = cuEventSynchronize(w->event);
  if (w->result == CUDA_SUCCESS && w->bytes > 0) std::memcpy(w->dest, w->pinned, w->bytes);
}

void completeWait(napi_env env, napi_status, void* data) {
  Wait* w = static_cast<Wait*>(data);
  if (w->result == CUDA_SUCCESS) {
    napi_value value;
    if (w->destRef != nullptr) napi_get_reference_value(env, w->destRef, &value);
    else napi_get_undefined(env, &value);
    napi_resolve_deferred(env, w->deferred, value);
  } else {
    napi_value message, error;
    napi_create_string_utf8(env, describe(w->result).c_str(), NAPI_AUTO_LENGTH, &message);
    napi_create_error(env, nullptr, message, &error);
    set(env, error, "cuResult", number(env, w->result));
    napi_reject_deferred(env, w->deferred, error);
  }
  if (w->destRef != nullptr) napi_delete_reference(env, w->destRef);
  if (w->pinned != nullptr) givePinned(w->c, w->pinned, w->capacity);
  cuEventDestroy(w->event);
  napi_delete_async_work(env, w->work);
  releaseContext(w->c);
  delete w;
}

/** Queues the copy (when `bytes` > 0) and an event, and waits for the event on a worker thread. */
napi_value startWait(napi_env env, Context* c, CUdeviceptr src, size_t bytes) {
  napi_value promise;
  Wait* w = new Wait();
  w->c = c;
  w->bytes = bytes;
  NAPI_OK(napi_create_promise(env, &w->deferred, &promise));
  CUresult r = c->closed ? STATUS_CLOSED : cuCtxSetCurrent(c->ctx);
  if (r == CUDA_SUCCESS && bytes > 0) r = takePinned(c, bytes, &w->pinned, &w->capacity);
  if (r == CUDA_SUCCESS && bytes > 0) r = cuMemcpyDtoHAsync(w->pinned, src, bytes, c->stream);
  if (r == CUDA_SUCCESS) r = cuEventCreate(&w->event, CU_EVENT_DISABLE_TIMING);
  if (r == CUDA_SUCCESS) r = cuEventRecord(w->event, c->stream);
  if (r != CUDA_SUCCESS) {
    if (w->pinned != nullptr) givePinned(c, w->pinned, w->capacity);
    if (w->event != nullptr) cuEventDestroy(w->event);
    napi_value message, error;
    napi_create_string_utf8(env, r == STATUS_CLOSED ? "context closed" : describe(r).c_str(), NAPI_AUTO_LENGTH,
                            &message);
    napi_create_error(env, nullptr, message, &error);
    set(env, error, "cuResult", number(env, r));
    napi_reject_deferred(env, w->deferred, error);
    delete w;
    return promise;
  }
  if (bytes > 0) {
    napi_value ab;
    NAPI_OK(napi_create_arraybuffer(env, bytes, &w->dest, &ab));
    NAPI_OK(napi_create_reference(env, ab, 1, &w->destRef));
  }
  napi_value name;
  napi_create_string_utf8(env, "deberta_cuda_wait", NAPI_AUTO_LENGTH, &name);
  NAPI_OK(napi_create_async_work(env, nullptr, name, executeWait, completeWait, w, &w->work));
  c->refs++;
  NAPI_OK(napi_queue_async_work(env, w->work));
  return promise;
}

napi_value Download(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!args(env, info, 3, argv)) return nullptr;
  return startWait(env, context(env, argv[0]), pointer(env, argv[1]), static_cast<size_t>(toDouble(env, argv[2])));
}

napi_value Sync(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!args(env, info, 1, argv)) return nullptr;
  return startWait(env, context(env, argv[0]), 0, 0);
}

napi_value Init(napi_env env, napi_value exports) {
  const struct {
    const char* name;
    napi_callback fn;
  } fns[] = {{"info", Info},           {"probe", Probe},         {"describe", Describe},
             {"loadBlasLt", LoadBlasLt}, {"createContext", CreateContext}, {"closeContext", CloseContext},
             {"loadModule", LoadModule}, {"getFunction", GetFunction}, {"alloc", Alloc},
             {"free", Free},           {"upload", Upload},       {"memsetD32", MemsetD32},
             {"copyDtoD", CopyDtoD},   {"launch", Launch},       {"memInfo", MemInfo},
             {"blasLtMatmul", BlasLtMatmul}, {"download", Download}, {"sync", Sync},
             {"registerFunction", RegisterFunction}, {"submit", Submit},
             {"lastFailedCommand", LastFailedCommand}, {"destroyGraph", DestroyGraph},
             {"graphsAvailable", GraphsAvailable}};
  for (const auto& f : fns) {
    napi_value v;
    napi_create_function(env, f.name, NAPI_AUTO_LENGTH, f.fn, nullptr, &v);
    napi_set_named_property(env, exports, f.name, v);
  }
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
