// Runs kernels/disentangled_attention.cu (float32) on the CPU through common.cuh's stand-ins and compares it
// with a float64 transcription of the op's reference (packages/tensor/src/reference/disentangled-attention.ts):
// multi-tile lengths (online softmax across key tiles, band offsets), clamped and unclamped spans, c2p / p2c
// present or absent, 2-D / 3-D and int / float masks with fully masked rows, probabilities on or off, head
// sizes up to 128, and DeBERTa-v2's inputs: a key bias and a random relative index table (arbitrary rows, so
// the kernel must read the table, not assume log buckets; one table has entries outside [0, 2·span), which
// the kernel clamps). Built and run by src/attention-emulation.test.ts from a temporary directory holding this
// file, the emulation common.cuh and a copy of the kernel. Prints one line per case; exit 1 on a mismatch.
#include <cfloat>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <thread>
#include <vector>

#include "disentangled_attention.cu"

namespace {

struct Case {
  int B, L, H, hs, span;
  bool c2p, p2c, mask3d, maskInt, probs;
  bool kBias = false;  // v2: a key bias
  int table = 0;       // v2: 0 no relative index table, 1 a table in [0, 2·span), 2 one with entries outside
};

void runKernel(const Case& c, float* context, float* probs, const float* qkv, const float* qBias, const float* vBias,
               const void* mask, const float* posKey, const float* posQuery, const float* kBias,
               const int* relIndex, float scale) {
  const int gx = (c.L + 63) / 64;
  blockDim = {256, 1, 1};
  gridDim = {gx, c.H, c.B};
  std::barrier<> barrier(256);
  emuBarrier = &barrier;
  for (int z = 0; z < c.B; z++)
    for (int y = 0; y < c.H; y++)
      for (int x = 0; x < gx; x++) {
        std::vector<std::thread> threads;
        threads.reserve(256);
        for (int t = 0; t < 256; t++)
          threads.emplace_back([&, t, x, y, z] {
            threadIdx = {t, 0, 0};
            blockIdx = {x, y, z};
            disentangled_attention_f32(context, probs, qkv, qBias, vBias, mask, posKey, posQuery, kBias, relIndex,
                                       c.L, c.H, c.hs, c.span, scale, c.mask3d ? 1 : 0, c.maskInt ? 1 : 0);
          });
        for (auto& th : threads) th.join();
      }
  emuBarrier = nullptr;
}

bool runCase(const Case& c, std::mt19937& rng) {
  std::uniform_real_distribution<float> uni(-1.0f, 1.0f);
  const int B = c.B, L = c.L, H = c.H, hs = c.hs, rel = 2 * c.span;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hs));
  std::vector<float> qkv(static_cast<size_t>(B) * L * H * 3 * hs), qBias(H * hs), vBias(H * hs), kBias(H * hs);
  std::vector<float> posKey(static_cast<size_t>(H) * rel * hs), posQuery(posKey.size());
  for (auto* v : {&qkv, &qBias, &vBias, &kBias, &posKey, &posQuery})
    for (auto& e : *v) e = uni(rng);
  std::vector<int> table(2 * L - 1);
  const int slack = c.table == 2 ? 3 : 0;
  std::uniform_int_distribution<int> row(-slack, rel - 1 + slack);
  for (auto& t : table) t = row(rng);
  // Masks: random zeros, row 1 of batch 0 fully dropped (2-D: its own mask bit; 3-D: the whole row), and in
  // 3-D a row kept only past the first key tile.
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
  std::vector<float> maskF(keep.begin(), keep.end());
  const void* mask = c.maskInt ? static_cast<const void*>(keep.data()) : static_cast<const void*>(maskF.data());

  std::vector<float> context(static_cast<size_t>(B) * L * H * hs, NAN);
  std::vector<float> probs(c.probs ? static_cast<size_t>(B) * H * L * L : 0, NAN);
  runKernel(c, context.data(), c.probs ? probs.data() : nullptr, qkv.data(), qBias.data(), vBias.data(), mask,
            c.c2p ? posKey.data() : nullptr, c.p2c ? posQuery.data() : nullptr, c.kBias ? kBias.data() : nullptr,
            c.table != 0 ? table.data() : nullptr, scale);

  double maxCtx = 0, maxProb = 0;
  const size_t width = static_cast<size_t>(3) * H * hs;
  std::vector<double> s(L);
  for (int b = 0; b < B; b++)
    for (int h = 0; h < H; h++)
      for (int i = 0; i < L; i++) {
        const float* qi = &qkv[(static_cast<size_t>(b) * L + i) * width + static_cast<size_t>(h) * 3 * hs];
        std::vector<double> q(hs);
        for (int d = 0; d < hs; d++) q[d] = (static_cast<double>(qi[d]) + qBias[h * hs + d]) * scale;
        double mx = -DBL_MAX;
        for (int j = 0; j < L; j++) {
          const float* kRow = &qkv[(static_cast<size_t>(b) * L + j) * width + static_cast<size_t>(h) * 3 * hs + hs];
          std::vector<double> kj(hs);
          for (int d = 0; d < hs; d++) kj[d] = static_cast<double>(kRow[d]) + (c.kBias ? kBias[h * hs + d] : 0.0);
          int delta = c.table != 0 ? table[i - j + L - 1] : i - j + c.span;
          delta = delta < 0 ? 0 : (delta > rel - 1 ? rel - 1 : delta);
          const float* pk = &posKey[(static_cast<size_t>(h) * rel + delta) * hs];
          const float* pq = &posQuery[(static_cast<size_t>(h) * rel + delta) * hs];
          double v = 0;
          for (int d = 0; d < hs; d++) {
            v += q[d] * kj[d];
            if (c.c2p) v += q[d] * pk[d];
            if (c.p2c) v += kj[d] * pq[d];
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
          for (int j = 0; j < L; j++)
            o += s[j] * (static_cast<double>(qkv[(static_cast<size_t>(b) * L + j) * width + static_cast<size_t>(h) * 3 * hs +
                                                  2 * hs + d]) +
                         vBias[h * hs + d]);
          const double got = context[(static_cast<size_t>(b) * L + i) * H * hs + static_cast<size_t>(h) * hs + d];
          const double err = std::fabs(got - o);
          maxCtx = std::isnan(got) || err > maxCtx ? (std::isnan(got) ? INFINITY : err) : maxCtx;
        }
        if (c.probs)
          for (int j = 0; j < L; j++) {
            const double got = probs[((static_cast<size_t>(b) * H + h) * L + i) * L + j];
            const double err = std::fabs(got - s[j]);
            maxProb = std::isnan(got) || err > maxProb ? (std::isnan(got) ? INFINITY : err) : maxProb;
          }
      }
  // float32 against float64 rounding is ~1e-6 here; an indexing or masking slip is ~1e-2.
  const bool ok = maxCtx <= 1e-4 && maxProb <= 1e-5;
  std::printf(
      "%s B=%d L=%d H=%d hs=%d span=%d c2p=%d p2c=%d mask=%s%s probs=%d kBias=%d table=%d: context %.3g probs %.3g\n",
      ok ? "ok  " : "FAIL", B, L, H, hs, c.span, c.c2p, c.p2c, c.mask3d ? "3d" : "2d", c.maskInt ? "int" : "float",
      c.probs, c.kBias, c.table, maxCtx, maxProb);
  return ok;
}

}  // namespace

int main() {
  std::mt19937 rng(11);
  const Case cases[] = {
      {2, 7, 3, 4, 7, true, true, false, true, true},        // the conformance shapes
      {2, 9, 2, 5, 3, true, true, false, false, true},       // clamped span
      {1, 6, 2, 4, 6, false, true, false, true, true},       // p2c only
      {2, 5, 1, 8, 5, true, false, true, true, false},       // c2p only, 3-D mask
      {2, 6, 4, 3, 6, false, false, false, true, true},      // no relative terms
      {1, 1, 1, 16, 1, true, true, false, true, true},       // one token
      {1, 130, 2, 64, 128, true, true, false, true, false},  // three query / key tiles, span < L
      {1, 130, 1, 64, 130, true, true, false, true, true},   // probabilities over three tiles
      {1, 128, 1, 64, 64, true, true, true, false, true},    // 3-D float mask, clamped, row kept past tile 0
      {1, 96, 1, 128, 200, true, true, false, true, false},  // head size 128 (V' in chunks of 32 keys)
      {1, 70, 1, 100, 40, false, true, true, true, true},    // head size 100, not a multiple of 16
      {1, 64, 1, 17, 64, true, false, false, false, false},  // one full tile
      // DeBERTa-v2: key bias and relative index table.
      {2, 9, 3, 4, 4, true, true, false, true, true, true, 1},       // the conformance shapes
      {1, 7, 2, 5, 3, false, true, true, false, true, true, 1},      // p2c only, 3-D float mask
      {1, 70, 2, 8, 16, true, false, false, true, false, true, 1},   // c2p only, two tiles
      {1, 130, 1, 64, 32, true, true, false, true, true, true, 1},   // three tiles, probabilities
      {1, 100, 1, 64, 24, true, true, true, true, false, false, 2},  // table outside [0, 2·span): clamped
      {1, 40, 2, 16, 8, false, true, false, true, true, true, 0},    // key bias, clamped δ (q'·k_bias is
                                                                     // constant in a row: p2c shows it)
  };
  bool ok = true;
  for (const Case& c : cases) ok = runCase(c, rng) && ok;
  std::printf(ok ? "all cases match\n" : "MISMATCH\n");
  return ok ? 0 : 1;
}
