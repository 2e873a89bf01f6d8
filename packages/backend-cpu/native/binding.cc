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
//   runProgram(engine, buffers, packed, code: Float64Array, async) -> number | Promise<number>
//             the recorded ops of a forward (program.h), run in order; binding_program.cc
//
// Calls that use the engine's pool take a turn (engine.h, Turn): a synchronous call made while an
// asynchronous program is queued or running waits for it, so every op runs in the order it was issued.
#include <node_api.h>
#include <stdint.h>
#include <string.h>

#include <new>

#include "engine.h"
#include "napi_util.h"

namespace deberta {
namespace {

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
  EngineBox* box = new (std::nothrow) EngineBox{engine, 0, false};
  napi_value out;
  if (box == nullptr || napi_create_external(env, box, finalize_engine, nullptr, &out) != napi_ok) {
    delete engine;
    delete box;
    return status(env, ERR_OUT_OF_MEMORY);
  }
  return out;
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
  box->closed = true;
  if (box->in_flight == 0) {
    delete box->engine;  // joins the workers
    box->engine = nullptr;
  }  // else the last running program deletes it (binding_program.cc)
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
  Turn turn(e);
  return status(env, e->gemm(a + ao, b + bo, trans, c + co, static_cast<int>(m), static_cast<int>(n),
                             static_cast<int>(k)));
}

void finalize_packed(napi_env, void* data, void*) {
  PackedBox* box = static_cast<PackedBox*>(data);
  free_floats(box->packed.data);
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
  Turn turn(e);
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
  box->freed = true;
  if (box->in_flight == 0) {
    free_floats(box->packed.data);
    box->packed.data = nullptr;
  }  // else the last running program that reads it frees it (binding_program.cc)
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
  if (act > ACT_LAST) return status(env, ERR_ARGUMENT);
  if (m > kMaxDim || !fits(ao, m, p.k, la) || !fits(co, m, p.n, lc) ||
      (bias != nullptr && lbias < static_cast<size_t>(p.n)))
    return status(env, ERR_SHAPE);
  Turn turn(e);
  return status(env, e->gemm_packed(a + ao, static_cast<int>(m), p, c + co, bias, static_cast<int>(act)));
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
      {"runProgram", nullptr, RunProgram, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

}  // namespace
}  // namespace deberta

NAPI_MODULE_INIT() { return deberta::Init(env, exports); }
