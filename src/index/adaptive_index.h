// The index a collection uses: exact search while the collection is small,
// the IVF index (ivf_index.h) from kApproximateMinVectors on.
//
// Switching: the Add that takes the index to the threshold starts a build on
// a background thread: it copies the vectors (as int8, ~0.5 KiB per vector),
// trains the IVF centroids and inserts them, while every search is still
// answered by the exact index. Writes meanwhile go to the exact index and a
// journal; when the IVF index is ready the journal is replayed on it (under
// the writer lock) and it replaces the exact index, which is then freed. An
// IVF index is rebuilt the same way when the index has grown to
// kRetrainGrowth times the size its centroids were trained for (more lists
// keep searches fast). Nothing on disk depends on the choice.
//
// Removal is real in every state: the exact and IVF indexes zero a removed
// row, and the build's copy is zeroed before it is freed.
//
// Thread safety: as every VectorIndex. Ownership: owns the indexes and the
// build thread; the destructor stops and joins a running build.
#ifndef CANDOR_INDEX_ADAPTIVE_INDEX_H_
#define CANDOR_INDEX_ADAPTIVE_INDEX_H_

#include <cstddef>
#include <functional>
#include <memory>

#include "index/ivf_index.h"
#include "index/vector_index.h"

namespace candor::index {

// From this many vectors on, a collection searches with the IVF index.
// Measured by bench/collection_bench and bench/recall_bench (2-core VM): the
// exact scan costs ~5 ms p50 at 50k and 10-16 ms p50/p99 at 100k, growing
// linearly; IVF at 100k costs ~1 ms and is built in a few seconds. Below 50k
// exact is fast enough and exact.
inline constexpr size_t kApproximateMinVectors = 50000;
// Retrain the IVF index when it holds this many times the vectors it was
// trained on.
inline constexpr double kRetrainGrowth = 4.0;

struct AdaptiveIndexOptions {
  int dimension = 512;
  size_t approximate_min_vectors = kApproximateMinVectors;
  // Share of the IVF lists a search scans.
  double probe_fraction = kDefaultIvfProbeFraction;
  // Threads for a build; <= 0: one per hardware thread.
  int threads = 0;
  // False: the Add that crosses the threshold builds the IVF index itself,
  // holding the writer lock (tests).
  bool build_in_background = true;
};

class AdaptiveIndex : public VectorIndex {
 public:
  // True once searches are answered by the IVF index.
  virtual bool approximate() const = 0;
  // True while a build runs.
  virtual bool building() const = 0;
  // Blocks until no build runs.
  virtual void WaitForBuild() const = 0;
  // Builds are not started while disabled (a collection being loaded);
  // enabling starts one if one is due.
  virtual void SetBuildsEnabled(bool enabled) = 0;
  // Replaces the current index with `ivf` (built elsewhere, e.g. from a
  // cache file), which must already hold every vector.
  virtual void Adopt(std::unique_ptr<IvfIndex> ivf, size_t trained_for) = 0;
  // Called on the build thread with the new IVF index after it is installed
  // (for writing a cache file). Set before the first Add.
  virtual void SetOnBuilt(std::function<void(const IvfIndex&)> on_built) = 0;
};

// nullptr if options.dimension < 1.
std::unique_ptr<AdaptiveIndex> CreateAdaptiveIndex(const AdaptiveIndexOptions& options);

}  // namespace candor::index

#endif  // CANDOR_INDEX_ADAPTIVE_INDEX_H_
