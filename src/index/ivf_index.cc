#include "index/ivf_index.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <mutex>
#include <numeric>
#include <random>
#include <shared_mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include "core/parallel.h"
#include "index/dot_product.h"
#include "index/exact_index.h"
#include "index/malloc_footprint.h"
#include "index/top_k.h"

namespace candor::index {
namespace {

// Rows scored per kernel call while scanning a list (on-stack scores, 4 KiB).
constexpr size_t kRowsPerChunk = 1024;

// The k-means sample is drawn with a fixed seed, so that one data set always
// trains the same centroids.
constexpr uint64_t kTrainingSeed = 20240611;

int ThreadsFor(int threads) {
  return threads > 0 ? threads : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

bool AllFinite(const float* v, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(v[i])) return false;
  }
  return true;
}

void NormalizeInPlace(float* v, size_t n) {
  double norm2 = 0;
  for (size_t i = 0; i < n; ++i) norm2 += double{v[i]} * v[i];
  if (norm2 <= 0) return;
  const float inverse = static_cast<float>(1.0 / std::sqrt(norm2));
  for (size_t i = 0; i < n; ++i) v[i] *= inverse;
}

// The best-scoring centroid for one vector. `scores` has room for `lists`.
uint32_t Nearest(const DotProductKernels& kernels, const float* centroids, size_t lists,
                 size_t dimension, const float* vector, float* scores) {
  kernels.score_rows_f32(centroids, lists, dimension, vector, scores);
  return static_cast<uint32_t>(std::max_element(scores, scores + lists) - scores);
}

class IvfIndexImpl final : public IvfIndex {
 public:
  IvfIndexImpl(const IvfIndexOptions& options, std::vector<float> centroids)
      : dimension_(static_cast<size_t>(options.dimension)),
        lists_count_(options.lists),
        threads_(ThreadsFor(options.threads)),
        kernels_(BestKernels()),
        probes_(std::max(1, options.probes)),
        centroids_(std::move(centroids)),
        lists_(options.lists) {}

  uint32_t NearestList(const float* vector) const override {
    std::vector<float> scores(lists_count_);
    return Nearest(kernels_, centroids_.data(), lists_count_, dimension_, vector, scores.data());
  }

  Status Add(int64_t label, const std::vector<float>& vector) override {
    CANDOR_RETURN_IF_ERROR(CheckVector(vector));
    return AddToList(label, vector, NearestList(vector.data()));
  }

  Status AddToList(int64_t label, const std::vector<float>& vector, uint32_t list) override {
    CANDOR_RETURN_IF_ERROR(CheckVector(vector));
    if (list >= lists_count_) {
      return Status::InvalidArgument("list " + std::to_string(list) + " out of range");
    }
    std::vector<int8_t> code(dimension_);
    const float scale = QuantizeInt8(vector.data(), dimension_, code.data());
    std::lock_guard turnstile(turnstile_);
    std::unique_lock lock(mutex_);
    return InsertLocked(label, code.data(), scale, list);
  }

  Status AddBatch(const std::vector<int64_t>& labels, const std::vector<float>& vectors) override {
    if (vectors.size() != labels.size() * dimension_) {
      return Status::InvalidArgument("AddBatch: " + std::to_string(vectors.size()) +
                                     " floats for " + std::to_string(labels.size()) + " vectors");
    }
    if (!AllFinite(vectors.data(), vectors.size()))
      return Status::InvalidArgument("vector has a NaN or infinite component");
    const size_t n = labels.size();
    std::vector<uint32_t> assigned(n);
    std::vector<int8_t> codes(n * dimension_);
    std::vector<float> scales(n);
    core::ParallelFor(static_cast<size_t>(threads_), threads_, [&](size_t t) {
      std::vector<float> scores(lists_count_);
      for (size_t i = t; i < n; i += static_cast<size_t>(threads_)) {
        const float* v = &vectors[i * dimension_];
        assigned[i] = Nearest(kernels_, centroids_.data(), lists_count_, dimension_, v,
                              scores.data());
        scales[i] = QuantizeInt8(v, dimension_, &codes[i * dimension_]);
      }
    });
    std::lock_guard turnstile(turnstile_);
    std::unique_lock lock(mutex_);
    for (size_t i = 0; i < n; ++i) {
      CANDOR_RETURN_IF_ERROR(InsertLocked(labels[i], &codes[i * dimension_], scales[i], assigned[i]));
    }
    return Status::Ok();
  }

  Status Remove(int64_t label) override {
    std::lock_guard turnstile(turnstile_);
    std::unique_lock lock(mutex_);
    auto it = where_.find(label);
    if (it == where_.end()) {
      return Status::NotFound("label " + std::to_string(label) + " is not in the index");
    }
    const Place place = it->second;
    where_.erase(it);
    List& list = lists_[place.list];
    const size_t last = list.labels.size() - 1;
    if (place.position != last) {
      std::memcpy(&list.codes[place.position * dimension_], &list.codes[last * dimension_],
                  dimension_);
      list.scales[place.position] = list.scales[last];
      list.labels[place.position] = list.labels[last];
      where_[list.labels[place.position]] = place;
    }
    // Zero the vacated row before shrinking: std::vector keeps the bytes.
    std::memset(&list.codes[last * dimension_], 0, dimension_);
    list.codes.resize(last * dimension_);
    list.scales.pop_back();
    list.labels.pop_back();
    // A list that has lost most of its rows gives the memory back.
    if (list.labels.capacity() > 64 && list.labels.size() < list.labels.capacity() / 4) {
      list.codes.shrink_to_fit();
      list.scales.shrink_to_fit();
      list.labels.shrink_to_fit();
    }
    return Status::Ok();
  }

  std::vector<Neighbor> Search(const std::vector<float>& query, int k,
                               float min_score) const override {
    if (k < 1 || !CheckVector(query).ok()) return {};
    std::vector<int8_t> code(dimension_);
    const float query_scale = QuantizeInt8(query.data(), dimension_, code.data());
    // Centroids never change after construction: no lock needed to rank them.
    std::vector<float> centroid_scores(lists_count_);
    kernels_.score_rows_f32(centroids_.data(), lists_count_, dimension_, query.data(),
                            centroid_scores.data());
    const size_t probes =
        std::min(lists_count_, static_cast<size_t>(probes_.load(std::memory_order_relaxed)));
    std::vector<uint32_t> order(lists_count_);
    std::iota(order.begin(), order.end(), 0u);
    std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(probes),
                      order.end(), [&](uint32_t a, uint32_t b) {
                        return centroid_scores[a] > centroid_scores[b] ||
                               (centroid_scores[a] == centroid_scores[b] && a < b);
                      });

    { std::lock_guard turnstile(turnstile_); }  // wait behind a waiting writer
    std::shared_lock lock(mutex_);
    if (where_.empty()) return {};
    const size_t keep = std::min(static_cast<size_t>(k), where_.size());
    auto scan = [&](size_t p, TopK& top) {
      float scores[kRowsPerChunk];
      const List& list = lists_[order[p]];
      const size_t rows = list.labels.size();
      for (size_t begin = 0; begin < rows; begin += kRowsPerChunk) {
        const size_t count = std::min(kRowsPerChunk, rows - begin);
        kernels_.score_rows_int8(&list.codes[begin * dimension_], &list.scales[begin], count,
                                 dimension_, code.data(), query_scale, scores);
        for (size_t i = 0; i < count; ++i) {
          // Written so that a NaN min_score keeps nothing.
          if (scores[i] >= min_score) top.Push(scores[i], list.labels[begin + i]);
        }
      }
    };
    // Rows this search reads: split across threads when there are many (as
    // exact_index.h, whose threshold it shares).
    const size_t rows_to_scan = where_.size() * probes / lists_count_;
    const int workers = rows_to_scan >= kDefaultParallelMinRows ? threads_ : 1;
    if (workers <= 1) {
      TopK top(keep);
      for (size_t p = 0; p < probes; ++p) scan(p, top);
      return top.TakeSorted();
    }
    std::vector<TopK> tops(workers, TopK(keep));
    std::atomic<size_t> next{0};
    core::ParallelFor(static_cast<size_t>(workers), workers, [&](size_t worker) {
      for (size_t p = next++; p < probes; p = next++) scan(p, tops[worker]);
    });
    for (int w = 1; w < workers; ++w) tops[0].Merge(tops[w]);
    return tops[0].TakeSorted();
  }

  void ForEachVector(const std::function<void(int64_t, const float*)>& fn) const override {
    std::shared_lock lock(mutex_);
    std::vector<float> buffer(dimension_);
    for (const List& list : lists_) {
      for (size_t row = 0; row < list.labels.size(); ++row) {
        const int8_t* code = &list.codes[row * dimension_];
        for (size_t i = 0; i < dimension_; ++i) buffer[i] = code[i] * list.scales[row];
        fn(list.labels[row], buffer.data());
      }
    }
  }

  void ForEachAssignment(const std::function<void(int64_t, uint32_t)>& fn) const override {
    std::shared_lock lock(mutex_);
    for (uint32_t l = 0; l < lists_count_; ++l) {
      for (int64_t label : lists_[l].labels) fn(label, l);
    }
  }

  size_t size() const override {
    std::shared_lock lock(mutex_);
    return where_.size();
  }
  int dimension() const override { return static_cast<int>(dimension_); }
  size_t lists() const override { return lists_count_; }
  std::vector<float> centroids() const override { return centroids_; }
  void SetProbes(int probes) override {
    probes_.store(std::max(1, probes), std::memory_order_relaxed);
  }

  size_t memory_bytes() const override {
    std::shared_lock lock(mutex_);
    using MapNode = std::pair<void*, std::pair<const int64_t, Place>>;  // next + value
    size_t bytes = sizeof(*this) + MallocFootprint(centroids_.capacity() * sizeof(float)) +
                   MallocFootprint(lists_.capacity() * sizeof(List)) +
                   MallocFootprint(where_.bucket_count() * sizeof(void*)) +
                   where_.size() * MallocFootprint(sizeof(MapNode));
    for (const List& list : lists_) {
      bytes += MallocFootprint(list.codes.capacity()) +
               MallocFootprint(list.scales.capacity() * sizeof(float)) +
               MallocFootprint(list.labels.capacity() * sizeof(int64_t));
    }
    return bytes;
  }

 private:
  struct List {
    std::vector<int8_t> codes;  // row-major, labels.size() rows
    std::vector<float> scales;
    std::vector<int64_t> labels;
  };
  struct Place {
    uint32_t list = 0;
    uint32_t position = 0;
  };

  Status CheckVector(const std::vector<float>& vector) const {
    if (vector.size() != dimension_) {
      return Status::InvalidArgument("vector has " + std::to_string(vector.size()) +
                                     " components; the index holds " + std::to_string(dimension_));
    }
    if (!AllFinite(vector.data(), vector.size()))
      return Status::InvalidArgument("vector has a NaN or infinite component");
    return Status::Ok();
  }

  // Requires mutex_ held exclusively.
  Status InsertLocked(int64_t label, const int8_t* code, float scale, uint32_t list_number) {
    if (where_.contains(label)) {
      return Status::AlreadyExists("label " + std::to_string(label) + " is already in the index");
    }
    List& list = lists_[list_number];
    where_.emplace(label, Place{list_number, static_cast<uint32_t>(list.labels.size())});
    list.codes.insert(list.codes.end(), code, code + dimension_);
    list.scales.push_back(scale);
    list.labels.push_back(label);
    return Status::Ok();
  }

  const size_t dimension_;
  const size_t lists_count_;
  const int threads_;
  const DotProductKernels& kernels_;
  std::atomic<int> probes_;
  const std::vector<float> centroids_;  // lists_count_ rows, unit length

  mutable std::mutex turnstile_;
  mutable std::shared_mutex mutex_;
  // Guarded by mutex_.
  std::vector<List> lists_;
  std::unordered_map<int64_t, Place> where_;
};

Status CheckOptions(const IvfIndexOptions& options) {
  if (options.dimension < 1 || options.lists < 1 || options.probes < 1 ||
      options.training_vectors_per_list < 1 || options.training_iterations < 0 ||
      options.lists > UINT32_MAX) {
    return Status::InvalidArgument("IvfIndexOptions out of range");
  }
  return Status::Ok();
}

}  // namespace

int IvfDefaultProbes(size_t lists) {
  return std::max(1, static_cast<int>(std::ceil(kDefaultIvfProbeFraction * static_cast<double>(lists))));
}

size_t IvfListsFor(size_t vectors) {
  const double lists = std::sqrt(static_cast<double>(vectors));
  return std::clamp<size_t>(static_cast<size_t>(lists), 16, 8192);
}

StatusOr<std::unique_ptr<IvfIndex>> IvfIndex::Train(IvfIndexOptions options, const float* vectors,
                                                    size_t count) {
  CANDOR_RETURN_IF_ERROR(CheckOptions(options));
  if (count == 0) return Status::InvalidArgument("IVF training needs at least one vector");
  const size_t dim = static_cast<size_t>(options.dimension);
  if (!AllFinite(vectors, count * dim))
    return Status::InvalidArgument("training vector has a NaN or infinite component");
  options.lists = std::min(options.lists, count);
  const size_t lists = options.lists;
  const int threads = ThreadsFor(options.threads);
  const DotProductKernels& kernels = BestKernels();

  // A uniform sample without replacement, in random order.
  std::mt19937_64 rng(kTrainingSeed);
  const size_t sample_size = std::min(count, lists * options.training_vectors_per_list);
  std::vector<size_t> picked(count);
  std::iota(picked.begin(), picked.end(), size_t{0});
  for (size_t i = 0; i < sample_size; ++i) {
    std::uniform_int_distribution<size_t> any(i, count - 1);
    std::swap(picked[i], picked[any(rng)]);
  }
  std::vector<float> sample(sample_size * dim);
  for (size_t i = 0; i < sample_size; ++i) {
    std::memcpy(&sample[i * dim], vectors + picked[i] * dim, dim * sizeof(float));
  }
  picked = {};

  // Spherical k-means: the first `lists` sample vectors seed the centroids.
  std::vector<float> centroids(sample.begin(), sample.begin() + static_cast<std::ptrdiff_t>(lists * dim));
  for (size_t c = 0; c < lists; ++c) NormalizeInPlace(&centroids[c * dim], dim);
  std::vector<uint32_t> assigned(sample_size);
  for (int iteration = 0; iteration < options.training_iterations; ++iteration) {
    core::ParallelFor(static_cast<size_t>(threads), threads, [&](size_t t) {
      std::vector<float> scores(lists);
      for (size_t i = t; i < sample_size; i += static_cast<size_t>(threads)) {
        assigned[i] = Nearest(kernels, centroids.data(), lists, dim, &sample[i * dim],
                              scores.data());
      }
    });
    std::vector<double> sums(lists * dim, 0.0);
    std::vector<size_t> members(lists, 0);
    for (size_t i = 0; i < sample_size; ++i) {
      double* sum = &sums[assigned[i] * dim];
      const float* v = &sample[i * dim];
      for (size_t d = 0; d < dim; ++d) sum[d] += v[d];
      ++members[assigned[i]];
    }
    std::uniform_int_distribution<size_t> any(0, sample_size - 1);
    for (size_t c = 0; c < lists; ++c) {
      float* centroid = &centroids[c * dim];
      if (members[c] == 0) {
        // An empty cluster restarts at a random sample vector.
        std::memcpy(centroid, &sample[any(rng) * dim], dim * sizeof(float));
      } else {
        for (size_t d = 0; d < dim; ++d) centroid[d] = static_cast<float>(sums[c * dim + d]);
      }
      NormalizeInPlace(centroid, dim);
    }
  }
  return FromCentroids(options, std::move(centroids));
}

StatusOr<std::unique_ptr<IvfIndex>> IvfIndex::FromCentroids(const IvfIndexOptions& options,
                                                            std::vector<float> centroids) {
  CANDOR_RETURN_IF_ERROR(CheckOptions(options));
  if (centroids.size() != options.lists * static_cast<size_t>(options.dimension)) {
    return Status::InvalidArgument("IVF centroids: " + std::to_string(centroids.size()) +
                                   " floats for " + std::to_string(options.lists) + " lists");
  }
  if (!AllFinite(centroids.data(), centroids.size()))
    return Status::InvalidArgument("IVF centroid has a NaN or infinite component");
  return std::unique_ptr<IvfIndex>(new IvfIndexImpl(options, std::move(centroids)));
}

}  // namespace candor::index
