// The BLIS-style loop nest around the per-ISA micro-kernels, shared by every path:
//
//   C[m, n] = act(A[m, k] * B[k, n] + bias[n])
//
//   B is packed once into panels of NR columns (k x NR each; Linear weights at load time, other operands
//   into scratch per call). The M x N plane is cut into tasks (N panel ranges first, then M ranges when
//   there are fewer panels than threads); each task, on any thread of the pool:
//     for pc in K by KC:                    B's panels' KC slice stays in L1/L2 across the M blocks
//       for ic in the task's rows by MC:   pack A[ic.., pc..] (MC x KC, MR-row panels) into L2
//         macro-kernel over the task's panels: MR x NR register tiles, C += on later K blocks,
//         the epilogue (bias, activation) on the last K block while the tile is in registers.
#include <stdlib.h>
#include <string.h>

#include "engine.h"

namespace deberta {

float* aligned_floats(size_t floats) {
  size_t bytes = (floats * sizeof(float) + 63) & ~static_cast<size_t>(63);
  if (bytes == 0) bytes = 64;
  return static_cast<float*>(aligned_alloc(64, bytes));
}

void free_floats(float* p) { free(p); }

Engine::Engine(const IsaKernels* isa, int threads) : isa_(isa), pool_(threads) {
  const int n = pool_.threads();
  a_scratch_ = static_cast<float**>(calloc(n, sizeof(float*)));
  if (a_scratch_ == nullptr) {
    ok_ = false;
    return;
  }
  for (int i = 0; i < n; i++) {
    a_scratch_[i] = aligned_floats(static_cast<size_t>(isa->mc) * isa->kc);
    if (a_scratch_[i] == nullptr) ok_ = false;
  }
}

Engine::~Engine() {
  if (a_scratch_ != nullptr) {
    for (int i = 0; i < pool_.threads(); i++) free_floats(a_scratch_[i]);
    free(a_scratch_);
  }
  if (att_scratch_ != nullptr) {
    for (int i = 0; i < pool_.threads(); i++) free_floats(att_scratch_[i]);
    free(att_scratch_);
  }
  free(att_index_);
  free_floats(b_scratch_);
  free_floats(bias_scratch_);
}

float* Engine::grow(float** buf, size_t* cap, size_t floats) {
  if (*cap >= floats && *buf != nullptr) return *buf;
  free_floats(*buf);
  *buf = aligned_floats(floats);
  *cap = *buf == nullptr ? 0 : floats;
  return *buf;
}

namespace {

struct PackJob {
  const IsaKernels* isa;
  const float* b;
  size_t ldb;
  bool transposed;
  int k, n, chunk_panels;
  float* out;
};

void pack_task(void* ctx, int task, int) {
  const PackJob& j = *static_cast<PackJob*>(ctx);
  const int nr = j.isa->nr;
  const int j0 = task * j.chunk_panels * nr;
  const int cols = j.n - j0 < j.chunk_panels * nr ? j.n - j0 : j.chunk_panels * nr;
  j.isa->pack_b(j.b, j.ldb, j.transposed, j.k, j0, cols, j.out + static_cast<size_t>(j0) * j.k);
}

struct GemmJob {
  const IsaKernels* isa;
  float** a_scratch;
  const float* a;
  int m, k, n;
  const float* pb;
  float* c;
  const float* bias;
  int act;
  int n_chunks, m_chunks;
  int panels;
};

void gemm_task(void* ctx, int task, int thread) {
  const GemmJob& j = *static_cast<GemmJob*>(ctx);
  const IsaKernels& isa = *j.isa;
  const int nr = isa.nr, mr = isa.mr;
  const int nt = task % j.n_chunks, mt = task / j.n_chunks;
  // Even splits of the panels and of the MR-row panels.
  const int p0 = static_cast<int>(static_cast<long long>(j.panels) * nt / j.n_chunks);
  const int p1 = static_cast<int>(static_cast<long long>(j.panels) * (nt + 1) / j.n_chunks);
  const int row_panels = (j.m + mr - 1) / mr;
  const int m0 = static_cast<int>(static_cast<long long>(row_panels) * mt / j.m_chunks) * mr;
  int m1 = static_cast<int>(static_cast<long long>(row_panels) * (mt + 1) / j.m_chunks) * mr;
  if (m1 > j.m) m1 = j.m;
  if (p0 >= p1 || m0 >= m1) return;
  const int col0 = p0 * nr;
  const int cols = (p1 * nr < j.n ? p1 * nr : j.n) - col0;
  const size_t panel_stride = static_cast<size_t>(j.k) * nr;
  float* abuf = j.a_scratch[thread];
  const Epilogue ep = {j.bias == nullptr ? nullptr : j.bias + col0, j.act};
  // k == 0 still runs one (empty) K block, so C gets the epilogue of zero.
  for (int pc = 0; pc < j.k || (pc == 0 && j.k == 0); pc += isa.kc) {
    const int kcb = j.k - pc < isa.kc ? j.k - pc : isa.kc;
    const bool last = pc + kcb >= j.k;
    const bool use_ep = last && (j.bias != nullptr || j.act != ACT_NONE);
    for (int ic = m0; ic < m1; ic += isa.mc) {
      const int mcb = m1 - ic < isa.mc ? m1 - ic : isa.mc;
      isa.pack_a(j.a + static_cast<size_t>(ic) * j.k + pc, j.k, mcb, kcb, abuf);
      isa.macro(abuf, mcb, kcb, j.pb + static_cast<size_t>(p0) * panel_stride + static_cast<size_t>(pc) * nr,
                panel_stride, cols, j.c + static_cast<size_t>(ic) * j.n + col0, j.n, pc > 0,
                use_ep ? &ep : nullptr);
    }
  }
}

// Products below this many multiply-adds run on the calling thread alone (waking workers costs more).
constexpr double kParallelMacs = 1 << 18;

}  // namespace

Status Engine::pack(const float* b, size_t ldb, bool transposed, int k, int n, float* out) {
  const int panels = (n + isa_->nr - 1) / isa_->nr;
  const int tasks = static_cast<double>(k) * n >= kParallelMacs / 8 ? pool_.threads() : 1;
  PackJob job = {isa_, b, ldb, transposed, k, n, (panels + tasks - 1) / tasks, out};
  const int used = job.chunk_panels == 0 ? 0 : (panels + job.chunk_panels - 1) / job.chunk_panels;
  pool_.run(used, pack_task, &job);
  return OK;
}

Status Engine::pack_weight(const float* w, int n, int k, PackedB* out) {
  const int panels = (n + isa_->nr - 1) / isa_->nr;
  const size_t floats = static_cast<size_t>(panels) * isa_->nr * k;
  float* data = aligned_floats(floats);
  if (data == nullptr) return ERR_OUT_OF_MEMORY;
  pack(w, k, true, k, n, data);
  out->data = data;
  out->n = n;
  out->k = k;
  out->isa = isa_;
  out->bytes = floats * sizeof(float);
  return OK;
}

Status Engine::run(const float* a, int m, int k, const float* pb, int n, float* c, const float* bias, int act) {
  if (m == 0 || n == 0) return OK;
  const int nr = isa_->nr;
  const int panels = (n + nr - 1) / nr;
  const float* padded = nullptr;
  if (bias != nullptr) {
    float* buf = grow(&bias_scratch_, &bias_cap_, static_cast<size_t>(panels) * nr);
    if (buf == nullptr) return ERR_OUT_OF_MEMORY;
    memcpy(buf, bias, sizeof(float) * n);
    memset(buf + n, 0, sizeof(float) * (static_cast<size_t>(panels) * nr - n));
    padded = buf;
  }
  const int threads = static_cast<double>(m) * n * (k > 0 ? k : 1) >= kParallelMacs ? pool_.threads() : 1;
  const int row_panels = (m + isa_->mr - 1) / isa_->mr;
  int n_chunks = panels < threads ? panels : threads;
  int m_chunks = (threads + n_chunks - 1) / n_chunks;
  if (m_chunks > row_panels) m_chunks = row_panels;
  GemmJob job = {isa_, a_scratch_, a, m, k, n, pb, c, padded, act, n_chunks, m_chunks, panels};
  pool_.run(n_chunks * m_chunks, gemm_task, &job);
  return OK;
}

Status Engine::gemm_packed(const float* a, int m, const PackedB& b, float* c, const float* bias, int act) {
  if (act <= ACT_LAST_EPILOGUE) return run(a, m, b.k, b.data, b.n, c, bias, act);
  // tanh / sigmoid are not epilogue activations: the bias in the epilogue, the activation after.
  const Status s = run(a, m, b.k, b.data, b.n, c, bias, ACT_NONE);
  return s != OK ? s : activate(c, static_cast<size_t>(m) * b.n, act);
}

uint64_t Engine::take_ticket() {
  std::lock_guard<std::mutex> lock(turn_mu_);
  return next_ticket_++;
}

void Engine::wait_turn(uint64_t ticket) {
  std::unique_lock<std::mutex> lock(turn_mu_);
  turn_cv_.wait(lock, [&] { return serving_ == ticket; });
}

void Engine::end_turn() {
  {
    std::lock_guard<std::mutex> lock(turn_mu_);
    serving_++;
  }
  turn_cv_.notify_all();
}

Status Engine::gemm(const float* a, const float* b, bool transposed, float* c, int m, int n, int k) {
  if (m == 0 || n == 0) return OK;
  const int panels = (n + isa_->nr - 1) / isa_->nr;
  float* pb = grow(&b_scratch_, &b_cap_, static_cast<size_t>(panels) * isa_->nr * (k > 0 ? k : 1));
  if (pb == nullptr) return ERR_OUT_OF_MEMORY;
  pack(b, transposed ? k : n, transposed, k, n, pb);
  return run(a, m, k, pb, n, c, nullptr, ACT_NONE);
}

}  // namespace deberta
