#include "index/adaptive_index.h"

#include <mutex>
#include <shared_mutex>
#include <vector>

#include "index/exact_index.h"

namespace candor::index {
namespace {

class AdaptiveIndexImpl final : public AdaptiveIndex {
 public:
  explicit AdaptiveIndexImpl(const AdaptiveIndexOptions& options)
      : options_(options), current_(CreateExactIndex(options.dimension, options.threads)) {}

  Status Add(int64_t label, const std::vector<float>& vector) override {
    std::lock_guard writer(writer_mutex_);
    CANDOR_RETURN_IF_ERROR(current_->Add(label, vector));
    if (!approximate_ && current_->size() >= options_.approximate_min_vectors) {
      SwitchLocked();
    }
    return Status::Ok();
  }

  Status Remove(int64_t label) override {
    std::lock_guard writer(writer_mutex_);
    return current_->Remove(label);
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
  size_t memory_bytes() const override { return Current()->memory_bytes(); }

  bool approximate() const override {
    std::shared_lock lock(pointer_mutex_);
    return approximate_;
  }

  void Reserve(size_t expected) override {
    std::lock_guard writer(writer_mutex_);
    if (!approximate_ && current_->size() == 0 && expected >= options_.approximate_min_vectors) {
      SwitchLocked();
    }
  }

 private:
  std::shared_ptr<VectorIndex> Current() const {
    std::shared_lock lock(pointer_mutex_);
    return current_;
  }

  // Requires writer_mutex_. Copies the exact index into a sketch index and
  // installs it; searches meanwhile still use the exact index (they hold a
  // reference to it), and the exact index's vectors are zeroed once no
  // search uses it (its destructor). On failure (out of memory) the index
  // stays exact.
  void SwitchLocked() {
    std::shared_ptr<SketchIndex> sketch;
    try {
      sketch = SketchIndex::Create({.dimension = options_.dimension,
                                    .candidates = options_.candidates,
                                    .threads = options_.threads});
      if (sketch == nullptr) return;
      std::vector<float> buffer(static_cast<size_t>(options_.dimension));
      Status status;
      current_->ForEachVector([&](int64_t label, const float* v) {
        if (!status.ok()) return;
        buffer.assign(v, v + buffer.size());
        status = sketch->Add(label, buffer);
      });
      std::fill(buffer.begin(), buffer.end(), 0.f);
      if (!status.ok()) return;
    } catch (const std::bad_alloc&) {
      return;
    }
    std::unique_lock lock(pointer_mutex_);
    current_ = std::move(sketch);
    approximate_ = true;
  }

  const AdaptiveIndexOptions options_;
  // Writers hold writer_mutex_; pointer_mutex_ guards the current_ pointer
  // itself (searches copy it under a shared lock and search with no lock of
  // ours held).
  mutable std::mutex writer_mutex_;
  mutable std::shared_mutex pointer_mutex_;
  std::shared_ptr<VectorIndex> current_;  // exact, or the sketch index
  bool approximate_ = false;              // guarded by both
};

}  // namespace

std::unique_ptr<AdaptiveIndex> CreateAdaptiveIndex(const AdaptiveIndexOptions& options) {
  if (options.dimension < 1 || options.candidates < 1) return nullptr;
  return std::make_unique<AdaptiveIndexImpl>(options);
}

}  // namespace candor::index
