// Node-API bindings (NAPI_VERSION 8, no C++ wrapper library). Every call takes plain values and typed
// arrays, checks types and that every dimension, offset and length fits the arrays' real byte lengths
// (the TypeScript side checked them first; this is the second line), and returns a status code
// (engine.h, Status) that src/native/addon.ts turns into a typed error. Nothing here throws into JS except
// for misuse no caller in this package makes (then a plain TypeError).
//
//   info() -> { compiled: string[], supported: string[], best: string }
//   createEngine(isa: string, threads: number) -> External<Engine> | status
//   engineInfo(engine) -> { isa, mr, nr, kc, mc, threads }
//   destroyEngine(engine) -> status
//   matmul(engine, a, aOff, b, bOff, c, cOff, m, n, k, transposeB) -> status       C = A * B (or A * B^T)
//   packWeight(engine, w, wOff, n, k) -> External<PackedB> | status                W [n, k] -> B = W^T
//   packedBytes(packed) -> number
//   freePacked(packed) -> status
//   matmulPacked(engine, packed, a, aOff, c, cOff, m, bias | null, act) -> status  C = act(A * W^T + bias)
//   attention(engine, qkv, qBias, vBias, keep: Int32Array, mask3d, posKey | null, posQuery | null, context,
//             probs | null, batch, length, heads, headSize, span, scale) -> status     (attention.cc)
//   layerNorm(engine, x, residual | null, gamma, beta, out, rows, n, eps) -> status  (layer_norm.cc)
//   softmaxRows(engine, x, rows, n) -> status                                      (softmax.cc)
//   activate(engine, x, count, act) -> status                                      (activation.cc)
#include <node_api.h>
#include <stdint.h>
#include <string.h>

#include <new>

#include "engine.h"

namespace deberta {
namespace {

constexpr int64_t kMaxDim = 0x7fffffff;

struct EngineBox {
  Engine* engine;
};

struct PackedBox {
  PackedB packed;
  bool freed;
};

napi_value make_int(napi_env env, int64_t v) {
  napi_value out;
  napi_create_int64(env, v, &out);
  return out;
}

napi_value status(napi_env env, Status s) { return make_int(env, s); }

bool get_int(napi_env env, napi_value v, int64_t* out) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_number) return false;
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok) return false;
  if (!(d >= 0 && d <= static_cast<double>(kMaxDim * 4)) || d != static_cast<double>(static_cast<int64_t>(d)))
    return false;
  *out = static_cast<int64_t>(d);
  return true;
}

bool get_bool(napi_env env, napi_value v, bool* out) { return napi_get_value_bool(env, v, out) == napi_ok; }

// A Float32Array's data (already advanced by its byteOffset) and its length in floats.
bool get_f32(napi_env env, napi_value v, float** data, size_t* length) {
  bool is_typed = false;
  if (napi_is_typedarray(env, v, &is_typed) != napi_ok || !is_typed) return false;
  napi_typedarray_type type;
  void* p;
  if (napi_get_typedarray_info(env, v, &type, length, &p, nullptr, nullptr) != napi_ok) return false;
  if (type != napi_float32_array) return false;
  *data = static_cast<float*>(p);
  return true;
}

bool get_double(napi_env env, napi_value v, double* out) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_number) return false;
  return napi_get_value_double(env, v, out) == napi_ok;
}

// A Float32Array, or null / undefined (then *data = nullptr, *length = 0).
bool get_f32_or_null(napi_env env, napi_value v, float** data, size_t* length) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok) return false;
  if (t == napi_null || t == napi_undefined) {
    *data = nullptr;
    *length = 0;
    return true;
  }
  return get_f32(env, v, data, length);
}

bool get_i32(napi_env env, napi_value v, int32_t** data, size_t* length) {
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
bool get_external(napi_env env, napi_value v, T** out) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_external) return false;
  void* p;
  if (napi_get_value_external(env, v, &p) != napi_ok || p == nullptr) return false;
  *out = static_cast<T*>(p);
  return true;
}

// offset + rows * cols floats fit in an array of `length` floats.
bool fits(int64_t offset, int64_t rows, int64_t cols, size_t length) {
  return offset + rows * cols <= static_cast<int64_t>(length);
}

template <size_t N>
bool args(napi_env env, napi_callback_info info, napi_value (&argv)[N]) {
  size_t argc = N;
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok) return false;
  return argc == N;
}

napi_value string_array(napi_env env, const IsaKernels* const* list, int count, bool only_supported) {
  napi_value arr;
  napi_create_array(env, &arr);
  uint32_t i = 0;
  for (int j = 0; j < count; j++) {
    if (list[j] == nullptr || (only_supported && !isa_runs_here(list[j]))) continue;
    napi_value s;
    napi_create_string_utf8(env, list[j]->name, NAPI_AUTO_LENGTH, &s);
    napi_set_element(env, arr, i++, s);
  }
  return arr;
}

void set_named(napi_env env, napi_value obj, const char* name, napi_value v) {
  napi_set_named_property(env, obj, name, v);
}

napi_value Info(napi_env env, napi_callback_info) {
  const IsaKernels* all[] = {isa_avx512(), isa_avx2(), isa_portable()};
  napi_value obj, best;
  napi_create_object(env, &obj);
  set_named(env, obj, "compiled", string_array(env, all, 3, false));
  set_named(env, obj, "supported", string_array(env, all, 3, true));
  napi_create_string_utf8(env, best_isa()->name, NAPI_AUTO_LENGTH, &best);
  set_named(env, obj, "best", best);
  return obj;
}

void finalize_engine(napi_env, void* data, void*) {
  EngineBox* box = static_cast<EngineBox*>(data);
  delete box->engine;
  delete box;
}

napi_value CreateEngine(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!args(env, info, argv)) return status(env, ERR_ARGUMENT);
  char name[32];
  size_t len = 0;
  if (napi_get_value_string_utf8(env, argv[0], name, sizeof name, &len) != napi_ok) return status(env, ERR_ARGUMENT);
  int64_t threads;
  if (!get_int(env, argv[1], &threads) || threads < 1 || threads > 1024) return status(env, ERR_ARGUMENT);
  const IsaKernels* isa = isa_by_name(name);
  if (!isa_runs_here(isa)) return status(env, ERR_ISA_UNSUPPORTED);
  Engine* engine = new (std::nothrow) Engine(isa, static_cast<int>(threads));
  if (engine == nullptr) return status(env, ERR_OUT_OF_MEMORY);
  if (!engine->ok()) {
    delete engine;
    return status(env, ERR_OUT_OF_MEMORY);
  }
  EngineBox* box = new (std::nothrow) EngineBox{engine};
  napi_value out;
  if (box == nullptr || napi_create_external(env, box, finalize_engine, nullptr, &out) != napi_ok) {
    delete engine;
    delete box;
    return status(env, ERR_OUT_OF_MEMORY);
  }
  return out;
}

bool get_engine(napi_env env, napi_value v, Engine** out) {
  EngineBox* box;
  if (!get_external(env, v, &box) || box->engine == nullptr) return false;
  *out = box->engine;
  return true;
}

napi_value EngineInfo(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  Engine* e;
  if (!args(env, info, argv) || !get_engine(env, argv[0], &e)) return status(env, ERR_DISPOSED);
  napi_value obj, name;
  napi_create_object(env, &obj);
  napi_create_string_utf8(env, e->isa()->name, NAPI_AUTO_LENGTH, &name);
  set_named(env, obj, "isa", name);
  set_named(env, obj, "mr", make_int(env, e->isa()->mr));
  set_named(env, obj, "nr", make_int(env, e->isa()->nr));
  set_named(env, obj, "kc", make_int(env, e->isa()->kc));
  set_named(env, obj, "mc", make_int(env, e->isa()->mc));
  set_named(env, obj, "threads", make_int(env, e->threads()));
  return obj;
}

napi_value DestroyEngine(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  EngineBox* box;
  if (!args(env, info, argv) || !get_external(env, argv[0], &box)) return status(env, ERR_ARGUMENT);
  delete box->engine;  // joins the workers
  box->engine = nullptr;
  return status(env, OK);
}

napi_value Matmul(napi_env env, napi_callback_info info) {
  napi_value argv[11];
  if (!args(env, info, argv)) return status(env, ERR_ARGUMENT);
  Engine* e;
  if (!get_engine(env, argv[0], &e)) return status(env, ERR_DISPOSED);
  float *a, *b, *c;
  size_t la, lb, lc;
  int64_t ao, bo, co, m, n, k;
  bool trans;
  if (!get_f32(env, argv[1], &a, &la) || !get_int(env, argv[2], &ao) || !get_f32(env, argv[3], &b, &lb) ||
      !get_int(env, argv[4], &bo) || !get_f32(env, argv[5], &c, &lc) || !get_int(env, argv[6], &co) ||
      !get_int(env, argv[7], &m) || !get_int(env, argv[8], &n) || !get_int(env, argv[9], &k) ||
      !get_bool(env, argv[10], &trans))
    return status(env, ERR_ARGUMENT);
  if (m > kMaxDim || n > kMaxDim || k > kMaxDim || !fits(ao, m, k, la) || !fits(bo, k, n, lb) ||
      !fits(co, m, n, lc))
    return status(env, ERR_SHAPE);
  return status(env, e->gemm(a + ao, b + bo, trans, c + co, static_cast<int>(m), static_cast<int>(n),
                             static_cast<int>(k)));
}

void finalize_packed(napi_env, void* data, void*) {
  PackedBox* box = static_cast<PackedBox*>(data);
  if (!box->freed) free_floats(box->packed.data);
  delete box;
}

napi_value PackWeight(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  if (!args(env, info, argv)) return status(env, ERR_ARGUMENT);
  Engine* e;
  if (!get_engine(env, argv[0], &e)) return status(env, ERR_DISPOSED);
  float* w;
  size_t lw;
  int64_t wo, n, k;
  if (!get_f32(env, argv[1], &w, &lw) || !get_int(env, argv[2], &wo) || !get_int(env, argv[3], &n) ||
      !get_int(env, argv[4], &k))
    return status(env, ERR_ARGUMENT);
  if (n > kMaxDim || k > kMaxDim || !fits(wo, n, k, lw)) return status(env, ERR_SHAPE);
  PackedBox* box = new (std::nothrow) PackedBox{};
  if (box == nullptr) return status(env, ERR_OUT_OF_MEMORY);
  Status s = e->pack_weight(w + wo, static_cast<int>(n), static_cast<int>(k), &box->packed);
  if (s != OK) {
    delete box;
    return status(env, s);
  }
  napi_value out;
  if (napi_create_external(env, box, finalize_packed, nullptr, &out) != napi_ok) {
    free_floats(box->packed.data);
    delete box;
    return status(env, ERR_OUT_OF_MEMORY);
  }
  return out;
}

napi_value PackedBytes(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  PackedBox* box;
  if (!args(env, info, argv) || !get_external(env, argv[0], &box)) return make_int(env, -ERR_ARGUMENT);
  return make_int(env, box->freed ? 0 : static_cast<int64_t>(box->packed.bytes));
}

napi_value FreePacked(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  PackedBox* box;
  if (!args(env, info, argv) || !get_external(env, argv[0], &box)) return status(env, ERR_ARGUMENT);
  if (!box->freed) free_floats(box->packed.data);
  box->packed.data = nullptr;
  box->freed = true;
  return status(env, OK);
}

napi_value MatmulPacked(napi_env env, napi_callback_info info) {
  napi_value argv[9];
  if (!args(env, info, argv)) return status(env, ERR_ARGUMENT);
  Engine* e;
  PackedBox* box;
  if (!get_engine(env, argv[0], &e) || !get_external(env, argv[1], &box) || box->freed ||
      box->packed.isa != e->isa())
    return status(env, ERR_DISPOSED);
  float *a, *c, *bias = nullptr;
  size_t la, lc, lbias = 0;
  int64_t ao, co, m, act;
  if (!get_f32(env, argv[2], &a, &la) || !get_int(env, argv[3], &ao) || !get_f32(env, argv[4], &c, &lc) ||
      !get_int(env, argv[5], &co) || !get_int(env, argv[6], &m) || !get_int(env, argv[8], &act))
    return status(env, ERR_ARGUMENT);
  napi_valuetype bt;
  napi_typeof(env, argv[7], &bt);
  if (bt != napi_null && bt != napi_undefined && !get_f32(env, argv[7], &bias, &lbias)) return status(env, ERR_ARGUMENT);
  const PackedB& p = box->packed;
  if (act > ACT_GELU_TANH) return status(env, ERR_ARGUMENT);
  if (m > kMaxDim || !fits(ao, m, p.k, la) || !fits(co, m, p.n, lc) ||
      (bias != nullptr && lbias < static_cast<size_t>(p.n)))
    return status(env, ERR_SHAPE);
  return status(env, e->gemm_packed(a + ao, static_cast<int>(m), p, c + co, bias, static_cast<int>(act)));
}

napi_value Attention(napi_env env, napi_callback_info info) {
  napi_value argv[16];
  if (!args(env, info, argv)) return status(env, ERR_ARGUMENT);
  Engine* e;
  if (!get_engine(env, argv[0], &e)) return status(env, ERR_DISPOSED);
  float *qkv, *qb, *vb, *pk, *pq, *ctx, *probs;
  size_t lqkv, lqb, lvb, lk, lpk, lpq, lctx, lprobs;
  int32_t* keep;
  bool mask3d;
  int64_t batch, length, heads, hs, span;
  double scale;
  if (!get_f32(env, argv[1], &qkv, &lqkv) || !get_f32(env, argv[2], &qb, &lqb) || !get_f32(env, argv[3], &vb, &lvb) ||
      !get_i32(env, argv[4], &keep, &lk) || !get_bool(env, argv[5], &mask3d) ||
      !get_f32_or_null(env, argv[6], &pk, &lpk) || !get_f32_or_null(env, argv[7], &pq, &lpq) ||
      !get_f32(env, argv[8], &ctx, &lctx) || !get_f32_or_null(env, argv[9], &probs, &lprobs) ||
      !get_int(env, argv[10], &batch) || !get_int(env, argv[11], &length) || !get_int(env, argv[12], &heads) ||
      !get_int(env, argv[13], &hs) || !get_int(env, argv[14], &span) || !get_double(env, argv[15], &scale))
    return status(env, ERR_ARGUMENT);
  // Every product below stays far from int64 overflow: each factor is at most 2^31.
  const int64_t kMaxL = 1 << 16;
  if (length > kMaxL || heads > kMaxL || hs > kMaxL || span > kMaxDim / 4 || batch > kMaxDim) return status(env, ERR_SHAPE);
  const int64_t width = heads * 3 * hs;
  const bool pos = pk != nullptr || pq != nullptr;
  if (!fits(0, batch * length, width, lqkv) || static_cast<int64_t>(lqb) < heads * hs ||
      static_cast<int64_t>(lvb) < heads * hs || !fits(0, batch * length, mask3d ? length : 1, lk) ||
      (pos && span < 1) || (pk != nullptr && !fits(0, heads * 2 * span, hs, lpk)) ||
      (pq != nullptr && !fits(0, heads * 2 * span, hs, lpq)) || !fits(0, batch * length, heads * hs, lctx) ||
      (probs != nullptr && !fits(0, batch * heads * length, length, lprobs)) || batch * heads > kMaxDim)
    return status(env, ERR_SHAPE);
  AttentionArgs a = {qkv, qb, vb, keep, mask3d, pk, pq, ctx, probs, static_cast<int>(batch), static_cast<int>(length),
                     static_cast<int>(heads), static_cast<int>(hs), static_cast<int>(span), static_cast<float>(scale)};
  return status(env, e->attention(a));
}

napi_value LayerNorm(napi_env env, napi_callback_info info) {
  napi_value argv[9];
  if (!args(env, info, argv)) return status(env, ERR_ARGUMENT);
  Engine* e;
  if (!get_engine(env, argv[0], &e)) return status(env, ERR_DISPOSED);
  float *x, *r, *g, *b, *out;
  size_t lx, lr, lg, lb, lo;
  int64_t rows, n;
  double eps;
  if (!get_f32(env, argv[1], &x, &lx) || !get_f32_or_null(env, argv[2], &r, &lr) || !get_f32(env, argv[3], &g, &lg) ||
      !get_f32(env, argv[4], &b, &lb) || !get_f32(env, argv[5], &out, &lo) || !get_int(env, argv[6], &rows) ||
      !get_int(env, argv[7], &n) || !get_double(env, argv[8], &eps))
    return status(env, ERR_ARGUMENT);
  if (rows > kMaxDim || n > kMaxDim || !fits(0, rows, n, lx) || !fits(0, rows, n, lo) ||
      (r != nullptr && !fits(0, rows, n, lr)) || static_cast<int64_t>(lg) < n || static_cast<int64_t>(lb) < n)
    return status(env, ERR_SHAPE);
  return status(env, e->layer_norm(x, r, g, b, out, static_cast<int>(rows), static_cast<int>(n), static_cast<float>(eps)));
}

napi_value SoftmaxRows(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!args(env, info, argv)) return status(env, ERR_ARGUMENT);
  Engine* e;
  if (!get_engine(env, argv[0], &e)) return status(env, ERR_DISPOSED);
  float* x;
  size_t lx;
  int64_t rows, n;
  if (!get_f32(env, argv[1], &x, &lx) || !get_int(env, argv[2], &rows) || !get_int(env, argv[3], &n))
    return status(env, ERR_ARGUMENT);
  if (rows > kMaxDim || n > kMaxDim || !fits(0, rows, n, lx)) return status(env, ERR_SHAPE);
  return status(env, e->softmax_rows(x, static_cast<int>(rows), static_cast<int>(n)));
}

napi_value Activate(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!args(env, info, argv)) return status(env, ERR_ARGUMENT);
  Engine* e;
  if (!get_engine(env, argv[0], &e)) return status(env, ERR_DISPOSED);
  float* x;
  size_t lx;
  int64_t count, act;
  if (!get_f32(env, argv[1], &x, &lx) || !get_int(env, argv[2], &count) || !get_int(env, argv[3], &act))
    return status(env, ERR_ARGUMENT);
  if (act > ACT_GELU_TANH) return status(env, ERR_ARGUMENT);
  if (!fits(0, count, 1, lx)) return status(env, ERR_SHAPE);
  return status(env, e->activate(x, static_cast<size_t>(count), static_cast<int>(act)));
}

napi_value Init(napi_env env, napi_value exports) {
  const napi_property_descriptor props[] = {
      {"info", nullptr, Info, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"createEngine", nullptr, CreateEngine, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"engineInfo", nullptr, EngineInfo, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"destroyEngine", nullptr, DestroyEngine, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"matmul", nullptr, Matmul, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"packWeight", nullptr, PackWeight, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"packedBytes", nullptr, PackedBytes, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"freePacked", nullptr, FreePacked, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"matmulPacked", nullptr, MatmulPacked, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"attention", nullptr, Attention, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"layerNorm", nullptr, LayerNorm, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"softmaxRows", nullptr, SoftmaxRows, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"activate", nullptr, Activate, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

}  // namespace
}  // namespace deberta

NAPI_MODULE_INIT() { return deberta::Init(env, exports); }
