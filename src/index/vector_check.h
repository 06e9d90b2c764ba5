// What every VectorIndex checks of a vector it is given, and how it reads
// its thread option.
#ifndef CANDOR_INDEX_VECTOR_CHECK_H_
#define CANDOR_INDEX_VECTOR_CHECK_H_

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string>
#include <thread>
#include <vector>

#include "candor/status.h"

namespace candor::index {

// InvalidArgument unless `vector` has `dimension` finite components.
inline Status CheckIndexVector(const std::vector<float>& vector, size_t dimension) {
  if (vector.size() != dimension) {
    return Status::InvalidArgument("vector has " + std::to_string(vector.size()) +
                                   " components; the index holds " + std::to_string(dimension));
  }
  for (float x : vector) {
    if (!std::isfinite(x)) return Status::InvalidArgument("vector has a NaN or infinite component");
  }
  return Status::Ok();
}

// An index's `threads` option: itself if positive, else one per hardware thread.
inline int ResolveThreads(int threads) {
  return threads > 0 ? threads : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

}  // namespace candor::index

#endif  // CANDOR_INDEX_VECTOR_CHECK_H_
