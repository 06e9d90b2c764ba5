#include "index/sketch_index.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <unordered_map>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "core/parallel.h"
#include "index/dot_product.h"
#include "index/exact_index.h"
#include "index/malloc_footprint.h"
#include "index/top_k.h"
#include "index/vector_check.h"

namespace candor::index {
namespace {

// The loop of the portable and POPCNT kernels: inlined into each, so that
// __builtin_popcountll compiles to the instruction where the caller's
// target has it.
__attribute__((always_inline)) inline void DistancesLoop(const uint64_t* rows, size_t count,
                                                         size_t words, const uint64_t* query,
                                                         uint16_t* out) {
  for (size_t i = 0; i < count; ++i) {
    const uint64_t* row = rows + i * words;
    unsigned d = 0;
    for (size_t w = 0; w < words; ++w) d += static_cast<unsigned>(__builtin_popcountll(row[w] ^ query[w]));
    out[i] = static_cast<uint16_t>(d);
  }
}

void DistancesPortable(const uint64_t* rows, size_t count, size_t words, const uint64_t* query,
                       uint16_t* out) {
  DistancesLoop(rows, count, words, query, out);
}

#if defined(__x86_64__)
__attribute__((target("popcnt"))) void DistancesPopcnt(const uint64_t* rows, size_t count,
                                                       size_t words, const uint64_t* query,
                                                       uint16_t* out) {
  DistancesLoop(rows, count, words, query, out);
}

// Eight words (512 bits) per row: one 512-bit XOR and popcount per row.
// (GCC 12 warns, wrongly, that _mm512_reduce_add_epi64 reads an
// uninitialised value: its extract intrinsic passes an undefined merge
// source with an all-ones mask.)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
__attribute__((target("avx512f,avx512vpopcntdq"))) void DistancesAvx512(const uint64_t* rows,
                                                                        size_t count,
                                                                        const uint64_t* query,
                                                                        uint16_t* out) {
  const __m512i q = _mm512_loadu_si512(query);
  for (size_t i = 0; i < count; ++i) {
    const __m512i x = _mm512_xor_si512(_mm512_loadu_si512(rows + i * 8), q);
    out[i] = static_cast<uint16_t>(_mm512_reduce_add_epi64(_mm512_popcnt_epi64(x)));
  }
}
#pragma GCC diagnostic pop
#endif

bool CpuHas(SketchKernel kernel) {
#if defined(__x86_64__)
  __builtin_cpu_init();
  switch (kernel) {
    case SketchKernel::kPortable:
      return true;
    case SketchKernel::kPopcnt:
      return __builtin_cpu_supports("popcnt");
    case SketchKernel::kAvx512Vpopcntdq:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vpopcntdq");
  }
  return false;
#else
  return kernel == SketchKernel::kPortable;
#endif
}

// A candidate of the sketch scan: Hamming distance above, position below,
// so that ordering the keys orders by distance, then position (the result
// does not depend on how the scan was split across threads).
constexpr int kPositionBits = 40;
uint64_t Key(uint16_t distance, uint64_t position) {
  return (uint64_t{distance} << kPositionBits) | position;
}
uint64_t PositionOf(uint64_t key) { return key & ((uint64_t{1} << kPositionBits) - 1); }

// The `keep` smallest keys seen, with a cutoff that lets a scan skip most
// rows without a push once it is full.
class Nearest {
 public:
  explicit Nearest(size_t keep) : keep_(keep) { keys_.reserve(2 * keep); }
  uint16_t cutoff() const { return cutoff_; }
  void Push(uint64_t key) {
    keys_.push_back(key);
    if (keys_.size() >= 2 * keep_) Prune();
  }
  void Merge(const Nearest& other) {
    for (uint64_t key : other.keys_) Push(key);
  }
  // The kept keys (the `keep` smallest), in no order.
  std::vector<uint64_t> Take() {
    Prune();
    return std::move(keys_);
  }

 private:
  void Prune() {
    if (keys_.size() <= keep_) return;
    std::nth_element(keys_.begin(), keys_.begin() + static_cast<std::ptrdiff_t>(keep_ - 1),
                     keys_.end());
    keys_.resize(keep_);
    cutoff_ = static_cast<uint16_t>(keys_[keep_ - 1] >> kPositionBits);
  }

  size_t keep_;
  uint16_t cutoff_ = UINT16_MAX;  // rows farther than this cannot be kept
  std::vector<uint64_t> keys_;
};

class SketchIndexImpl final : public SketchIndex {
 public:
  SketchIndexImpl(const SketchIndexOptions& options, SketchKernel kernel)
      : dimension_(static_cast<size_t>(options.dimension)),
        words_((dimension_ + 63) / 64),
        threads_(ResolveThreads(options.threads)),
        kernel_(kernel),
        kernels_(BestKernels()),
        candidates_(options.candidates) {}

  ~SketchIndexImpl() override {
    for (Block& block : blocks_) Wipe(block, 0, kBlockRows);
  }

  Status Add(int64_t label, const std::vector<float>& vector) override {
    CANDOR_RETURN_IF_ERROR(CheckVector(vector));
    std::vector<uint64_t> sketch(words_);
    Sketch(vector.data(), dimension_, sketch.data());
    std::vector<int8_t> code(dimension_);
    const float scale = QuantizeInt8(vector.data(), dimension_, code.data());
    std::lock_guard turnstile(turnstile_);
    std::unique_lock lock(mutex_);
    if (where_.contains(label)) {
      return Status::AlreadyExists("label " + std::to_string(label) + " is already in the index");
    }
    if (size_ == blocks_.size() * kBlockRows) blocks_.push_back(NewBlock());
    const size_t position = size_++;
    Block& block = blocks_[position / kBlockRows];
    const size_t row = position % kBlockRows;
    std::memcpy(&block.sketches[row * words_], sketch.data(), words_ * sizeof(uint64_t));
    std::memcpy(&block.codes[row * dimension_], code.data(), dimension_);
    block.scales[row] = scale;
    block.labels[row] = label;
    where_.emplace(label, position);
    return Status::Ok();
  }

  Status Remove(int64_t label) override {
    std::lock_guard turnstile(turnstile_);
    std::unique_lock lock(mutex_);
    auto it = where_.find(label);
    if (it == where_.end()) {
      return Status::NotFound("label " + std::to_string(label) + " is not in the index");
    }
    const size_t hole = it->second;
    where_.erase(it);
    const size_t last = --size_;
    Block& to = blocks_[hole / kBlockRows];
    Block& from = blocks_[last / kBlockRows];
    const size_t to_row = hole % kBlockRows;
    const size_t from_row = last % kBlockRows;
    if (hole != last) {
      std::memcpy(&to.sketches[to_row * words_], &from.sketches[from_row * words_],
                  words_ * sizeof(uint64_t));
      std::memcpy(&to.codes[to_row * dimension_], &from.codes[from_row * dimension_], dimension_);
      to.scales[to_row] = from.scales[from_row];
      to.labels[to_row] = from.labels[from_row];
      where_[to.labels[to_row]] = hole;
    }
    Wipe(from, from_row, 1);
    // An empty last block is given back (already zeroed).
    if (size_ % kBlockRows == 0 && blocks_.size() > size_ / kBlockRows) blocks_.pop_back();
    return Status::Ok();
  }

  std::vector<Neighbor> Search(const std::vector<float>& query, int k,
                               float min_score) const override {
    if (k < 1 || CheckVector(query).code() != StatusCode::kOk) return {};
    std::vector<uint64_t> sketch(words_);
    Sketch(query.data(), dimension_, sketch.data());
    std::vector<int8_t> code(dimension_);
    const float query_scale = QuantizeInt8(query.data(), dimension_, code.data());
    const size_t keep_results = static_cast<size_t>(k);
    const size_t wanted = std::max(candidates_.load(std::memory_order_relaxed), 2 * keep_results);

    { std::lock_guard turnstile(turnstile_); }  // wait behind a waiting writer
    std::shared_lock lock(mutex_);
    if (size_ == 0) return {};
    // 1. The `wanted` rows nearest in Hamming distance.
    std::vector<uint64_t> keys;
    if (wanted >= size_) {
      keys.resize(size_);
      for (size_t p = 0; p < size_; ++p) keys[p] = p;
    } else {
      const int workers = size_ >= kDefaultParallelMinRows ? threads_ : 1;
      std::vector<Nearest> nearest(static_cast<size_t>(workers), Nearest(wanted));
      core::ParallelFor(static_cast<size_t>(workers), workers, [&](size_t w) {
        std::vector<uint16_t> distances(kBlockRows);
        Nearest& mine = nearest[w];
        for (size_t b = w; b < blocks_.size(); b += static_cast<size_t>(workers)) {
          const size_t rows = std::min(kBlockRows, size_ - b * kBlockRows);
          Distances(blocks_[b].sketches.get(), rows, sketch.data(), distances.data());
          for (size_t r = 0; r < rows; ++r) {
            if (distances[r] <= mine.cutoff()) mine.Push(Key(distances[r], b * kBlockRows + r));
          }
        }
      });
      for (size_t w = 1; w < nearest.size(); ++w) nearest[0].Merge(nearest[w]);
      keys = nearest[0].Take();
    }
    // 2. Those rows scored with their int8 codes, in row order, each row's
    // code fetched a few rows ahead (the rows are scattered: without the
    // prefetch the scoring waits on memory for most of its time).
    std::sort(keys.begin(), keys.end(),
              [](uint64_t a, uint64_t b) { return PositionOf(a) < PositionOf(b); });
    constexpr size_t kPrefetchAhead = 8;
    auto prefetch = [&](size_t i) {
      const size_t position = PositionOf(keys[i]);
      const int8_t* row = &blocks_[position / kBlockRows].codes[(position % kBlockRows) * dimension_];
      for (size_t line = 0; line < dimension_; line += 64) __builtin_prefetch(row + line);
    };
    for (size_t i = 0; i < std::min(kPrefetchAhead, keys.size()); ++i) prefetch(i);
    TopK top(std::min(keep_results, size_));
    for (size_t i = 0; i < keys.size(); ++i) {
      if (i + kPrefetchAhead < keys.size()) prefetch(i + kPrefetchAhead);
      const size_t position = PositionOf(keys[i]);
      const Block& block = blocks_[position / kBlockRows];
      const size_t row = position % kBlockRows;
      float score = 0;
      kernels_.score_rows_int8(&block.codes[row * dimension_], &block.scales[row], 1, dimension_,
                               code.data(), query_scale, &score);
      // Written so that a NaN min_score keeps nothing.
      if (score >= min_score) top.Push(score, block.labels[row]);
    }
    return top.TakeSorted();
  }

  void ForEachVector(const std::function<void(int64_t, const float*)>& fn) const override {
    std::shared_lock lock(mutex_);
    std::vector<float> buffer(dimension_);
    for (size_t p = 0; p < size_; ++p) {
      const Block& block = blocks_[p / kBlockRows];
      const size_t row = p % kBlockRows;
      const int8_t* code = &block.codes[row * dimension_];
      for (size_t i = 0; i < dimension_; ++i) buffer[i] = code[i] * block.scales[row];
      fn(block.labels[row], buffer.data());
    }
  }

  size_t size() const override {
    std::shared_lock lock(mutex_);
    return size_;
  }
  int dimension() const override { return static_cast<int>(dimension_); }
  SketchKernel kernel() const override { return kernel_; }
  void SetCandidates(size_t candidates) override {
    candidates_.store(std::max<size_t>(1, candidates), std::memory_order_relaxed);
  }

  size_t memory_bytes() const override {
    std::shared_lock lock(mutex_);
    using MapNode = std::pair<void*, std::pair<const int64_t, size_t>>;  // next + value
    const size_t block_bytes = MallocFootprint(kBlockRows * words_ * sizeof(uint64_t)) +
                               MallocFootprint(kBlockRows * dimension_) +
                               MallocFootprint(kBlockRows * sizeof(float)) +
                               MallocFootprint(kBlockRows * sizeof(int64_t));
    return sizeof(*this) + MallocFootprint(blocks_.capacity() * sizeof(Block)) +
           blocks_.size() * block_bytes + MallocFootprint(where_.bucket_count() * sizeof(void*)) +
           where_.size() * MallocFootprint(sizeof(MapNode));
  }

 private:
  // kBlockRows rows; allocated whole, never resized.
  struct Block {
    std::unique_ptr<uint64_t[]> sketches;  // words_ per row
    std::unique_ptr<int8_t[]> codes;       // dimension_ per row
    std::unique_ptr<float[]> scales;
    std::unique_ptr<int64_t[]> labels;
  };

  Block NewBlock() const {
    return {std::make_unique<uint64_t[]>(kBlockRows * words_),
            std::make_unique<int8_t[]>(kBlockRows * dimension_),
            std::make_unique<float[]>(kBlockRows), std::make_unique<int64_t[]>(kBlockRows)};
  }

  void Wipe(Block& block, size_t row, size_t rows) const {
    std::memset(&block.sketches[row * words_], 0, rows * words_ * sizeof(uint64_t));
    std::memset(&block.codes[row * dimension_], 0, rows * dimension_);
    std::memset(&block.scales[row], 0, rows * sizeof(float));
    std::memset(&block.labels[row], 0, rows * sizeof(int64_t));
  }

  void Distances(const uint64_t* rows, size_t count, const uint64_t* query, uint16_t* out) const {
    SketchDistances(kernel_, rows, count, words_, query, out);
  }

  Status CheckVector(const std::vector<float>& vector) const {
    return CheckIndexVector(vector, dimension_);
  }

  const size_t dimension_;
  const size_t words_;
  const int threads_;
  const SketchKernel kernel_;
  const DotProductKernels& kernels_;
  std::atomic<size_t> candidates_;

  mutable std::mutex turnstile_;
  mutable std::shared_mutex mutex_;
  // Guarded by mutex_. Rows 0..size_-1 are in use, row p in block
  // p / kBlockRows.
  std::vector<Block> blocks_;
  size_t size_ = 0;
  std::unordered_map<int64_t, size_t> where_;  // label -> row
};

}  // namespace

const char* SketchKernelName(SketchKernel kernel) {
  switch (kernel) {
    case SketchKernel::kPortable:
      return "portable";
    case SketchKernel::kPopcnt:
      return "POPCNT";
    case SketchKernel::kAvx512Vpopcntdq:
      return "AVX-512 VPOPCNTDQ";
  }
  return "unknown";
}

SketchKernel BestSketchKernel(int dimension) {
  if (dimension == 512 && CpuHas(SketchKernel::kAvx512Vpopcntdq)) {
    return SketchKernel::kAvx512Vpopcntdq;
  }
  if (CpuHas(SketchKernel::kPopcnt)) return SketchKernel::kPopcnt;
  return SketchKernel::kPortable;
}

void SketchDistances(SketchKernel kernel, const uint64_t* rows, size_t count, size_t words,
                     const uint64_t* query, uint16_t* out) {
#if defined(__x86_64__)
  if (kernel == SketchKernel::kAvx512Vpopcntdq && words == 8) {
    DistancesAvx512(rows, count, query, out);
    return;
  }
  if (kernel != SketchKernel::kPortable) {
    DistancesPopcnt(rows, count, words, query, out);
    return;
  }
#endif
  DistancesPortable(rows, count, words, query, out);
}

void Sketch(const float* vector, size_t dimension, uint64_t* out) {
  const size_t words = (dimension + 63) / 64;
  for (size_t w = 0; w < words; ++w) {
    uint64_t bits = 0;
    const size_t end = std::min<size_t>(64, dimension - w * 64);
    for (size_t b = 0; b < end; ++b) bits |= uint64_t{vector[w * 64 + b] > 0.0f} << b;
    out[w] = bits;
  }
}

std::unique_ptr<SketchIndex> SketchIndex::Create(const SketchIndexOptions& options) {
  return CreateWithKernel(options, BestSketchKernel(options.dimension));
}

std::unique_ptr<SketchIndex> SketchIndex::CreateWithKernel(const SketchIndexOptions& options,
                                                           SketchKernel kernel) {
  // Distances are uint16 and positions must fit kPositionBits.
  if (options.dimension < 1 || options.dimension > 65535 || options.candidates < 1 ||
      !CpuHas(kernel)) {
    return nullptr;
  }
  return std::unique_ptr<SketchIndex>(new SketchIndexImpl(options, kernel));
}

}  // namespace candor::index
