// Helpers shared by the Node-API bindings (binding.cc, binding_program.cc): reading plain values and typed
// arrays, and the boxes behind the engine and packed-weight externals.
#pragma once
#include <node_api.h>
#include <stdint.h>

#include "engine.h"

namespace deberta {

// The engine behind an External. A program running asynchronously holds a reference to the External and
// counts in `in_flight`; destroyEngine then only marks it (`closed`) and the last program deletes it.
struct EngineBox {
  Engine* engine;
  int in_flight;
  bool closed;
};

// A packed weight; `freed` refuses new uses at once, the floats go when no running program reads them.
struct PackedBox {
  PackedB packed;
  bool freed;
  int in_flight;
};


inline constexpr int64_t kMaxDim = 0x7fffffff;

inline napi_value make_int(napi_env env, int64_t v) {
  napi_value out;
  napi_create_int64(env, v, &out);
  return out;
}

inline napi_value status(napi_env env, Status s) { return make_int(env, s); }

inline bool get_int(napi_env env, napi_value v, int64_t* out) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_number) return false;
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok) return false;
  if (!(d >= 0 && d <= static_cast<double>(kMaxDim * 4)) || d != static_cast<double>(static_cast<int64_t>(d)))
    return false;
  *out = static_cast<int64_t>(d);
  return true;
}

inline bool get_bool(napi_env env, napi_value v, bool* out) { return napi_get_value_bool(env, v, out) == napi_ok; }

// A Float32Array's data (already advanced by its byteOffset) and its length in floats.
inline bool get_f32(napi_env env, napi_value v, float** data, size_t* length) {
  bool is_typed = false;
  if (napi_is_typedarray(env, v, &is_typed) != napi_ok || !is_typed) return false;
  napi_typedarray_type type;
  void* p;
  if (napi_get_typedarray_info(env, v, &type, length, &p, nullptr, nullptr) != napi_ok) return false;
  if (type != napi_float32_array) return false;
  *data = static_cast<float*>(p);
  return true;
}

inline bool get_double(napi_env env, napi_value v, double* out) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_number) return false;
  return napi_get_value_double(env, v, out) == napi_ok;
}

// A Float32Array, or null / undefined (then *data = nullptr, *length = 0).
inline bool get_f32_or_null(napi_env env, napi_value v, float** data, size_t* length) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok) return false;
  if (t == napi_null || t == napi_undefined) {
    *data = nullptr;
    *length = 0;
    return true;
  }
  return get_f32(env, v, data, length);
}

inline bool get_i32(napi_env env, napi_value v, int32_t** data, size_t* length) {
  bool is_typed = false;
  if (napi_is_typedarray(env, v, &is_typed) != napi_ok || !is_typed) return false;
  napi_typedarray_type type;
  void* p;
  if (napi_get_typedarray_info(env, v, &type, length, &p, nullptr, nullptr) != napi_ok) return false;
  if (type != napi_int32_array) return false;
  *data = static_cast<int32_t*>(p);
  return true;
}

template <typename T>
inline bool get_external(napi_env env, napi_value v, T** out) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_external) return false;
  void* p;
  if (napi_get_value_external(env, v, &p) != napi_ok || p == nullptr) return false;
  *out = static_cast<T*>(p);
  return true;
}

// offset + rows * cols floats fit in an array of `length` floats.
inline bool fits(int64_t offset, int64_t rows, int64_t cols, size_t length) {
  return offset + rows * cols <= static_cast<int64_t>(length);
}

template <size_t N>
inline bool args(napi_env env, napi_callback_info info, napi_value (&argv)[N]) {
  size_t argc = N;
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok) return false;
  return argc == N;
}

inline bool get_engine(napi_env env, napi_value v, Engine** out) {
  EngineBox* box;
  if (!get_external(env, v, &box) || box->engine == nullptr || box->closed) return false;
  *out = box->engine;
  return true;
}

// runProgram(engine, buffers, packed, code, async) (binding_program.cc).
napi_value RunProgram(napi_env env, napi_callback_info info);

}  // namespace deberta
