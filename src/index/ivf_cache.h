// The IVF index cache file: what an IVF index learned (its centroids) and
// where it put each vector (row id -> list), so that a restart does not
// retrain and reassign a large collection. It holds no vectors: those are
// always read from the store, which stays the only source of truth; the
// cache only says which list each one goes in.
//
// A cache is valid for one key (the caller's: collection, face model,
// creation time) and one index layout (dimension, lists). Rows of the store
// that the cache does not know (added after it was written) are assigned
// afresh; rows it knows that the store no longer has are ignored.
//
// Format (little-endian, as written by this build on x86-64):
//   "CANDIVF1" | u32 key bytes | key | u32 dimension | u64 lists |
//   u64 trained_for | i64 last_row_id | u64 assignments |
//   f32 centroids[lists * dimension] | (i64 row_id, u32 list)[assignments] |
//   u64 FNV-1a of everything before it.
// Written to a temporary file and renamed, so a crash leaves the old file or
// the new one, never half of one.
//
// Thread safety: the functions are independent; two writers of one path
// must be serialised by the caller.
#ifndef CANDOR_INDEX_IVF_CACHE_H_
#define CANDOR_INDEX_IVF_CACHE_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "candor/status.h"

namespace candor::index {

struct IvfCache {
  int dimension = 0;
  size_t lists = 0;
  size_t trained_for = 0;   // vectors the centroids were trained for
  int64_t last_row_id = 0;  // the largest row id assigned (the store's generation)
  std::vector<float> centroids;  // lists * dimension
  // Sorted by row id.
  std::vector<std::pair<int64_t, uint32_t>> assignments;
};

Status WriteIvfCache(const std::string& path, const std::string& key, const IvfCache& cache);

// NotFound: no file. Corruption: not a cache file, truncated, or a checksum
// or range mismatch. Conflict: a valid file for another key (stale).
StatusOr<IvfCache> ReadIvfCache(const std::string& path, const std::string& key);

}  // namespace candor::index

#endif  // CANDOR_INDEX_IVF_CACHE_H_
