// Exact (brute-force) vector indexes: the tuning knobs behind
// CreateExactIndex, and the int8 variant.
//
// Every stored vector is scored on every search with the dot-product kernels of
// dot_product.h. Rows live in blocks of kRowsPerBlock contiguous rows, so the
// index grows without copying what it holds (no 2x peak while a 2 GiB array
// is reallocated) and keeps at most one spare block beyond the partly filled
// last one; Remove moves the last row into the hole (O(1)).
//
// Ownership: the index keeps its own copy of every vector (quantised for
// kInt8); nothing passed in is referenced after the call returns.
//
// Thread safety: as for every VectorIndex, Search may run from any number of
// threads at once; Add and Remove take an exclusive lock. A waiting Add or
// Remove holds back searches that arrive after it, so a steady stream of
// searches cannot starve writers.
#ifndef CANDOR_INDEX_EXACT_INDEX_H_
#define CANDOR_INDEX_EXACT_INDEX_H_

#include <cstddef>
#include <memory>

#include "index/vector_index.h"

namespace candor::index {

// Rows per storage block: 2 MiB of float32 rows at dimension 512.
inline constexpr size_t kRowsPerBlock = 1024;

// A search is split across threads only when the index holds at least this
// many rows; below it, starting threads costs more than it saves. Measured
// with bench/index_bench ("parallel threshold") on a 2-core AMD EPYC (Zen 4)
// VM shared with other work, dimension 512, median latency of 1 thread over 2
// threads: below 1x at 2k rows in every run (starting and joining a thread
// costs ~30-50 us); the first size above 1.1x was 8k rows (1.64x) in a quiet
// run, 16k (1.13x) at load average 1.5, and none up to 64k at load average 3.
// 16k is the middle choice.
inline constexpr size_t kDefaultParallelMinRows = 16384;

enum class VectorEncoding {
  kFloat32,  // 4 bytes per component; scores exact to float rounding
  // 1 byte per component with one float scale per vector (scale = max |x_i| /
  // 127); the query is quantised the same way. 3.7x less memory and memory
  // traffic. Scores differ from float by 5e-4 (sd; max 2e-3) for random unit
  // vectors of dimension 512; recall against float: bench/index_bench.
  kInt8,
};

struct ExactIndexOptions {
  // Components per vector; must be >= 1 (512 for the ArcFace-style embedders).
  int dimension = 512;
  // Threads a single search may use; <= 0 means std::thread::hardware_concurrency().
  int threads = 0;
  // Searches of fewer rows than this run on the calling thread only.
  size_t parallel_min_rows = kDefaultParallelMinRows;
  VectorEncoding encoding = VectorEncoding::kFloat32;
  // Use the portable kernels even when the CPU supports AVX2+FMA (for tests
  // and benchmarks).
  bool force_portable_kernels = false;
};

// nullptr if options.dimension < 1, or above 133,144 for kInt8 (a programming
// error, not user input).
std::unique_ptr<VectorIndex> CreateExactIndex(const ExactIndexOptions& options);

// The int8 variant: CreateExactIndex with encoding kInt8.
std::unique_ptr<VectorIndex> CreateExactInt8Index(int dimension, int threads = 0);

}  // namespace candor::index

#endif  // CANDOR_INDEX_EXACT_INDEX_H_
