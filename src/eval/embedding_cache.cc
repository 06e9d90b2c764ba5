#include "eval/embedding_cache.h"

#include <openssl/sha.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace candor::eval {
namespace {
constexpr char kMagic[8] = {'C', 'N', 'D', 'R', 'E', 'M', 'B', '1'};
}

Digest Sha256(const std::string& bytes) {
  Digest d;
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), d.data());
  return d;
}

EmbeddingCache::EmbeddingCache(std::string path, std::string key, int dimension)
    : path_(std::move(path)), key_(std::move(key)), dimension_(dimension) {
  if (path_.empty()) return;
  std::ifstream in(path_, std::ios::binary);
  if (!in) return;
  char magic[8];
  uint32_t dim = 0, key_length = 0;
  if (!in.read(magic, 8) || std::memcmp(magic, kMagic, 8) != 0) return;
  if (!in.read(reinterpret_cast<char*>(&dim), 4) || dim != static_cast<uint32_t>(dimension_)) return;
  if (!in.read(reinterpret_cast<char*>(&key_length), 4) || key_length > 4096) return;
  std::string stored_key(key_length, '\0');
  if (!in.read(stored_key.data(), key_length) || stored_key != key_) return;
  std::map<Digest, CachedEmbedding> entries;
  while (true) {
    Digest d;
    unsigned char has_face;
    if (!in.read(reinterpret_cast<char*>(d.data()), 32)) break;
    if (!in.read(reinterpret_cast<char*>(&has_face), 1) || has_face > 1) return;
    CachedEmbedding e;
    e.has_face = has_face == 1;
    e.values.resize(dimension_);
    if (!in.read(reinterpret_cast<char*>(e.values.data()), 4 * dimension_)) return;
    if (!e.has_face) e.values.clear();
    entries[d] = std::move(e);
  }
  entries_ = std::move(entries);
  loaded_ = entries_.size();
}

std::optional<CachedEmbedding> EmbeddingCache::Lookup(const Digest& digest) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = entries_.find(digest);
  if (it == entries_.end()) return std::nullopt;
  return it->second;
}

void EmbeddingCache::Insert(const Digest& digest, CachedEmbedding embedding) {
  std::lock_guard<std::mutex> lock(mutex_);
  entries_[digest] = std::move(embedding);
  dirty_ = true;
}

std::vector<std::vector<float>> EmbeddingCache::FaceVectors() {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::vector<float>> out;
  for (const auto& [digest, e] : entries_) {
    if (e.has_face) out.push_back(e.values);
  }
  return out;
}

Status EmbeddingCache::Save() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (path_.empty() || !dirty_) return Status::Ok();
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path_).parent_path(), ec);
  const std::string tmp = path_ + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return Status::IOError("cannot write embedding cache " + tmp);
    const uint32_t dim = dimension_, key_length = key_.size();
    out.write(kMagic, 8);
    out.write(reinterpret_cast<const char*>(&dim), 4);
    out.write(reinterpret_cast<const char*>(&key_length), 4);
    out.write(key_.data(), key_length);
    const std::vector<float> zeros(dimension_, 0.f);
    for (const auto& [digest, e] : entries_) {
      const unsigned char has_face = e.has_face ? 1 : 0;
      out.write(reinterpret_cast<const char*>(digest.data()), 32);
      out.write(reinterpret_cast<const char*>(&has_face), 1);
      const std::vector<float>& v = e.has_face ? e.values : zeros;
      out.write(reinterpret_cast<const char*>(v.data()), 4 * dimension_);
    }
    if (!out) return Status::IOError("cannot write embedding cache " + tmp);
  }
  std::filesystem::rename(tmp, path_, ec);
  if (ec) return Status::IOError("cannot replace embedding cache " + path_ + ": " + ec.message());
  dirty_ = false;
  return Status::Ok();
}

}  // namespace candor::eval
