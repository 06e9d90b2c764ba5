// The index a collection uses: exact search while the collection is small,
// the sketch index (sketch_index.h) from approximate_min_vectors on.
//
// Switching: the Add that takes the index to the threshold copies every
// vector into a new sketch index (quantising ~50,000 vectors: tens of
// milliseconds, under the writer lock) and replaces the exact index with it.
// A collection loaded from the store with the threshold or more faces says
// so first (Reserve), and its vectors go straight into the sketch index: a
// large collection never holds float copies (2 KiB a face, 20 GB at 10M).
// The index stays approximate if it later shrinks. Nothing on disk depends
// on the choice, and nothing needs training, so there is nothing to cache.
//
// Removal is real in both states: the exact and sketch indexes zero a
// removed row, and the exact index's vectors are zeroed when it is replaced.
//
// Thread safety: as every VectorIndex.
#ifndef CANDOR_INDEX_ADAPTIVE_INDEX_H_
#define CANDOR_INDEX_ADAPTIVE_INDEX_H_

#include <cstddef>
#include <memory>

#include "index/sketch_index.h"
#include "index/vector_index.h"

namespace candor::index {

// From this many vectors on, a collection searches with the sketch index.
// Measured by bench/collection_bench and bench/index_bench (2-core VM): the
// exact float scan costs ~5 ms p50 at 50k and 8.7 / 10.4 ms p50/p99 at 100k,
// growing linearly; below 50k it is fast enough and exact.
inline constexpr size_t kApproximateMinVectors = 50000;

struct AdaptiveIndexOptions {
  int dimension = 512;
  size_t approximate_min_vectors = kApproximateMinVectors;
  // Rows the sketch index rescores (sketch_index.h).
  size_t candidates = kDefaultSketchCandidates;
  // Threads for one search; <= 0: one per hardware thread.
  int threads = 0;
};

class AdaptiveIndex : public VectorIndex {
 public:
  // True once searches are answered by the sketch index.
  virtual bool approximate() const = 0;
  // Says that about `expected` vectors are about to be added (a collection
  // being loaded): an empty index switches to the sketch index now if that
  // reaches the threshold.
  virtual void Reserve(size_t expected) = 0;
};

// nullptr if options.dimension < 1 or options.candidates < 1.
std::unique_ptr<AdaptiveIndex> CreateAdaptiveIndex(const AdaptiveIndexOptions& options);

}  // namespace candor::index

#endif  // CANDOR_INDEX_ADAPTIVE_INDEX_H_
