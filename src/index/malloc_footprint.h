// What an index's memory figure counts for one heap allocation.
#ifndef CANDOR_INDEX_MALLOC_FOOTPRINT_H_
#define CANDOR_INDEX_MALLOC_FOOTPRINT_H_

#include <algorithm>
#include <cstddef>

namespace candor::index {

// Bytes glibc malloc takes for one allocation of `n` bytes: an 8-byte
// header, rounded up to 16 bytes, 32 at least; nothing for no allocation.
constexpr size_t MallocFootprint(size_t n) {
  return n == 0 ? 0 : std::max<size_t>(32, (n + 8 + 15) / 16 * 16);
}

}  // namespace candor::index

#endif  // CANDOR_INDEX_MALLOC_FOOTPRINT_H_
