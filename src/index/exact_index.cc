#include "index/exact_index.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "core/parallel.h"
#include "index/dot_product.h"
#include "index/malloc_footprint.h"
#include "index/top_k.h"
#include "index/vector_check.h"

namespace candor::index {
namespace {

// Rows one search task scores at a time: the unit that threads pull from a
// shared counter, and the size of the on-stack score buffer (4 KiB).
constexpr size_t kRowsPerTask = 1024;
static_assert(kRowsPerBlock % kRowsPerTask == 0, "a task must not straddle blocks");

// Element is float (kFloat32) or int8_t (kInt8).
template <typename Element>
class ExactIndex final : public VectorIndex {
 public:
  static constexpr bool kQuantized = std::is_same_v<Element, int8_t>;

  ExactIndex(const ExactIndexOptions& options)
      : dimension_(static_cast<size_t>(options.dimension)),
        threads_(ResolveThreads(options.threads)),
        parallel_min_rows_(options.parallel_min_rows),
        kernels_(options.force_portable_kernels ? KernelsFor(KernelIsa::kPortable)
                                                : BestKernels()) {}

  // Nothing of a face stays in memory the index gives back.
  ~ExactIndex() override {
    for (auto& block : blocks_) std::memset(block.get(), 0, kRowsPerBlock * dimension_ * sizeof(Element));
  }

  Status Add(int64_t label, const std::vector<float>& vector) override {
    CANDOR_RETURN_IF_ERROR(CheckVector(vector));
    // Encode before taking the lock.
    std::vector<int8_t> quantized;
    float scale = 1;
    if constexpr (kQuantized) {
      quantized.resize(dimension_);
      scale = QuantizeInt8(vector.data(), dimension_, quantized.data());
    }

    std::lock_guard turnstile(turnstile_);
    std::unique_lock lock(mutex_);
    if (slot_of_label_.contains(label)) {
      return Status::AlreadyExists("label " + std::to_string(label) + " is already in the index");
    }
    const size_t slot = labels_.size();
    if (slot / kRowsPerBlock == blocks_.size()) {
      blocks_.push_back(std::make_unique_for_overwrite<Element[]>(kRowsPerBlock * dimension_));
    }
    slot_of_label_.emplace(label, slot);
    if constexpr (kQuantized) {
      std::memcpy(Row(slot), quantized.data(), dimension_);
      scales_.push_back(scale);
    } else {
      std::memcpy(Row(slot), vector.data(), dimension_ * sizeof(float));
    }
    labels_.push_back(label);
    return Status::Ok();
  }

  Status Remove(int64_t label) override {
    std::lock_guard turnstile(turnstile_);
    std::unique_lock lock(mutex_);
    auto it = slot_of_label_.find(label);
    if (it == slot_of_label_.end()) {
      return Status::NotFound("label " + std::to_string(label) + " is not in the index");
    }
    const size_t hole = it->second;
    const size_t last = labels_.size() - 1;
    slot_of_label_.erase(it);
    if (hole != last) {
      std::memcpy(Row(hole), Row(last), dimension_ * sizeof(Element));
      labels_[hole] = labels_[last];
      if constexpr (kQuantized) scales_[hole] = scales_[last];
      slot_of_label_[labels_[hole]] = hole;
    }
    // The vacated row is zeroed: a removed (erased) face's vector must not
    // linger in memory, and when hole == last nothing else overwrote it.
    std::memset(Row(last), 0, dimension_ * sizeof(Element));
    labels_.pop_back();
    if constexpr (kQuantized) scales_.pop_back();
    // Keep one spare block so that alternating Add/Remove at a block boundary
    // does not allocate and free 2 MiB each time.
    const size_t blocks_needed = (labels_.size() + kRowsPerBlock - 1) / kRowsPerBlock;
    while (blocks_.size() > blocks_needed + 1) blocks_.pop_back();
    return Status::Ok();
  }

  std::vector<Neighbor> Search(const std::vector<float>& query, int k,
                               float min_score) const override {
    // Search cannot return a Status: a malformed query finds nothing.
    if (k < 1 || !CheckVector(query).ok()) return {};
    std::vector<int8_t> quantized;
    float query_scale = 1;
    if constexpr (kQuantized) {
      quantized.resize(dimension_);
      query_scale = QuantizeInt8(query.data(), dimension_, quantized.data());
    }

    { std::lock_guard turnstile(turnstile_); }  // wait behind a waiting writer
    std::shared_lock lock(mutex_);
    const size_t rows = labels_.size();
    if (rows == 0) return {};
    const size_t keep = std::min(static_cast<size_t>(k), rows);
    const size_t tasks = (rows + kRowsPerTask - 1) / kRowsPerTask;

    auto score_task = [&](size_t task, TopK& top) {
      const size_t begin = task * kRowsPerTask;
      const size_t count = std::min(kRowsPerTask, rows - begin);
      float scores[kRowsPerTask];
      if constexpr (kQuantized) {
        kernels_.score_rows_int8(Row(begin), scales_.data() + begin, count, dimension_,
                                 quantized.data(), query_scale, scores);
      } else {
        kernels_.score_rows_f32(Row(begin), count, dimension_, query.data(), scores);
      }
      const int64_t* labels = labels_.data() + begin;
      for (size_t i = 0; i < count; ++i) {
        // Written so that a NaN min_score keeps nothing.
        if (scores[i] >= min_score) top.Push(scores[i], labels[i]);
      }
    };

    const int workers =
        rows >= parallel_min_rows_ ? static_cast<int>(std::min<size_t>(threads_, tasks)) : 1;
    if (workers <= 1) {
      TopK top(keep);
      for (size_t task = 0; task < tasks; ++task) score_task(task, top);
      return top.TakeSorted();
    }
    // Each worker pulls tasks from a shared counter, so a worker that the OS
    // descheduled does not hold up the others.
    std::vector<TopK> tops(workers, TopK(keep));
    std::atomic<size_t> next_task{0};
    core::ParallelFor(workers, workers, [&](size_t worker) {
      for (size_t task = next_task++; task < tasks; task = next_task++) {
        score_task(task, tops[worker]);
      }
    });
    for (int w = 1; w < workers; ++w) tops[0].Merge(tops[w]);
    return tops[0].TakeSorted();
  }

  void ForEachVector(const std::function<void(int64_t, const float*)>& fn) const override {
    std::shared_lock lock(mutex_);
    std::vector<float> buffer(kQuantized ? dimension_ : 0);
    for (size_t slot = 0; slot < labels_.size(); ++slot) {
      if constexpr (kQuantized) {
        const int8_t* row = Row(slot);
        for (size_t i = 0; i < dimension_; ++i) buffer[i] = row[i] * scales_[slot];
        fn(labels_[slot], buffer.data());
      } else {
        fn(labels_[slot], Row(slot));
      }
    }
  }

  size_t size() const override {
    std::shared_lock lock(mutex_);
    return labels_.size();
  }

  int dimension() const override { return static_cast<int>(dimension_); }

  size_t memory_bytes() const override {
    std::shared_lock lock(mutex_);
    using MapNode = std::pair<void*, std::pair<const int64_t, size_t>>;  // next + value
    return sizeof(*this) +
           blocks_.size() * MallocFootprint(kRowsPerBlock * dimension_ * sizeof(Element)) +
           MallocFootprint(blocks_.capacity() * sizeof(blocks_[0])) +
           MallocFootprint(labels_.capacity() * sizeof(int64_t)) +
           (kQuantized ? MallocFootprint(scales_.capacity() * sizeof(float)) : 0) +
           MallocFootprint(slot_of_label_.bucket_count() * sizeof(void*)) +
           slot_of_label_.size() * MallocFootprint(sizeof(MapNode));
  }

 private:
  Status CheckVector(const std::vector<float>& vector) const {
    return CheckIndexVector(vector, dimension_);
  }

  Element* Row(size_t slot) const {
    return blocks_[slot / kRowsPerBlock].get() + (slot % kRowsPerBlock) * dimension_;
  }

  const size_t dimension_;
  const int threads_;
  const size_t parallel_min_rows_;
  const DotProductKernels& kernels_;

  // Writers take turnstile_ before mutex_ and readers pass through it before
  // taking mutex_ shared: glibc's rwlock prefers readers, and without this a
  // steady stream of searches could keep an Add waiting forever.
  mutable std::mutex turnstile_;
  mutable std::shared_mutex mutex_;
  // Guarded by mutex_. Row `slot` is Row(slot); labels_[slot] is its label and,
  // for int8, scales_[slot] its scale. Slots are dense: [0, labels_.size()).
  std::vector<std::unique_ptr<Element[]>> blocks_;
  std::vector<int64_t> labels_;
  std::vector<float> scales_;
  std::unordered_map<int64_t, size_t> slot_of_label_;
};

}  // namespace

std::unique_ptr<VectorIndex> CreateExactIndex(const ExactIndexOptions& options) {
  if (options.dimension < 1) return nullptr;
  if (options.encoding == VectorEncoding::kInt8) {
    // The int32 dot product of two int8 vectors is exact up to this dimension.
    constexpr int kMaxInt8Dimension = INT32_MAX / (127 * 127);
    if (options.dimension > kMaxInt8Dimension) return nullptr;
    return std::make_unique<ExactIndex<int8_t>>(options);
  }
  return std::make_unique<ExactIndex<float>>(options);
}

std::unique_ptr<VectorIndex> CreateExactIndex(int dimension, int threads) {
  ExactIndexOptions options;
  options.dimension = dimension;
  options.threads = threads;
  return CreateExactIndex(options);
}

std::unique_ptr<VectorIndex> CreateExactInt8Index(int dimension, int threads) {
  ExactIndexOptions options;
  options.dimension = dimension;
  options.threads = threads;
  options.encoding = VectorEncoding::kInt8;
  return CreateExactIndex(options);
}

}  // namespace candor::index
