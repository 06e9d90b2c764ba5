// In-memory nearest-neighbour search over unit-length embeddings by inner
// product (= cosine). The index is derived data: it is built from the store
// at start and never written anywhere else.
//
// A VectorIndex is safe for concurrent use: any number of Search calls run in
// parallel; Add and Remove take an exclusive lock.
#ifndef CANDOR_INDEX_VECTOR_INDEX_H_
#define CANDOR_INDEX_VECTOR_INDEX_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "candor/status.h"

namespace candor::index {

struct Neighbor {
  int64_t label = 0;
  float score = 0;  // inner product
};

class VectorIndex {
 public:
  virtual ~VectorIndex() = default;
  // InvalidArgument if the vector has the wrong size or is not finite;
  // AlreadyExists if the label is present.
  virtual Status Add(int64_t label, const std::vector<float>& vector) = 0;
  // NotFound if absent.
  virtual Status Remove(int64_t label) = 0;
  // The k best neighbours with score >= min_score, best first (ties: lower
  // label first). Empty if k < 1, or if the query has the wrong size or is
  // not finite (Search has no Status to report that with).
  virtual std::vector<Neighbor> Search(const std::vector<float>& query, int k,
                                       float min_score) const = 0;
  // Calls fn(label, vector) for every vector held (int8 rows dequantised, so
  // only approximately what was added), holding the index's shared lock: fn
  // must not call back into the index. For building one index from another.
  virtual void ForEachVector(const std::function<void(int64_t, const float*)>& fn) const = 0;
  virtual size_t size() const = 0;
  virtual int dimension() const = 0;
  virtual size_t memory_bytes() const = 0;
};

// Exact search: every vector is scored (SIMD dot products, chosen at run time
// for the CPU, split across `threads` when the index is large). The reference
// for every approximate index. threads <= 0 means one per hardware thread;
// nullptr if dimension < 1. Finer settings and an int8 variant: exact_index.h.
std::unique_ptr<VectorIndex> CreateExactIndex(int dimension, int threads = 0);

}  // namespace candor::index

#endif  // CANDOR_INDEX_VECTOR_INDEX_H_
