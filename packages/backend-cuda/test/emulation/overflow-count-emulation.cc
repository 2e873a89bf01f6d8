// Runs kernels/overflow_count.cu on the CPU through common.cuh's stand-ins (plus the two things it does not
// have: the grid-stride loop and atomicAdd) and compares each count with one made here from the values:
// every float16 and every bfloat16 bit pattern (±inf, NaN payloads, 65504 and its neighbours, subnormals),
// float32 specials and random data, odd lengths, a grid smaller than the data (blocks loop), an empty x, and
// the prepare kernel copying the previous tally. The limits' bit patterns come from the command line (the
// backend's magnitudeLimitBits) and must equal the ones derived here by search. Built and run by
// src/overflow-count-emulation.test.ts; prints one line per case and "all cases match", exit 1 otherwise.
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "common.cuh"

#define DCU_FOR_EACH(i, n)                                                          \
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < (n); \
       i += (long long)gridDim.x * blockDim.x)

inline int atomicAdd(int* address, int value) { return std::atomic_ref<int>(*address).fetch_add(value); }

#include "overflow_count.cu"

namespace {

constexpr int THREADS = 256;

/** Runs `kernel` on `blocks` blocks of THREADS threads, one block after another. */
template <class Kernel>
void launch(int blocks, Kernel kernel) {
  blockDim = {THREADS, 1, 1};
  gridDim = {blocks, 1, 1};
  std::barrier<> barrier(THREADS);
  emuBarrier = &barrier;
  for (int b = 0; b < blocks; b++) {
    std::vector<std::thread> threads;
    threads.reserve(THREADS);
    for (int t = 0; t < THREADS; t++)
      threads.emplace_back([&, t, b] {
        threadIdx = {t, 0, 0};
        blockIdx = {b, 0, 0};
        kernel();
      });
    for (auto& th : threads) th.join();
  }
  emuBarrier = nullptr;
}

float halfValue(uint16_t bits) {
  _Float16 h;
  std::memcpy(&h, &bits, 2);
  return static_cast<float>(h);
}

float bfloat16Value(uint16_t bits) {
  const uint32_t u = static_cast<uint32_t>(bits) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

float floatValue(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

/** The smallest magnitude pattern whose value reaches `limit`, by search. */
template <class Decode>
uint32_t searchLimitBits16(double limit, Decode decode) {
  for (uint32_t b = 0; b < 0x7fff; b++)
    if (static_cast<double>(decode(static_cast<uint16_t>(b))) >= limit) return b;
  return 0x7fff;
}

uint32_t searchLimitBits32(double limit) {
  float f = static_cast<float>(limit);
  if (static_cast<double>(f) < limit) f = std::nextafter(f, INFINITY);
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

bool ok = true;

void report(const std::string& name, long long got, long long want) {
  const bool match = got == want;
  ok = ok && match;
  std::printf("%s %s: %lld, expected %lld\n", match ? "ok  " : "FAIL", name.c_str(), got, want);
}

/** Counts x with the kernel (after the prepare kernel zeroes the slot) on `blocks` blocks. */
template <class Bits>
long long runCount(const std::vector<Bits>& x, uint32_t limitBits, int blocks) {
  int out[1] = {-7};
  launch(1, [&] { overflow_count_prepare(out, nullptr, 0); });
  if (out[0] != 0) return -1;
  const long long n = static_cast<long long>(x.size());
  launch(blocks, [&] {
    if constexpr (sizeof(Bits) == 4)
      overflow_count_32(out, x.data(), n, limitBits);
    else
      overflow_count_16(out, x.data(), n, limitBits);
  });
  return out[0];
}

template <class Decode>
void allPatterns16(const char* type, double limit, uint32_t limitBits, Decode decode) {
  std::vector<unsigned short> x(0x10000);
  long long want = 0;
  for (uint32_t b = 0; b < 0x10000; b++) {
    x[b] = static_cast<unsigned short>(b);
    const double v = decode(static_cast<uint16_t>(b));
    if (std::isnan(v) || std::fabs(v) >= limit) want++;
  }
  report(std::string(type) + " every bit pattern, limit " + std::to_string(limit) + ", 5 blocks (grid-stride)",
         runCount(x, limitBits, 5), want);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s f16Bits(65504) f16Bits(1.5) bf16Bits(65504) f32Bits(65504)\n", argv[0]);
    return 2;
  }
  const uint32_t f16Max = std::strtoul(argv[1], nullptr, 0), f16OneHalf = std::strtoul(argv[2], nullptr, 0);
  const uint32_t bf16Max = std::strtoul(argv[3], nullptr, 0), f32Max = std::strtoul(argv[4], nullptr, 0);
  report("float16 limit bits of 65504", f16Max, searchLimitBits16(65504, halfValue));
  report("float16 limit bits of 1.5", f16OneHalf, searchLimitBits16(1.5, halfValue));
  report("bfloat16 limit bits of 65504", bf16Max, searchLimitBits16(65504, bfloat16Value));
  report("float32 limit bits of 65504", f32Max, searchLimitBits32(65504));

  allPatterns16("float16", 65504, f16Max, halfValue);
  allPatterns16("float16", 1.5, f16OneHalf, halfValue);
  allPatterns16("bfloat16", 65504, bf16Max, bfloat16Value);

  // float32: specials, then random normal data with scattered large values, an odd length.
  std::vector<float> specials = {INFINITY, -INFINITY, NAN, -NAN, 65504.0f, -65504.0f, std::nextafter(65504.0f, 0.0f),
                                 3.4e38f, 1e-45f, 0.0f, -0.0f, 65519.0f, 1.0f};
  std::mt19937 rng(13);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> values(specials);
  for (int i = 0; i < 100003; i++) values.push_back(i % 997 == 0 ? normal(rng) * 1e6f : normal(rng));
  std::vector<unsigned> bits(values.size());
  long long want = 0;
  for (size_t i = 0; i < values.size(); i++) {
    std::memcpy(&bits[i], &values[i], 4);
    if (std::isnan(values[i]) || std::fabs(values[i]) >= 65504.0f) want++;
  }
  report("float32 specials and 100003 random values, 7 blocks", runCount(bits, f32Max, 7), want);
  report("float32 one block per 256 values", runCount(bits, f32Max, (static_cast<int>(bits.size()) + 255) / 256),
         want);
  report("float16 empty x", runCount(std::vector<unsigned short>{}, f16Max, 1), 0);
  report("float16 a single NaN", runCount(std::vector<unsigned short>{0x7e01}, f16Max, 1), 1);

  // The prepare kernel: the previous tally copied, the new slot zeroed, for more counts than threads.
  std::vector<int> previous(300), out(301, -1);
  for (int i = 0; i < 300; i++) previous[i] = i * 3 - 100;
  launch(1, [&] { overflow_count_prepare(out.data(), previous.data(), 300); });
  bool copied = out[300] == 0;
  for (int i = 0; i < 300; i++) copied = copied && out[i] == previous[i];
  report("prepare copies 300 counts and zeroes slot 300 (mismatches)", copied ? 0 : 1, 0);

  std::printf(ok ? "all cases match\n" : "MISMATCH\n");
  return ok ? 0 : 1;
}
