// Chooses between exact search and HNSW from an expected size.
//
// Collections no longer use this: they use adaptive_index.h (exact, then an
// sketch index, sketch_index.h), because a 1M-vector HNSW graph
// takes over half an hour to build on two cores with Debian's FAISS. This
// factory and the HNSW index stay for recall_bench and as an alternative.
// What follows is the original reasoning for the HNSW crossover.
//
// How a collection switches: the index is derived data, built when the
// collection is loaded from the store, so the choice is made there with the
// store's face count (CollectionRecord::face_count). A collection that grows
// past the crossover while loaded keeps its exact index (still correct, just
// slower) until it is next loaded; one that shrinks keeps HNSW, which stays
// correct too. Nothing on disk depends on the choice.
#ifndef CANDOR_INDEX_INDEX_FACTORY_H_
#define CANDOR_INDEX_INDEX_FACTORY_H_

#include <cstddef>
#include <memory>

#include "index/vector_index.h"

namespace candor::index {

// From this many expected vectors on, CreateIndexForSize returns an HNSW
// index. Measured with bench/recall_bench (dimension 512, real face
// embeddings and vectors drawn near them, 2-core shared VM; table in that
// file), HNSW at its default ef_search (recall@1 >= 0.99): at 30k vectors
// p99 was even in one run (exact 3.6 ms, HNSW 3.5 ms) and exact's in
// another (2.2 ms against 4.6 ms); at 100k HNSW is 4x faster (16.0 ms
// against 3.9 ms p99). So the crossover is 30-50k. The line is set at 50k,
// because HNSW also costs load time (~500-700 adds/s against ~600k/s: a
// 50k collection loads in ~80 s instead of 0.1 s), 25-80% more memory per
// face, and exactness; exact search at 50k is still ~5 ms p50.
inline constexpr size_t kHnswMinVectors = 50000;

// An exact index (CreateExactIndex(dimension)) when expected_size <
// kHnswMinVectors, else an HNSW index with the defaults of faiss_index.h.
// nullptr if dimension < 1.
std::unique_ptr<VectorIndex> CreateIndexForSize(int dimension, size_t expected_size);

}  // namespace candor::index

#endif  // CANDOR_INDEX_INDEX_FACTORY_H_
