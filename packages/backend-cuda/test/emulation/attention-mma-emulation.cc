// Runs kernels/disentangled_attention_mma.cu (float16 and bfloat16) on the CPU through common.cuh's stand-ins
// (mmaSync unpacks each warp's fragments by PTX's documented m16n8k16 layout) and compares it with a float64
// transcription of the op's reference computed from the same storage-rounded inputs, q' = (q + q_bias)·scale
// and v' = v + v_bias rounded to the storage type as the kernel rounds them (what is left is P's rounding
// for P·V'): multi-tile lengths, clamped spans, c2p / p2c present or absent, 2-D / 3-D and int / float masks
// with fully masked rows, head sizes 32, 64 and 128, and DeBERTa-v2's key bias (k' = k + k_bias rounded to the
// storage type, as the kernel rounds it) and random relative index tables (one with entries outside
// [0, 2·span), which the kernel clamps). Built and run by src/attention-emulation.test.ts; one
// line per case; exit 1 on a mismatch. It checks the kernel's indexing against the documented fragment
// layout, not the hardware: the GPU checks (bench/gpu/checks.mjs) do that.
#include <cfloat>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <thread>
#include <vector>

#include "disentangled_attention_mma.cu"

namespace {

struct Case {
  int B, L, H, hs, span;
  bool c2p, p2c, mask3d, maskInt;
  bool kBias = false;  // v2: a key bias
  int table = 0;       // v2: 0 no relative index table, 1 a table in [0, 2·span), 2 one with entries outside
};

template <class T>
using Kernel = void (*)(T*, const T*, const T*, const T*, const void*, const T*, const T*, const T*, const int*, int,
                        int, int, int, float, int, int);

template <class T>
void runKernel(Kernel<T> kernel, const Case& c, T* context, const T* qkv, const T* qBias, const T* vBias,
               const void* mask, const T* posKey, const T* posQuery, const T* kBias, const int* relIndex,
               float scale) {
  const int gx = (c.L + 63) / 64;
  blockDim = {128, 1, 1};
  gridDim = {gx, c.H, c.B};
  std::barrier<> barrier(128);
  emuBarrier = &barrier;
  for (int z = 0; z < c.B; z++)
    for (int y = 0; y < c.H; y++)
      for (int x = 0; x < gx; x++) {
        std::vector<std::thread> threads;
        threads.reserve(128);
        for (int t = 0; t < 128; t++)
          threads.emplace_back([&, t, x, y, z] {
            threadIdx = {t, 0, 0};
            blockIdx = {x, y, z};
            kernel(context, qkv, qBias, vBias, mask, posKey, posQuery, kBias, relIndex, c.L, c.H, c.hs, c.span,
                   scale, c.mask3d ? 1 : 0, c.maskInt ? 1 : 0);
          });
        for (auto& th : threads) th.join();
      }
  emuBarrier = nullptr;
}

template <class T>
bool runCase(Kernel<T> kernel, const char* name, double tolerance, const Case& c, std::mt19937& rng) {
  std::uniform_real_distribution<float> uni(-1.0f, 1.0f);
  const int B = c.B, L = c.L, H = c.H, hs = c.hs, rel = 2 * c.span;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hs));
  auto randomT = [&](size_t n) {
    std::vector<T> v(n);
    for (auto& e : v) e = fromF<T>(uni(rng));
    return v;
  };
  const std::vector<T> qkv = randomT(static_cast<size_t>(B) * L * H * 3 * hs), qBias = randomT(H * hs),
                       vBias = randomT(H * hs), posKey = randomT(static_cast<size_t>(H) * rel * hs),
                       posQuery = randomT(static_cast<size_t>(H) * rel * hs), kBias = randomT(H * hs);
  std::vector<int> table(2 * L - 1);
  const int slack = c.table == 2 ? 3 : 0;
  std::uniform_int_distribution<int> row(-slack, rel - 1 + slack);
  for (auto& t : table) t = row(rng);
  const size_t maskSize = c.mask3d ? static_cast<size_t>(B) * L * L : static_cast<size_t>(B) * L;
  std::vector<int> keep(maskSize);
  for (auto& k : keep) k = uni(rng) > -0.6f ? 1 : 0;
  if (L > 1) {
    if (c.mask3d)
      for (int j = 0; j < L; j++) keep[static_cast<size_t>(1) * L + j] = 0;
    else
      keep[1] = 0;
  }
  if (c.mask3d && L > 70)
    for (int j = 0; j < L; j++) keep[static_cast<size_t>(2) * L + j] = j >= 64 ? 1 : 0;
  std::vector<T> maskT(keep.size());
  for (size_t e = 0; e < keep.size(); e++) maskT[e] = fromF<T>(static_cast<float>(keep[e]));
  const void* mask = c.maskInt ? static_cast<const void*>(keep.data()) : static_cast<const void*>(maskT.data());

  std::vector<T> context(static_cast<size_t>(B) * L * H * hs, fromF<T>(NAN));
  runKernel<T>(kernel, c, context.data(), qkv.data(), qBias.data(), vBias.data(), mask,
               c.c2p ? posKey.data() : nullptr, c.p2c ? posQuery.data() : nullptr, c.kBias ? kBias.data() : nullptr,
               c.table != 0 ? table.data() : nullptr, scale);

  double maxCtx = 0;
  const size_t width = static_cast<size_t>(3) * H * hs;
  auto at = [&](const std::vector<T>& v, size_t i) { return static_cast<double>(toF(v[i])); };
  std::vector<double> s(L);
  for (int b = 0; b < B; b++)
    for (int h = 0; h < H; h++)
      for (int i = 0; i < L; i++) {
        const size_t qi = (static_cast<size_t>(b) * L + i) * width + static_cast<size_t>(h) * 3 * hs;
        std::vector<double> q(hs);
        for (int d = 0; d < hs; d++) q[d] = toF(fromF<T>((toF(qkv[qi + d]) + toF(qBias[h * hs + d])) * scale));
        double mx = -DBL_MAX;
        for (int j = 0; j < L; j++) {
          const size_t kRow = (static_cast<size_t>(b) * L + j) * width + static_cast<size_t>(h) * 3 * hs + hs;
          std::vector<double> kj(hs);
          for (int d = 0; d < hs; d++)
            kj[d] = c.kBias ? toF(fromF<T>(toF(qkv[kRow + d]) + toF(kBias[h * hs + d]))) : at(qkv, kRow + d);
          int delta = c.table != 0 ? table[i - j + L - 1] : i - j + c.span;
          delta = delta < 0 ? 0 : (delta > rel - 1 ? rel - 1 : delta);
          const size_t pr = (static_cast<size_t>(h) * rel + delta) * hs;
          double v = 0;
          for (int d = 0; d < hs; d++) {
            v += q[d] * kj[d];
            if (c.c2p) v += q[d] * at(posKey, pr + d);
            if (c.p2c) v += kj[d] * at(posQuery, pr + d);
          }
          const bool kept = c.mask3d ? keep[(static_cast<size_t>(b) * L + i) * L + j] != 0
                                     : keep[static_cast<size_t>(b) * L + i] != 0 && keep[static_cast<size_t>(b) * L + j] != 0;
          s[j] = kept ? v : -static_cast<double>(FLT_MAX);
          mx = s[j] > mx ? s[j] : mx;
        }
        double sum = 0;
        for (int j = 0; j < L; j++) sum += (s[j] = std::exp(s[j] - mx));
        for (int j = 0; j < L; j++) s[j] /= sum;
        for (int d = 0; d < hs; d++) {
          double o = 0;
          for (int j = 0; j < L; j++) {
            const size_t vj = (static_cast<size_t>(b) * L + j) * width + static_cast<size_t>(h) * 3 * hs + 2 * hs + d;
            o += s[j] * toF(fromF<T>(toF(qkv[vj]) + toF(vBias[h * hs + d])));
          }
          const double got = toF(context[(static_cast<size_t>(b) * L + i) * H * hs + static_cast<size_t>(h) * hs + d]);
          const double err = std::fabs(got - o);
          maxCtx = std::isnan(got) || err > maxCtx ? (std::isnan(got) ? INFINITY : err) : maxCtx;
        }
      }
  const bool ok = maxCtx <= tolerance;
  std::printf(
      "%s %s B=%d L=%d H=%d hs=%d span=%d c2p=%d p2c=%d mask=%s%s kBias=%d table=%d: context %.3g (tolerance %.3g)\n",
      ok ? "ok  " : "FAIL", name, B, L, H, hs, c.span, c.c2p, c.p2c, c.mask3d ? "3d" : "2d",
      c.maskInt ? "int" : "float", c.kBias, c.table, maxCtx, tolerance);
  return ok;
}

}  // namespace

int main() {
  std::mt19937 rng(11);
  const Case cases[] = {
      {2, 7, 3, 32, 7, true, true, false, true},        // one partial tile (padding keys and rows)
      {1, 130, 2, 64, 128, true, true, false, true},    // three query / key tiles, span < L
      {1, 130, 1, 64, 20, true, true, false, false},    // heavily clamped span, float mask
      {1, 128, 1, 64, 64, true, true, true, false},     // 3-D float mask, row kept past tile 0
      {1, 70, 1, 32, 40, false, true, true, true},      // p2c only, 3-D int mask
      {1, 100, 1, 64, 50, true, false, false, true},    // c2p only
      {2, 65, 2, 64, 16, false, false, false, true},    // no relative terms
      {1, 96, 1, 128, 200, true, true, false, true},    // head size 128 (two head-dimension chunks)
      // DeBERTa-v2: key bias and relative index table.
      {2, 9, 3, 32, 4, true, true, false, true, true, 1},      // one partial tile
      {1, 130, 1, 64, 32, true, true, false, false, true, 1},  // three tiles, float mask
      {1, 70, 2, 32, 16, true, false, true, true, true, 1},    // c2p only, 3-D mask
      {1, 100, 1, 64, 24, false, true, false, true, true, 1},  // p2c only
      {1, 80, 1, 128, 40, true, true, false, true, false, 2},  // head size 128, table outside [0, 2·span)
      {1, 40, 1, 32, 8, false, true, false, true, true, 0},    // key bias, clamped δ
  };
  bool ok = true;
  // What is left is P rounded to the storage type for P·V' (2⁻¹¹ / 2⁻⁸ relative); an indexing slip is ~1e-1.
  for (const Case& c : cases) ok = runCase<__half>(disentangled_attention_mma_f16, "f16 ", 4e-3, c, rng) && ok;
  for (const Case& c : cases)
    ok = runCase<__nv_bfloat16>(disentangled_attention_mma_bf16, "bf16", 3e-2, c, rng) && ok;
  std::printf(ok ? "all cases match\n" : "MISMATCH\n");
  return ok ? 0 : 1;
}
