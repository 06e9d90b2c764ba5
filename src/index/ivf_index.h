// Approximate nearest-neighbour search for large collections: an inverted
// file (IVF) of int8 rows.
//
// The vectors are split into `lists` clusters by spherical k-means (unit
// centroids, inner product); each vector is stored, quantised to int8 with one
// scale per vector (as exact_index.h's kInt8), in the list of its nearest
// centroid. A search scores every centroid, then scans the rows of the
// `probes` best lists with the int8 kernels of dot_product.h. Memory per face
// is ~512 B of codes + 12 B of scale and label + ~56 B of label map, against
// ~2.1 KiB for the exact float index and ~3.1 KiB for HNSW-Flat.
//
// Why not FAISS here: Debian's FAISS 1.7.3 is built for the x86-64 baseline
// (SSE kernels) and its k-means and batch assignment go through the reference
// BLAS (libblas3), so training and assigning 1M vectors takes many minutes on
// two cores; HNSW inserts at ~500 vectors/s (bench/recall_bench.cc), so a 1M
// graph takes over half an hour to build. This index uses the run-time
// dispatched AVX2 kernels and inserts a vector in one pass over the centroids.
//
// Removal is real: the last row of the list is moved into the hole and the
// vacated row is zeroed, so no code of a removed face stays in memory.
//
// Scores are int8 estimates of the inner product (error ~5e-4 sd at
// dimension 512), not the float scores of the exact index.
//
// Ownership: the index keeps its own (quantised) copy of every vector.
// Thread safety: any number of Search calls run at once (a large one on
// IvfIndexOptions::threads threads); Add and Remove take an
// exclusive lock (behind a turnstile, as exact_index.h).
#ifndef CANDOR_INDEX_IVF_INDEX_H_
#define CANDOR_INDEX_IVF_INDEX_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "index/vector_index.h"

namespace candor::index {

// The share of the lists a search scans by default. Face embeddings of
// different people are far apart in 512 dimensions (impostor cosine ~0, a
// match ~0.4-0.7), so a query's best match is often not in the lists of the
// nearest centroids. Measured by tests/approximate_index_test
// (RealEmbeddingRecallTest: 500 held-out LFW/UTKFace queries against 20,000
// real and near-real vectors, 141 lists): recall@1 0.952 / 0.972 / 0.988 /
// 0.990 and recall@10 0.922 / 0.952 / 0.971 / 0.982 at 23% / 34% / 45% / 57%
// of the lists (0.990 / 0.977 at 50%). 0.6 leaves a margin over 0.99; it
// still reads ~1/7 of the bytes of an exact float scan (int8, 60% of rows).
inline constexpr double kDefaultIvfProbeFraction = 0.6;
// Lists scanned at kDefaultIvfProbeFraction (at least 1).
int IvfDefaultProbes(size_t lists);

// Lists for `vectors` vectors: sqrt(vectors), clamped to [16, 8192] (1,000
// lists at 1M: a search scores 1,000 centroids and ~n * probes / lists int8
// rows).
size_t IvfListsFor(size_t vectors);

struct IvfIndexOptions {
  int dimension = 512;  // >= 1
  size_t lists = 1024;  // >= 1
  int probes = 1;  // >= 1; capped at lists (see IvfDefaultProbes)
  // k-means: at most this many training vectors per list are used (a
  // uniform sample), for this many iterations.
  // (measured on the set above: 140 per list and 10 iterations gained ~1%
  // recall@1 at a third of the lists over 32 and 6).
  size_t training_vectors_per_list = 64;
  int training_iterations = 10;
  // Threads for training, AddBatch, and a search that reads at least
  // kDefaultParallelMinRows rows (exact_index.h); <= 0: one per hardware thread.
  int threads = 0;
};

class IvfIndex : public VectorIndex {
 public:
  // Learns the centroids from `count` row-major vectors (a sample is taken
  // if there are more than lists * training_vectors_per_list) and returns an
  // empty index. InvalidArgument for bad options or fewer vectors than
  // options.lists (the lists are then reduced to count when count >= 1).
  static StatusOr<std::unique_ptr<IvfIndex>> Train(IvfIndexOptions options, const float* vectors,
                                                   size_t count);
  // An empty index with the given centroids (options.lists rows, row-major,
  // unit length), e.g. from an index cache file.
  static StatusOr<std::unique_ptr<IvfIndex>> FromCentroids(const IvfIndexOptions& options,
                                                           std::vector<float> centroids);

  // The list whose centroid is nearest to `vector` (dimension() floats).
  virtual uint32_t NearestList(const float* vector) const = 0;
  // Adds to a given list (e.g. one remembered in a cache file); the list
  // only decides speed and recall, never correctness of what is returned.
  // InvalidArgument for a list out of range or a bad vector; AlreadyExists.
  virtual Status AddToList(int64_t label, const std::vector<float>& vector, uint32_t list) = 0;
  // Adds many vectors, assigning them on options.threads threads first.
  // Stops at the first error (earlier rows stay added).
  virtual Status AddBatch(const std::vector<int64_t>& labels, const std::vector<float>& vectors) = 0;
  // Calls fn(label, list) for every vector held (shared lock held).
  virtual void ForEachAssignment(const std::function<void(int64_t, uint32_t)>& fn) const = 0;

  virtual size_t lists() const = 0;
  virtual std::vector<float> centroids() const = 0;
  virtual void SetProbes(int probes) = 0;
};

}  // namespace candor::index

#endif  // CANDOR_INDEX_IVF_INDEX_H_
