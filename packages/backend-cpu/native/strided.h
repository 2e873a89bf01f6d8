// Row-by-row walks over a Strided view (engine.h): the output is contiguous, its last dimension a "row";
// for each row the element offsets of the (up to two) inputs follow from the row's index, computed once for
// the first row of a range and then stepped like an odometer.
#pragma once
#include "engine.h"

namespace deberta {

inline int64_t strided_rows(const Strided& s) {
  int64_t rows = 1;
  for (int d = 0; d + 1 < s.rank; d++) rows *= s.dims[d];
  return rows;
}

// fn(row, off0, off1) for rows [r0, r1): `row` indexes the output's rows, off0 / off1 the inputs' first
// elements of that row (add j * stride[i][rank - 1] for column j).
template <class Fn>
void for_strided_rows(const Strided& s, int64_t r0, int64_t r1, Fn fn) {
  if (r0 >= r1) return;
  const int outer = s.rank - 1;
  int64_t idx[kMaxRank] = {0};
  int64_t off0 = s.offset[0], off1 = s.offset[1];
  int64_t rest = r0;
  for (int d = outer - 1; d >= 0; d--) {
    idx[d] = rest % s.dims[d];
    rest /= s.dims[d];
    off0 += idx[d] * s.stride[0][d];
    off1 += idx[d] * s.stride[1][d];
  }
  for (int64_t r = r0; r < r1; r++) {
    fn(r, off0, off1);
    for (int d = outer - 1; d >= 0; d--) {
      idx[d]++;
      off0 += s.stride[0][d];
      off1 += s.stride[1][d];
      if (idx[d] < s.dims[d]) break;
      off0 -= s.stride[0][d] * s.dims[d];
      off1 -= s.stride[1][d] * s.dims[d];
      idx[d] = 0;
    }
  }
}

// Splits `rows` rows of `width` elements into pool tasks: one task for small work (waking workers costs
// more than it saves), else several per thread.
inline int strided_chunks(int64_t rows, int64_t width, int threads) {
  if (rows <= 0) return 0;
  if (threads <= 1 || rows * width < (1 << 15) || rows < 2) return 1;
  const int64_t want = static_cast<int64_t>(threads) * 4;
  return static_cast<int>(rows < want ? rows : want);
}

}  // namespace deberta
