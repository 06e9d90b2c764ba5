#include "index/adaptive_index.h"

#include <algorithm>
#include <cmath>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <random>
#include <shared_mutex>
#include <thread>
#include <vector>

#include "index/dot_product.h"
#include "index/exact_index.h"

namespace candor::index {
namespace {

// Vectors dequantised and inserted per AddBatch call during a build (128 MiB
// of floats at dimension 512).
constexpr size_t kBuildChunk = 65536;

class AdaptiveIndexImpl final : public AdaptiveIndex {
 public:
  explicit AdaptiveIndexImpl(const AdaptiveIndexOptions& options)
      : options_(options),
        dimension_(static_cast<size_t>(options.dimension)),
        current_(CreateExactIndex(options.dimension, options.threads)) {}

  ~AdaptiveIndexImpl() override {
    stop_ = true;
    if (builder_.joinable()) builder_.join();
  }

  Status Add(int64_t label, const std::vector<float>& vector) override {
    std::unique_lock writer(writer_mutex_);
    CANDOR_RETURN_IF_ERROR(current_->Add(label, vector));
    if (building_) journal_.push_back({label, vector});
    MaybeStartBuildLocked(writer);
    return Status::Ok();
  }

  Status Remove(int64_t label) override {
    std::lock_guard writer(writer_mutex_);
    CANDOR_RETURN_IF_ERROR(current_->Remove(label));
    if (building_) journal_.push_back({label, {}});
    return Status::Ok();
  }

  std::vector<Neighbor> Search(const std::vector<float>& query, int k,
                               float min_score) const override {
    return Current()->Search(query, k, min_score);
  }
  void ForEachVector(const std::function<void(int64_t, const float*)>& fn) const override {
    Current()->ForEachVector(fn);
  }
  size_t size() const override { return Current()->size(); }
  int dimension() const override { return options_.dimension; }
  size_t memory_bytes() const override {
    return Current()->memory_bytes() + build_bytes_.load(std::memory_order_relaxed);
  }

  bool approximate() const override {
    std::shared_lock lock(pointer_mutex_);
    return ivf_ != nullptr;
  }
  bool building() const override {
    std::lock_guard writer(writer_mutex_);
    return building_;
  }
  void WaitForBuild() const override {
    std::unique_lock writer(writer_mutex_);
    built_.wait(writer, [&] { return !building_; });
  }
  void SetBuildsEnabled(bool enabled) override {
    std::unique_lock writer(writer_mutex_);
    builds_enabled_ = enabled;
    MaybeStartBuildLocked(writer);
  }
  void Adopt(std::unique_ptr<IvfIndex> ivf, size_t trained_for) override {
    std::lock_guard writer(writer_mutex_);
    ivf->SetProbes(ProbesFor(ivf->lists()));
    InstallLocked(std::shared_ptr<IvfIndex>(std::move(ivf)), trained_for);
  }
  void SetOnBuilt(std::function<void(const IvfIndex&)> on_built) override {
    std::lock_guard writer(writer_mutex_);
    on_built_ = std::move(on_built);
  }

 private:
  int ProbesFor(size_t lists) const {
    return std::max(1, static_cast<int>(std::ceil(options_.probe_fraction * static_cast<double>(lists))));
  }

  struct JournalEntry {
    int64_t label = 0;
    std::vector<float> vector;  // empty: a removal
  };

  std::shared_ptr<VectorIndex> Current() const {
    std::shared_lock lock(pointer_mutex_);
    return current_;
  }

  // Requires writer_mutex_ held (by `writer`).
  void MaybeStartBuildLocked(std::unique_lock<std::mutex>& writer) {
    if (building_ || !builds_enabled_) return;
    const size_t size = current_->size();
    if (size < options_.approximate_min_vectors) return;
    if (ivf_ != nullptr && static_cast<double>(size) < kRetrainGrowth * trained_for_) return;
    building_ = true;
    if (!options_.build_in_background) {
      writer.unlock();
      Build();
      writer.lock();
      return;
    }
    if (builder_.joinable()) builder_.join();  // the previous build has finished
    builder_ = std::thread([this] { Build(); });
  }

  // Requires writer_mutex_ held.
  void InstallLocked(std::shared_ptr<IvfIndex> ivf, size_t trained_for) {
    std::unique_lock lock(pointer_mutex_);
    ivf_ = ivf;
    current_ = std::move(ivf);
    trained_for_ = static_cast<double>(trained_for);
  }

  // Runs with no lock held (building_ is set). Copies the vectors, trains and
  // fills an IVF index, replays the journal and installs it.
  void Build() {
    std::shared_ptr<VectorIndex> source = Current();
    // The copy, as int8 (as the IVF index stores them).
    std::vector<int64_t> labels;
    std::vector<int8_t> codes;
    std::vector<float> scales;
    std::shared_ptr<IvfIndex> ivf;
    try {
      const size_t expected = source->size();
      labels.reserve(expected);
      codes.reserve(expected * dimension_);
      scales.reserve(expected);
      source->ForEachVector([&](int64_t label, const float* v) {
        labels.push_back(label);
        codes.resize(codes.size() + dimension_);
        scales.push_back(QuantizeInt8(v, dimension_, &codes[codes.size() - dimension_]));
      });
      source.reset();  // the build must not keep a replaced index alive
      build_bytes_ = codes.capacity() + scales.capacity() * 4 + labels.capacity() * 8;
      ivf = BuildFromCopy(labels, codes, scales);
    } catch (const std::bad_alloc&) {
      ivf = nullptr;  // keep searching with the current index
    }
    // Nothing of a removed face may stay in memory.
    std::fill(codes.begin(), codes.end(), int8_t{0});
    codes = {};
    scales = {};
    labels = {};
    build_bytes_ = 0;

    std::function<void(const IvfIndex&)> on_built;
    {
      std::lock_guard writer(writer_mutex_);
      if (ivf != nullptr && !stop_) {
        for (const JournalEntry& entry : journal_) {
          // Idempotent: an entry may already be in the copy, or never was.
          if (entry.vector.empty()) {
            static_cast<void>(ivf->Remove(entry.label));
          } else {
            static_cast<void>(ivf->Add(entry.label, entry.vector));
          }
        }
        InstallLocked(ivf, ivf->size());
        on_built = on_built_;
      }
      for (JournalEntry& entry : journal_) std::fill(entry.vector.begin(), entry.vector.end(), 0.f);
      journal_.clear();
      journal_.shrink_to_fit();
    }
    // Still marked as building, so that no other build starts while the
    // callback reads the new index (writes go on meanwhile).
    if (on_built && ivf != nullptr) on_built(*ivf);
    {
      std::lock_guard writer(writer_mutex_);
      building_ = false;
    }
    built_.notify_all();
  }

  // nullptr if stopped or on error.
  std::shared_ptr<IvfIndex> BuildFromCopy(const std::vector<int64_t>& labels,
                                          const std::vector<int8_t>& codes,
                                          const std::vector<float>& scales) {
    const size_t n = labels.size();
    if (n == 0 || stop_) return nullptr;
    IvfIndexOptions ivf_options;
    ivf_options.dimension = options_.dimension;
    ivf_options.lists = IvfListsFor(n);
    ivf_options.probes = ProbesFor(ivf_options.lists);
    ivf_options.threads = options_.threads;
    // The training sample, dequantised: a uniform draw from the copy.
    const size_t sample = std::min(n, ivf_options.lists * ivf_options.training_vectors_per_list);
    std::vector<float> training(sample * dimension_);
    std::mt19937_64 rng(n);
    std::uniform_int_distribution<size_t> any(0, n - 1);
    for (size_t i = 0; i < sample; ++i) {
      const size_t row = sample == n ? i : any(rng);
      Dequantize(codes, scales, row, &training[i * dimension_]);
    }
    auto trained = IvfIndex::Train(ivf_options, training.data(), sample);
    training = {};
    if (!trained.ok() || stop_) return nullptr;
    std::shared_ptr<IvfIndex> ivf = std::move(*trained);
    std::vector<int64_t> chunk_labels;
    std::vector<float> chunk;
    for (size_t begin = 0; begin < n; begin += kBuildChunk) {
      if (stop_) return nullptr;
      const size_t count = std::min(kBuildChunk, n - begin);
      chunk_labels.assign(labels.begin() + static_cast<std::ptrdiff_t>(begin),
                          labels.begin() + static_cast<std::ptrdiff_t>(begin + count));
      chunk.resize(count * dimension_);
      for (size_t i = 0; i < count; ++i) Dequantize(codes, scales, begin + i, &chunk[i * dimension_]);
      if (!ivf->AddBatch(chunk_labels, chunk).ok()) return nullptr;
    }
    std::fill(chunk.begin(), chunk.end(), 0.f);
    return ivf;
  }

  void Dequantize(const std::vector<int8_t>& codes, const std::vector<float>& scales, size_t row,
                  float* out) const {
    const int8_t* code = &codes[row * dimension_];
    for (size_t d = 0; d < dimension_; ++d) out[d] = code[d] * scales[row];
  }

  const AdaptiveIndexOptions options_;
  const size_t dimension_;
  std::atomic<bool> stop_{false};
  std::atomic<size_t> build_bytes_{0};

  // Writers (and the build's install) hold writer_mutex_; pointer_mutex_
  // guards the current_ pointer itself (searches copy it under a shared lock
  // and search with no lock of ours held).
  mutable std::mutex writer_mutex_;
  mutable std::condition_variable built_;
  mutable std::shared_mutex pointer_mutex_;
  std::shared_ptr<VectorIndex> current_;  // exact, or ivf_
  std::shared_ptr<IvfIndex> ivf_;         // null while exact
  double trained_for_ = 0;
  bool building_ = false;       // guarded by writer_mutex_
  bool builds_enabled_ = true;  // guarded by writer_mutex_
  std::vector<JournalEntry> journal_;  // guarded by writer_mutex_
  std::function<void(const IvfIndex&)> on_built_;
  std::thread builder_;
};

}  // namespace

std::unique_ptr<AdaptiveIndex> CreateAdaptiveIndex(const AdaptiveIndexOptions& options) {
  if (options.dimension < 1) return nullptr;
  return std::make_unique<AdaptiveIndexImpl>(options);
}

}  // namespace candor::index
