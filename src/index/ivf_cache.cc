#include "index/ivf_cache.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace candor::index {
namespace {

constexpr char kMagic[8] = {'C', 'A', 'N', 'D', 'I', 'V', 'F', '1'};
// Refuse headers that would make us allocate absurd amounts (a corrupt file).
constexpr uint64_t kMaxLists = 1u << 20;
constexpr uint32_t kMaxDimension = 1u << 16;
constexpr uint32_t kMaxKeyBytes = 1u << 16;

uint64_t Fnv1a(const char* data, size_t n) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; ++i) {
    h ^= static_cast<unsigned char>(data[i]);
    h *= 1099511628211ull;
  }
  return h;
}

template <typename T>
void Put(std::string& out, const T& value) {
  out.append(reinterpret_cast<const char*>(&value), sizeof(T));
}

// Reads sequentially from a byte buffer; every read is bounds-checked.
class Reader {
 public:
  Reader(const char* data, size_t size) : data_(data), size_(size) {}
  template <typename T>
  bool Get(T* value) {
    if (size_ - offset_ < sizeof(T)) return false;
    std::memcpy(value, data_ + offset_, sizeof(T));
    offset_ += sizeof(T);
    return true;
  }
  bool GetBytes(void* out, size_t n) {
    if (size_ - offset_ < n) return false;
    std::memcpy(out, data_ + offset_, n);
    offset_ += n;
    return true;
  }
  size_t remaining() const { return size_ - offset_; }

 private:
  const char* data_;
  size_t size_;
  size_t offset_ = 0;
};

}  // namespace

Status WriteIvfCache(const std::string& path, const std::string& key, const IvfCache& cache) {
  if (cache.centroids.size() != cache.lists * static_cast<size_t>(cache.dimension)) {
    return Status::InvalidArgument("IVF cache: centroids do not match lists x dimension");
  }
  std::string out;
  out.reserve(64 + key.size() + cache.centroids.size() * 4 + cache.assignments.size() * 12);
  out.append(kMagic, sizeof(kMagic));
  Put(out, static_cast<uint32_t>(key.size()));
  out += key;
  Put(out, static_cast<uint32_t>(cache.dimension));
  Put(out, static_cast<uint64_t>(cache.lists));
  Put(out, static_cast<uint64_t>(cache.trained_for));
  Put(out, cache.last_row_id);
  Put(out, static_cast<uint64_t>(cache.assignments.size()));
  out.append(reinterpret_cast<const char*>(cache.centroids.data()), cache.centroids.size() * 4);
  for (const auto& [row, list] : cache.assignments) {
    Put(out, row);
    Put(out, list);
  }
  Put(out, Fnv1a(out.data(), out.size()));

  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  const std::string temporary = path + ".tmp";
  {
    std::ofstream file(temporary, std::ios::binary | std::ios::trunc);
    file.write(out.data(), static_cast<std::streamsize>(out.size()));
    file.flush();
    if (!file) return Status::IOError("writing " + temporary);
  }
  std::filesystem::rename(temporary, path, ec);
  if (ec) return Status::IOError("renaming " + temporary + ": " + ec.message());
  return Status::Ok();
}

StatusOr<IvfCache> ReadIvfCache(const std::string& path, const std::string& key) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return Status::NotFound("no IVF cache at " + path);
  const std::string data((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  const Status corrupt = Status::Corruption("IVF cache " + path + " is damaged");
  if (data.size() < sizeof(kMagic) + 8 || std::memcmp(data.data(), kMagic, sizeof(kMagic)) != 0) {
    return corrupt;
  }
  uint64_t stored_sum = 0;
  std::memcpy(&stored_sum, data.data() + data.size() - 8, 8);
  if (Fnv1a(data.data(), data.size() - 8) != stored_sum) return corrupt;

  Reader in(data.data() + sizeof(kMagic), data.size() - sizeof(kMagic) - 8);
  uint32_t key_bytes = 0, dimension = 0;
  if (!in.Get(&key_bytes) || key_bytes > kMaxKeyBytes) return corrupt;
  std::string stored_key(key_bytes, '\0');
  if (!in.GetBytes(stored_key.data(), key_bytes)) return corrupt;
  IvfCache cache;
  uint64_t lists = 0, trained_for = 0, assignments = 0;
  if (!in.Get(&dimension) || !in.Get(&lists) || !in.Get(&trained_for) ||
      !in.Get(&cache.last_row_id) || !in.Get(&assignments)) {
    return corrupt;
  }
  if (dimension < 1 || dimension > kMaxDimension || lists < 1 || lists > kMaxLists) return corrupt;
  if (in.remaining() != lists * dimension * 4 + assignments * 12) return corrupt;
  if (stored_key != key) return Status::Conflict("IVF cache " + path + " is for another key");
  cache.dimension = static_cast<int>(dimension);
  cache.lists = lists;
  cache.trained_for = trained_for;
  cache.centroids.resize(lists * dimension);
  in.GetBytes(cache.centroids.data(), cache.centroids.size() * 4);
  for (float x : cache.centroids) {
    if (!std::isfinite(x)) return corrupt;
  }
  cache.assignments.resize(assignments);
  int64_t previous = INT64_MIN;
  for (auto& [row, list] : cache.assignments) {
    in.Get(&row);
    in.Get(&list);
    if (list >= lists || row <= previous) return corrupt;
    previous = row;
  }
  return cache;
}

}  // namespace candor::index
