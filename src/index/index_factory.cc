#include "index/index_factory.h"

#include "index/faiss_index.h"

namespace candor::index {

std::unique_ptr<VectorIndex> CreateIndexForSize(int dimension, size_t expected_size) {
  if (dimension < 1) return nullptr;
  if (expected_size < kHnswMinVectors) return CreateExactIndex(dimension);
  HnswIndexOptions options;
  options.dimension = dimension;
  return CreateHnswIndex(options);
}

}  // namespace candor::index
