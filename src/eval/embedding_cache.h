// A file of embeddings keyed by the image's SHA-256, for one model version and
// pipeline configuration, so that evaluations do not re-embed unchanged data.
//
// File format (little-endian): magic "CNDREMB1", u32 dimension, u32 key
// length, key bytes (model version and options), then records of
// {32-byte SHA-256, u8 has_face, dimension floats}. A file that does not
// parse or whose key differs is ignored and rewritten, never trusted.
//
// Thread safety: Lookup/Insert are guarded by a mutex.
#ifndef CANDOR_EVAL_EMBEDDING_CACHE_H_
#define CANDOR_EVAL_EMBEDDING_CACHE_H_

#include <array>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "candor/status.h"

namespace candor::eval {

using Digest = std::array<unsigned char, 32>;

struct CachedEmbedding {
  bool has_face = false;
  std::vector<float> values;
};

class EmbeddingCache {
 public:
  // Opens (or starts) the cache at `path` for `key`; an empty path disables it.
  EmbeddingCache(std::string path, std::string key, int dimension);

  std::optional<CachedEmbedding> Lookup(const Digest& digest);
  void Insert(const Digest& digest, CachedEmbedding embedding);
  // Every embedding of an image with a face, in digest order.
  std::vector<std::vector<float>> FaceVectors();
  // Writes the whole cache atomically (temporary file, then rename).
  Status Save();
  size_t loaded() const { return loaded_; }

 private:
  std::string path_;
  std::string key_;
  int dimension_;
  size_t loaded_ = 0;
  bool dirty_ = false;
  std::mutex mutex_;
  std::map<Digest, CachedEmbedding> entries_;
};

// SHA-256 of a byte string.
Digest Sha256(const std::string& bytes);

}  // namespace candor::eval

#endif  // CANDOR_EVAL_EMBEDDING_CACHE_H_
