// runProgram(engine, buffers, packed, code, async): decodes a recorded program (program.h), checks every
// command against the real lengths and types of the arrays it names, then runs it: at once on the calling
// thread (async false: returns a number), or on a libuv worker thread (async true: returns a Promise of that
// number) so the JavaScript thread keeps running. The number is 0, or status + 16 * index of the failing
// command. A program that fails its checks runs nothing and returns that number at once, even when async.
//
// While a program runs asynchronously it holds references to every array and External it uses (nothing it
// reads can be collected) and counts as in flight on the engine and on each packed weight, whose
// destroyEngine / freePacked then wait for it (binding.cc). Its turn on the engine is taken here, on the
// JavaScript thread, so it runs after every call issued before it and before every call issued after.
#include <math.h>
#include <node_api.h>
#include <stdint.h>
#include <stdlib.h>

#include <new>

#include "napi_util.h"
#include "program.h"

namespace deberta {
namespace {

constexpr uint32_t kMaxBuffers = 1u << 20;
constexpr size_t kMaxCode = size_t{1} << 26;

struct Buffer {
  void* data;
  int64_t length;  // elements
  napi_typedarray_type type;
};

// Reads the code's numbers one after another; any value out of range makes `ok` false.
class Reader {
 public:
  Reader(const double* code, size_t n) : code_(code), n_(n) {}
  bool ok = true;
  bool done() const { return pos_ >= n_; }
  size_t pos() const { return pos_; }

  int64_t integer(int64_t lo, int64_t hi) {
    if (pos_ >= n_) return fail(lo);
    const double d = code_[pos_++];
    if (!(d >= static_cast<double>(lo) && d <= static_cast<double>(hi)) || d != floor(d)) return fail(lo);
    return static_cast<int64_t>(d);
  }
  int64_t dim() { return integer(0, kMaxDim); }
  double real() {
    if (pos_ >= n_) return fail(0);
    const double d = code_[pos_++];
    if (!isfinite(d)) return fail(0);
    return d;
  }

 private:
  int64_t fail(int64_t v) {
    ok = false;
    pos_ = n_;
    return v;
  }
  const double* code_;
  size_t n_;
  size_t pos_ = 0;
};

struct Decoder {
  const Buffer* buffers;
  uint32_t buffer_count;
  PackedBox* const* packed;
  uint32_t packed_count;
  const Engine* engine;
  Reader r;
  Status status = OK;

  int64_t index() { return r.integer(-1, static_cast<int64_t>(buffer_count) - 1); }

  bool fail(Status s) {
    if (status == OK) status = s;
    return false;
  }

  // A buffer of `type` holding at least offset + count elements; index -1 gives null when `optional`.
  void* buffer(int64_t i, napi_typedarray_type type, int64_t offset, int64_t count, bool optional = false) {
    if (i < 0) {
      if (!optional) fail(ERR_ARGUMENT);
      return nullptr;
    }
    const Buffer& b = buffers[i];
    if (b.type != type) {
      fail(ERR_ARGUMENT);
      return nullptr;
    }
    if (offset < 0 || count < 0 || offset + count > b.length) {
      fail(ERR_SHAPE);
      return nullptr;
    }
    return static_cast<char*>(b.data) + offset * 4;
  }
  float* f32(int64_t i, int64_t offset, int64_t count, bool optional = false) {
    return static_cast<float*>(buffer(i, napi_float32_array, offset, count, optional));
  }
  // A 4-byte-element buffer (float32 or int32), for copies.
  void* any32(int64_t i, int64_t offset, int64_t count) {
    if (i < 0) return fail(ERR_ARGUMENT), nullptr;
    const napi_typedarray_type t = buffers[i].type;
    if (t != napi_float32_array && t != napi_int32_array) return fail(ERR_ARGUMENT), nullptr;
    return buffer(i, t, offset, count);
  }

  // rank, dims[6], then per input: offset, strides[6]; checks every reachable offset of every input.
  bool strided(Strided* s, int inputs, const int64_t* index, int64_t* total) {
    s->rank = static_cast<int>(r.integer(1, kMaxRank));
    int64_t n = 1;
    for (int d = 0; d < kMaxRank; d++) {
      s->dims[d] = r.dim();
      if (d < s->rank) n = n > kMaxDim || s->dims[d] > kMaxDim ? kMaxDim + 1 : n * s->dims[d];
    }
    for (int k = 0; k < 2; k++) {
      s->offset[k] = 0;
      for (int d = 0; d < kMaxRank; d++) s->stride[k][d] = 0;
    }
    for (int k = 0; k < inputs; k++) {
      s->offset[k] = r.dim();
      for (int d = 0; d < kMaxRank; d++) s->stride[k][d] = r.dim();
    }
    if (!r.ok) return fail(ERR_ARGUMENT);
    if (n > kMaxDim) return fail(ERR_SHAPE);
    *total = n;
    for (int k = 0; k < inputs; k++) {
      if (index[k] < 0) continue;  // an optional input that is absent
      if (n == 0) continue;
      __int128 last = s->offset[k];
      for (int d = 0; d < s->rank; d++) last += static_cast<__int128>(s->dims[d] - 1) * s->stride[k][d];
      if (last >= buffers[index[k]].length) return fail(ERR_SHAPE);
    }
    return true;
  }

  bool act(int64_t a) { return a >= ACT_NONE && a <= ACT_LAST ? true : fail(ERR_ARGUMENT); }

  bool decode(Command* c) {
    *c = Command{};
    c->op = static_cast<int>(r.integer(OP_LINEAR_PACKED, OP_COPY));
    if (!r.ok) return fail(ERR_ARGUMENT);
    switch (c->op) {
      case OP_LINEAR_PACKED: {
        const int64_t p = r.integer(0, static_cast<int64_t>(packed_count) - 1);
        const int64_t x = index(), xo = r.dim(), out = index(), oo = r.dim(), rows = r.dim(), bias = index();
        const int64_t a = r.integer(0, ACT_LAST);
        if (!r.ok) return fail(ERR_ARGUMENT);
        const PackedBox* box = packed[p];
        if (box->freed || box->packed.data == nullptr || box->packed.isa != engine->isa()) return fail(ERR_DISPOSED);
        c->packed = &box->packed;
        c->in[0] = f32(x, xo, rows * box->packed.k);
        c->out[0] = f32(out, oo, rows * box->packed.n);
        c->in[1] = f32(bias, 0, box->packed.n, true);
        c->i[0] = rows;
        c->i[1] = a;
        return status == OK;
      }
      case OP_LINEAR: {
        const int64_t x = index(), w = index(), out = index(), rows = r.dim(), n = r.dim(), k = r.dim(),
                      bias = index(), a = r.integer(0, ACT_LAST);
        if (!r.ok) return fail(ERR_ARGUMENT);
        c->in[0] = f32(x, 0, rows * k);
        c->in[1] = f32(w, 0, n * k);
        c->out[0] = f32(out, 0, rows * n);
        c->in[2] = f32(bias, 0, n, true);
        c->i[0] = rows;
        c->i[1] = n;
        c->i[2] = k;
        c->i[3] = a;
        return status == OK;
      }
      case OP_LAYER_NORM: {
        const int64_t x = index(), res = index(), g = index(), b = index(), out = index(), rows = r.dim(),
                      n = r.dim();
        const double eps = r.real();
        if (!r.ok) return fail(ERR_ARGUMENT);
        c->in[0] = f32(x, 0, rows * n);
        c->in[1] = f32(res, 0, rows * n, true);
        c->in[2] = f32(g, 0, n);
        c->in[3] = f32(b, 0, n);
        c->out[0] = f32(out, 0, rows * n);
        c->i[0] = rows;
        c->i[1] = n;
        c->f[0] = eps;
        return status == OK;
      }
      case OP_ATTENTION: {
        const int64_t qkv = index(), qb = index(), vb = index(), keep = index(), mask3d = r.integer(0, 1),
                      pk = index(), pq = index(), ctx = index(), probs = index();
        // Every product below stays far from int64 overflow: each factor is at most 2^31.
        const int64_t batch = r.dim(), length = r.integer(0, 1 << 16), heads = r.integer(0, 1 << 16),
                      hs = r.integer(0, 1 << 16), span = r.integer(0, kMaxDim / 4);
        const double scale = r.real();
        const int64_t kb = index(), table = index();
        if (!r.ok) return fail(ERR_ARGUMENT);
        const int64_t rows = batch * length;
        if (rows > kMaxDim || heads * hs > kMaxDim || batch * heads * length > kMaxDim ||
            ((pk >= 0 || pq >= 0) && span < 1) || (table >= 0 && length < 1))
          return fail(ERR_SHAPE);
        c->in[0] = f32(qkv, 0, rows * heads * 3 * hs);
        c->in[1] = f32(qb, 0, heads * hs);
        c->in[2] = f32(vb, 0, heads * hs);
        c->mask = buffer(keep, napi_int32_array, 0, mask3d ? rows * length : rows);
        c->in[3] = f32(pk, 0, heads * 2 * span * hs, true);
        c->in[4] = f32(pq, 0, heads * 2 * span * hs, true);
        c->out[0] = f32(ctx, 0, rows * heads * hs);
        c->out[1] = f32(probs, 0, batch * heads * length * length, true);
        c->in[5] = f32(kb, 0, heads * hs, true);
        if (table >= 0) {
          // The kernel reads posKey / posQuery rows at these entries: each must be one of the 2 * span rows.
          // (attention.cc checks its own copy again when the command runs.)
          c->indices = static_cast<const int32_t*>(buffer(table, napi_int32_array, 0, 2 * length - 1));
          if (c->indices != nullptr)
            for (int64_t n = 0; n < 2 * length - 1; n++)
              if (c->indices[n] < 0 || c->indices[n] >= 2 * span) return fail(ERR_SHAPE);
        }
        c->i[0] = mask3d;
        c->i[1] = batch;
        c->i[2] = length;
        c->i[3] = heads;
        c->i[4] = hs;
        c->i[5] = span;
        c->f[0] = scale;
        return status == OK;
      }
      case OP_ACTIVATE: {
        const int64_t x = index(), out = index(), count = r.dim(), a = r.integer(0, ACT_LAST);
        if (!r.ok) return fail(ERR_ARGUMENT);
        c->in[0] = f32(x, 0, count);
        c->out[0] = f32(out, 0, count);
        c->i[0] = count;
        c->i[1] = a;
        return status == OK;
      }
      case OP_MASKED_SOFTMAX: {
        const int64_t x = index(), out = index(), rows = r.dim(), n = r.dim(), mask = index();
        int64_t total = 0;
        if (!r.ok || !strided(&c->shape, 1, &mask, &total)) return fail(ERR_ARGUMENT);
        if (total != rows * n || c->shape.dims[c->shape.rank - 1] != n) return fail(ERR_SHAPE);
        c->in[0] = f32(x, 0, rows * n);
        c->out[0] = f32(out, 0, rows * n);
        if (mask >= 0) {
          const napi_typedarray_type t = buffers[mask].type;
          if (t != napi_float32_array && t != napi_int32_array) return fail(ERR_ARGUMENT);
          c->mask = buffers[mask].data;  // every reachable offset was checked by strided()
          c->i[2] = t == napi_int32_array;
        }
        c->i[0] = rows;
        c->i[1] = n;
        return status == OK;
      }
      case OP_GATHER: {
        const int64_t table = index(), rows = r.dim(), width = r.dim(), idx = index(), count = r.dim(),
                      out = index();
        if (!r.ok) return fail(ERR_ARGUMENT);
        c->in[0] = f32(table, 0, rows * width);
        c->indices = static_cast<const int32_t*>(buffer(idx, napi_int32_array, 0, count));
        c->out[0] = f32(out, 0, count * width);
        c->i[0] = rows;
        c->i[1] = width;
        c->i[2] = count;
        return status == OK;
      }
      case OP_BINARY: {
        const int64_t op = r.integer(BIN_ADD, BIN_MIN);
        int64_t in[2];
        in[0] = index();
        in[1] = index();
        const int64_t out = index();
        int64_t total = 0;
        if (!r.ok || !strided(&c->shape, 2, in, &total)) return fail(ERR_ARGUMENT);
        c->in[0] = f32(in[0], 0, 0);
        c->in[1] = f32(in[1], 0, 0);
        c->out[0] = f32(out, 0, total);
        c->i[0] = op;
        return status == OK;
      }
      case OP_AFFINE: {
        const int64_t x = index(), out = index(), count = r.dim();
        const double scale = r.real(), shift = r.real();
        if (!r.ok) return fail(ERR_ARGUMENT);
        c->in[0] = f32(x, 0, count);
        c->out[0] = f32(out, 0, count);
        c->i[0] = count;
        c->f[0] = scale;
        c->f[1] = shift;
        return status == OK;
      }
      case OP_COPY: {
        const int64_t x = index(), out = index();
        int64_t total = 0;
        if (!r.ok || !strided(&c->shape, 1, &x, &total)) return fail(ERR_ARGUMENT);
        c->in[0] = static_cast<const float*>(any32(x, 0, 0));
        if (status != OK) return false;
        if (out < 0 || buffers[out].type != buffers[x].type) return fail(ERR_ARGUMENT);
        c->out[0] = static_cast<float*>(any32(out, 0, total));
        return status == OK;
      }
      default:
        return fail(ERR_ARGUMENT);
    }
  }
};

struct Program {
  EngineBox* engine_box;
  Engine* engine;
  Command* commands;
  size_t count;
  PackedBox** packed;  // every packed weight, referenced or not (their in_flight counts)
  uint32_t packed_count;
  napi_ref* refs;  // the engine External, every buffer and every packed External
  uint32_t ref_count;
  uint64_t ticket;
  napi_async_work work;
  napi_deferred deferred;
  Status status;
  size_t failed;
};

void free_program(napi_env env, Program* p) {
  for (uint32_t i = 0; i < p->ref_count; i++)
    if (p->refs[i] != nullptr) napi_delete_reference(env, p->refs[i]);
  free(p->refs);
  free(p->packed);
  delete[] p->commands;
  delete p;
}

napi_value result_number(napi_env env, Status s, size_t failed) {
  return make_int(env, s == OK ? 0 : static_cast<int64_t>(s) + 16 * static_cast<int64_t>(failed));
}

void execute(napi_env, void* data) {
  Program* p = static_cast<Program*>(data);
  p->engine->wait_turn(p->ticket);
  p->failed = 0;
  p->status = run_program(p->engine, p->commands, p->count, &p->failed);
  p->engine->end_turn();
}

void complete(napi_env env, napi_status, void* data) {
  Program* p = static_cast<Program*>(data);
  napi_resolve_deferred(env, p->deferred, result_number(env, p->status, p->failed));
  napi_delete_async_work(env, p->work);
  for (uint32_t i = 0; i < p->packed_count; i++) {
    PackedBox* box = p->packed[i];
    if (--box->in_flight == 0 && box->freed) {
      free_floats(box->packed.data);
      box->packed.data = nullptr;
    }
  }
  EngineBox* eb = p->engine_box;
  if (--eb->in_flight == 0 && eb->closed && eb->engine != nullptr) {
    delete eb->engine;
    eb->engine = nullptr;
  }
  free_program(env, p);
}

}  // namespace

napi_value RunProgram(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  if (!args(env, info, argv)) return status(env, ERR_ARGUMENT);
  EngineBox* engine_box;
  Engine* e;
  if (!get_external(env, argv[0], &engine_box) || !get_engine(env, argv[0], &e)) return status(env, ERR_DISPOSED);
  bool is_array = false, async = false;
  uint32_t buffer_count = 0, packed_count = 0;
  if (napi_is_array(env, argv[1], &is_array) != napi_ok || !is_array ||
      napi_get_array_length(env, argv[1], &buffer_count) != napi_ok || buffer_count > kMaxBuffers ||
      napi_is_array(env, argv[2], &is_array) != napi_ok || !is_array ||
      napi_get_array_length(env, argv[2], &packed_count) != napi_ok || packed_count > kMaxBuffers ||
      !get_bool(env, argv[4], &async))
    return status(env, ERR_ARGUMENT);
  bool is_typed = false;
  napi_typedarray_type code_type;
  size_t code_length = 0;
  void* code_data = nullptr;
  if (napi_is_typedarray(env, argv[3], &is_typed) != napi_ok || !is_typed ||
      napi_get_typedarray_info(env, argv[3], &code_type, &code_length, &code_data, nullptr, nullptr) != napi_ok ||
      code_type != napi_float64_array || code_length > kMaxCode)
    return status(env, ERR_ARGUMENT);

  Program* p = new (std::nothrow) Program{};
  Buffer* buffers = static_cast<Buffer*>(calloc(buffer_count + 1, sizeof(Buffer)));
  if (p == nullptr || buffers == nullptr) {
    delete p;
    free(buffers);
    return status(env, ERR_OUT_OF_MEMORY);
  }
  p->engine_box = engine_box;
  p->engine = e;
  p->packed = static_cast<PackedBox**>(calloc(packed_count + 1, sizeof(PackedBox*)));
  p->refs = static_cast<napi_ref*>(calloc(1 + buffer_count + packed_count, sizeof(napi_ref)));
  Status s = p->packed == nullptr || p->refs == nullptr ? ERR_OUT_OF_MEMORY : OK;
  for (uint32_t i = 0; s == OK && i < buffer_count; i++) {
    napi_value v;
    size_t length;
    if (napi_get_element(env, argv[1], i, &v) != napi_ok ||
        napi_is_typedarray(env, v, &is_typed) != napi_ok || !is_typed ||
        napi_get_typedarray_info(env, v, &buffers[i].type, &length, &buffers[i].data, nullptr, nullptr) != napi_ok ||
        (buffers[i].type != napi_float32_array && buffers[i].type != napi_int32_array) ||
        length > static_cast<size_t>(kMaxDim) * 2)
      s = ERR_ARGUMENT;
    else {
      buffers[i].length = static_cast<int64_t>(length);
      if (async && napi_create_reference(env, v, 1, &p->refs[p->ref_count++]) != napi_ok) s = ERR_OUT_OF_MEMORY;
    }
  }
  for (uint32_t i = 0; s == OK && i < packed_count; i++) {
    napi_value v;
    if (napi_get_element(env, argv[2], i, &v) != napi_ok || !get_external(env, v, &p->packed[i]))
      s = ERR_ARGUMENT;
    else if (async && napi_create_reference(env, v, 1, &p->refs[p->ref_count++]) != napi_ok)
      s = ERR_OUT_OF_MEMORY;
  }
  p->packed_count = s == OK ? packed_count : 0;

  // Commands: count them first (every opcode has a fixed argument list), then decode into an array.
  size_t failed = 0;
  if (s == OK) {
    Decoder counter{buffers, buffer_count, p->packed, packed_count, e, Reader(static_cast<double*>(code_data), code_length)};
    Command scratch;
    while (!counter.r.done() && counter.decode(&scratch)) p->count++;
    if (counter.status != OK) {
      s = counter.status;
      failed = p->count;
    }
  }
  if (s == OK && p->count > 0) {
    p->commands = new (std::nothrow) Command[p->count];
    if (p->commands == nullptr) s = ERR_OUT_OF_MEMORY;
  }
  if (s == OK) {
    Decoder d{buffers, buffer_count, p->packed, packed_count, e, Reader(static_cast<double*>(code_data), code_length)};
    for (size_t k = 0; k < p->count; k++) d.decode(&p->commands[k]);
  }
  free(buffers);
  if (s != OK) {
    p->packed_count = 0;  // nothing was counted in flight yet
    free_program(env, p);
    return result_number(env, s, failed);
  }

  if (!async) {
    Turn turn(e);
    s = run_program(e, p->commands, p->count, &failed);
    free_program(env, p);
    return result_number(env, s, failed);
  }

  napi_value promise, name;
  if (napi_create_reference(env, argv[0], 1, &p->refs[p->ref_count++]) != napi_ok ||
      napi_create_promise(env, &p->deferred, &promise) != napi_ok ||
      napi_create_string_utf8(env, "deberta-cpu-program", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_async_work(env, nullptr, name, execute, complete, p, &p->work) != napi_ok) {
    // A created promise is left pending: nothing else holds it, and the caller gets a status instead.
    p->packed_count = 0;
    free_program(env, p);
    return status(env, ERR_OUT_OF_MEMORY);
  }
  p->ticket = e->take_ticket();
  if (napi_queue_async_work(env, p->work) != napi_ok) {
    // Give the turn back in order, so later calls do not wait forever.
    e->wait_turn(p->ticket);
    e->end_turn();
    napi_delete_async_work(env, p->work);
    p->packed_count = 0;
    free_program(env, p);
    return status(env, ERR_OUT_OF_MEMORY);
  }
  for (uint32_t i = 0; i < p->packed_count; i++) p->packed[i]->in_flight++;
  engine_box->in_flight++;
  return promise;
}

}  // namespace deberta
