#include "index/faiss_index.h"

#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/impl/AuxIndexStructures.h>
#include <faiss/impl/DistanceComputer.h>
#include <faiss/impl/FaissException.h>
#include <faiss/impl/HNSW.h>
#include <faiss/utils/Heap.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <mutex>
#include <new>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "index/dot_product.h"
#include "index/malloc_footprint.h"
#include "index/top_k.h"
#include "index/vector_check.h"

namespace candor::index {
namespace {

// Rows the pending buffer is scored in at a time (on-stack scores, 4 KiB).
constexpr size_t kPendingRowsPerTask = 1024;

// Candidates asked of the graph beyond k when no node is dead; a few spare
// places cost nothing (ef >= k anyway) and absorb ties at the cut.
constexpr int kCandidateSlack = 8;

template <typename T>
size_t VectorBytes(const std::vector<T>& v) {
  return MallocFootprint(v.capacity() * sizeof(T));
}

// HNSW minimises a distance; for inner product FAISS negates the similarity
// (as IndexHNSW::search does internally with its own, file-local wrapper).
class NegatedInnerProduct final : public faiss::DistanceComputer {
 public:
  explicit NegatedInnerProduct(faiss::DistanceComputer* inner) : inner_(inner) {}
  void set_query(const float* x) override { inner_->set_query(x); }
  float operator()(idx_t i) override { return -(*inner_)(i); }
  float symmetric_dis(idx_t i, idx_t j) override { return -inner_->symmetric_dis(i, j); }

 private:
  std::unique_ptr<faiss::DistanceComputer> inner_;
};

// Maps an exception from FAISS (or the allocator) to a Status.
Status FromException(const char* what_failed) {
  try {
    throw;
  } catch (const std::bad_alloc&) {
    return Status::ResourceExhausted(std::string(what_failed) + ": out of memory");
  } catch (const faiss::FaissException& e) {
    return Status::Internal(std::string(what_failed) + ": FAISS: " + e.what());
  } catch (const std::exception& e) {
    return Status::Internal(std::string(what_failed) + ": " + e.what());
  }
}

class HnswIndex final : public HnswVectorIndex {
 public:
  explicit HnswIndex(const HnswIndexOptions& options)
      : options_(options),
        dimension_(static_cast<size_t>(options.dimension)),
        kernels_(BestKernels()),
        ef_search_(options.ef_search) {}

  void SetEfSearch(int ef_search) override {
    ef_search_.store(std::max(1, ef_search), std::memory_order_relaxed);
  }

  // Separate from the constructor: FAISS may throw.
  Status Init() {
    try {
      graph_ = NewGraph();
    } catch (...) {
      return FromException("creating the HNSW graph");
    }
    return Status::Ok();
  }

  Status Add(int64_t label, const std::vector<float>& vector) override {
    CANDOR_RETURN_IF_ERROR(CheckVector(vector));
    std::lock_guard turnstile(turnstile_);
    std::unique_lock lock(mutex_);
    if (where_.contains(label)) {
      return Status::AlreadyExists("label " + std::to_string(label) + " is already in the index");
    }
    // Flush before adding, so that a failed flush leaves this Add undone.
    if (pending_labels_.size() >= options_.pending_rows) CANDOR_RETURN_IF_ERROR(FlushLocked());
    AppendPendingLocked(label, vector.data());
    if (rebuilding_) journal_.push_back({label, vector});
    return Status::Ok();
  }

  Status Remove(int64_t label) override {
    std::vector<int64_t> labels;
    std::vector<float> vectors;
    {
      std::lock_guard turnstile(turnstile_);
      std::unique_lock lock(mutex_);
      CANDOR_RETURN_IF_ERROR(RemoveLocked(label));
      if (rebuilding_) journal_.push_back({label, {}});
      const double nodes = static_cast<double>(label_of_node_.size());
      if (rebuilding_ || dead_count_ < options_.pending_rows ||
          static_cast<double>(dead_count_) <= options_.max_dead_fraction * nodes) {
        return Status::Ok();
      }
      // Snapshot the live vectors; later writes are journalled for replay.
      try {
        SnapshotLocked(&labels, &vectors);
      } catch (...) {
        return Status::Ok();  // keep the tombstones, which answer correctly
      }
      rebuilding_ = true;
    }
    // Build the new graph with no lock held: searches and writes go on
    // against the old one meanwhile. The removal itself has succeeded
    // whatever happens here: a failed rebuild keeps the old graph.
    std::unique_ptr<faiss::IndexHNSWFlat> graph;
    try {
      graph = NewGraph();
      if (!labels.empty())
        graph->add(static_cast<faiss::Index::idx_t>(labels.size()), vectors.data());
    } catch (...) {
      graph.reset();
    }
    vectors = {};
    std::lock_guard turnstile(turnstile_);
    std::unique_lock lock(mutex_);
    if (graph != nullptr) {
      InstallLocked(std::move(graph), std::move(labels));
      for (const JournalEntry& entry : journal_) {
        if (entry.vector.empty()) {
          static_cast<void>(RemoveLocked(entry.label));  // present: replayed in order
        } else {
          AppendPendingLocked(entry.label, entry.vector.data());
        }
      }
    }
    journal_.clear();
    journal_.shrink_to_fit();
    rebuilding_ = false;
    return Status::Ok();
  }

  std::vector<Neighbor> Search(const std::vector<float>& query, int k,
                               float min_score) const override {
    if (k < 1 || !CheckVector(query).ok()) return {};
    { std::lock_guard turnstile(turnstile_); }  // wait behind a waiting writer
    std::shared_lock lock(mutex_);
    const size_t live = where_.size();
    if (live == 0) return {};
    const size_t keep = std::min(static_cast<size_t>(k), live);
    TopK top(keep);
    ScorePending(query.data(), min_score, top);
    try {
      SearchGraph(query.data(), keep, min_score, top);
    } catch (...) {
      // Search has no Status; an exception here can only be out of memory.
      return {};
    }
    return top.TakeSorted();
  }

  void ForEachVector(const std::function<void(int64_t, const float*)>& fn) const override {
    std::shared_lock lock(mutex_);
    for (size_t node = 0; node < label_of_node_.size(); ++node) {
      if (!dead_[node]) fn(label_of_node_[node], NodeVector(node));
    }
    for (size_t row = 0; row < pending_labels_.size(); ++row) {
      fn(pending_labels_[row], &pending_vectors_[row * dimension_]);
    }
  }

  size_t size() const override {
    std::shared_lock lock(mutex_);
    return where_.size();
  }

  int dimension() const override { return static_cast<int>(dimension_); }

  size_t memory_bytes() const override {
    std::shared_lock lock(mutex_);
    using MapNode = std::pair<void*, std::pair<const int64_t, Place>>;  // next + value
    size_t bytes = sizeof(*this) + VectorBytes(label_of_node_) + VectorBytes(dead_) +
                   VectorBytes(pending_labels_) + VectorBytes(pending_vectors_) +
                   MallocFootprint(where_.bucket_count() * sizeof(void*)) +
                   where_.size() * MallocFootprint(sizeof(MapNode));
    const faiss::HNSW& hnsw = graph_->hnsw;
    bytes += MallocFootprint(sizeof(faiss::IndexHNSWFlat)) +
             MallocFootprint(sizeof(faiss::IndexFlat)) +
             VectorBytes(static_cast<const faiss::IndexFlat*>(graph_->storage)->codes) +
             VectorBytes(hnsw.levels) + VectorBytes(hnsw.offsets) + VectorBytes(hnsw.neighbors) +
             VectorBytes(hnsw.assign_probas) + VectorBytes(hnsw.cum_nneighbor_per_level);
    std::lock_guard pool_lock(pool_mutex_);
    for (const auto& table : visited_pool_) bytes += VectorBytes(table->visited);
    return bytes;
  }

 private:
  // Where a label's vector is: row `position` of the pending buffer, or node
  // `position` of the graph.
  struct Place {
    bool pending = false;
    size_t position = 0;
  };

  std::unique_ptr<faiss::IndexHNSWFlat> NewGraph() const {
    auto graph = std::make_unique<faiss::IndexHNSWFlat>(options_.dimension, options_.m,
                                                        faiss::METRIC_INNER_PRODUCT);
    graph->hnsw.efConstruction = options_.ef_construction;
    // FAISS 1.7.3's HNSW::search sizes its candidate heap by max(hnsw.efSearch,
    // k) but stops after params->efSearch steps, so a per-search ef above the
    // member is silently capped (measured: ef 128 gave ef 64's results). With
    // the member at 1, SearchGraph passes k = ef and both limits are ef.
    graph->hnsw.efSearch = 1;
    return graph;
  }

  Status CheckVector(const std::vector<float>& vector) const {
    return CheckIndexVector(vector, dimension_);
  }

  const float* NodeVector(size_t node) const {
    return static_cast<const faiss::IndexFlat*>(graph_->storage)->get_xb() + node * dimension_;
  }

  // Inserts the pending buffer into the graph. Requires mutex_ held exclusively.
  Status FlushLocked() {
    if (pending_labels_.empty()) return Status::Ok();
    // A graph that an earlier failed add left with nodes we have no label for
    // is rebuilt (which also takes in the pending rows).
    if (static_cast<size_t>(graph_->ntotal) != label_of_node_.size()) return RebuildLocked();
    try {
      label_of_node_.reserve(label_of_node_.size() + pending_labels_.size());
      dead_.reserve(label_of_node_.size() + pending_labels_.size());
      graph_->add(static_cast<faiss::Index::idx_t>(pending_labels_.size()),
                  pending_vectors_.data());
    } catch (...) {
      return FromException("inserting into the HNSW graph");
    }
    for (int64_t label : pending_labels_) {
      where_[label] = Place{false, label_of_node_.size()};
      label_of_node_.push_back(label);
      dead_.push_back(0);
    }
    pending_labels_.clear();
    pending_vectors_.clear();
    return Status::Ok();
  }

  // Appends a row to the pending buffer. Requires mutex_ held exclusively.
  void AppendPendingLocked(int64_t label, const float* vector) {
    where_[label] = Place{true, pending_labels_.size()};
    pending_labels_.push_back(label);
    pending_vectors_.insert(pending_vectors_.end(), vector, vector + dimension_);
  }

  // Forgets `label`: a pending row is deleted, a graph node marked dead.
  // Requires mutex_ held exclusively.
  Status RemoveLocked(int64_t label) {
    auto it = where_.find(label);
    if (it == where_.end()) {
      return Status::NotFound("label " + std::to_string(label) + " is not in the index");
    }
    const Place place = it->second;
    where_.erase(it);
    if (!place.pending) {
      dead_[place.position] = 1;
      ++dead_count_;
      return Status::Ok();
    }
    // Move the last pending row into the hole.
    const size_t last = pending_labels_.size() - 1;
    if (place.position != last) {
      std::memcpy(&pending_vectors_[place.position * dimension_],
                  &pending_vectors_[last * dimension_], dimension_ * sizeof(float));
      pending_labels_[place.position] = pending_labels_[last];
      where_[pending_labels_[place.position]] = place;
    }
    pending_labels_.pop_back();
    pending_vectors_.resize(pending_labels_.size() * dimension_);
    return Status::Ok();
  }

  // Copies the live graph nodes and the pending rows. Requires mutex_ held
  // (shared is enough). May throw (allocation).
  void SnapshotLocked(std::vector<int64_t>* labels, std::vector<float>* vectors) const {
    labels->reserve(where_.size());
    vectors->reserve(where_.size() * dimension_);
    for (size_t node = 0; node < label_of_node_.size(); ++node) {
      if (dead_[node]) continue;
      labels->push_back(label_of_node_[node]);
      vectors->insert(vectors->end(), NodeVector(node), NodeVector(node) + dimension_);
    }
    labels->insert(labels->end(), pending_labels_.begin(), pending_labels_.end());
    vectors->insert(vectors->end(), pending_vectors_.begin(), pending_vectors_.end());
  }

  // Makes `graph` (node i has label labels[i]) the whole index, with an empty
  // pending buffer. Requires mutex_ held exclusively.
  void InstallLocked(std::unique_ptr<faiss::IndexHNSWFlat> graph, std::vector<int64_t> labels) {
    graph_ = std::move(graph);
    label_of_node_ = std::move(labels);
    dead_.assign(label_of_node_.size(), 0);
    dead_count_ = 0;
    pending_labels_ = {};
    pending_vectors_ = {};
    where_.clear();
    for (size_t node = 0; node < label_of_node_.size(); ++node) {
      where_[label_of_node_[node]] = Place{false, node};
    }
    std::lock_guard pool_lock(pool_mutex_);
    visited_pool_.clear();  // sized for the old graph
  }

  // Builds a new graph from the live nodes and the pending rows, and swaps it
  // in, all under the lock; on failure nothing changes. Only for recovering
  // from a failed insert (Remove rebuilds without holding the lock).
  // Requires mutex_ held exclusively.
  Status RebuildLocked() {
    std::vector<int64_t> labels;
    std::vector<float> vectors;
    std::unique_ptr<faiss::IndexHNSWFlat> graph;
    try {
      SnapshotLocked(&labels, &vectors);
      graph = NewGraph();
      if (!labels.empty())
        graph->add(static_cast<faiss::Index::idx_t>(labels.size()), vectors.data());
    } catch (...) {
      return FromException("rebuilding the HNSW graph");
    }
    InstallLocked(std::move(graph), std::move(labels));
    return Status::Ok();
  }

  // Scores every pending row exactly. Requires mutex_ held (shared is enough).
  void ScorePending(const float* query, float min_score, TopK& top) const {
    const size_t rows = pending_labels_.size();
    for (size_t begin = 0; begin < rows; begin += kPendingRowsPerTask) {
      const size_t count = std::min(kPendingRowsPerTask, rows - begin);
      float scores[kPendingRowsPerTask];
      kernels_.score_rows_f32(&pending_vectors_[begin * dimension_], count, dimension_, query,
                              scores);
      for (size_t i = 0; i < count; ++i) {
        if (scores[i] >= min_score) top.Push(scores[i], pending_labels_[begin + i]);
      }
    }
  }

  // Walks the graph for the `keep` best live nodes. Requires mutex_ held
  // (shared is enough). May throw (allocation).
  void SearchGraph(const float* query, size_t keep, float min_score, TopK& top) const {
    const size_t nodes = label_of_node_.size();
    if (nodes == 0) return;
    // Dead nodes are among the candidates in proportion to their share of the
    // graph; ask for twice that many extra, and again with twice as many if
    // too few live candidates come back.
    const double dead_fraction = static_cast<double>(dead_count_) / static_cast<double>(nodes);
    size_t wanted = keep + kCandidateSlack +
                    static_cast<size_t>(std::ceil(2.0 * dead_fraction * static_cast<double>(keep)));
    std::unique_ptr<faiss::VisitedTable> visited = AcquireVisitedTable();
    NegatedInnerProduct distance(graph_->storage->get_distance_computer());
    distance.set_query(query);
    std::vector<float> distances;
    std::vector<faiss::Index::idx_t> ids;
    for (;;) {
      wanted = std::min(wanted, nodes);
      // The walk keeps its `ef` best candidates; all of them are returned.
      const size_t ef = std::max<size_t>(ef_search_.load(std::memory_order_relaxed), wanted);
      distances.resize(ef);
      ids.resize(ef);
      faiss::maxheap_heapify(ef, distances.data(), ids.data());
      faiss::SearchParametersHNSW params;
      params.efSearch = static_cast<int>(ef);
      graph_->hnsw.search(distance, static_cast<int>(ef), ids.data(), distances.data(), *visited,
                          &params);
      faiss::maxheap_reorder(ef, distances.data(), ids.data());
      visited->advance();
      size_t live_found = 0;
      for (size_t i = 0; i < ef; ++i) {
        // -1 marks an unfilled place; ids beyond label_of_node_ are nodes a
        // failed insert left behind.
        if (ids[i] < 0 || static_cast<size_t>(ids[i]) >= nodes || dead_[ids[i]]) continue;
        ++live_found;
      }
      if (live_found >= keep || wanted >= nodes) break;
      wanted *= 2;
    }
    ReleaseVisitedTable(std::move(visited));
    for (size_t i = 0; i < ids.size(); ++i) {
      if (ids[i] < 0 || static_cast<size_t>(ids[i]) >= nodes || dead_[ids[i]]) continue;
      const float score = -distances[i];
      if (score >= min_score) top.Push(score, label_of_node_[ids[i]]);
    }
  }

  // A visited-node table for one graph walk, reused across searches: a fresh
  // one costs a zeroed byte per node (1 MB at 1M vectors).
  std::unique_ptr<faiss::VisitedTable> AcquireVisitedTable() const {
    const size_t nodes = static_cast<size_t>(graph_->ntotal);
    std::unique_ptr<faiss::VisitedTable> table;
    {
      std::lock_guard pool_lock(pool_mutex_);
      if (!visited_pool_.empty()) {
        table = std::move(visited_pool_.back());
        visited_pool_.pop_back();
      }
    }
    if (!table) return std::make_unique<faiss::VisitedTable>(static_cast<int>(nodes));
    // New entries are 0, which no walk uses as its mark (marks start at 1).
    if (table->visited.size() < nodes) table->visited.resize(nodes);
    return table;
  }

  void ReleaseVisitedTable(std::unique_ptr<faiss::VisitedTable> table) const {
    std::lock_guard pool_lock(pool_mutex_);
    visited_pool_.push_back(std::move(table));
  }

  const HnswIndexOptions options_;
  const size_t dimension_;
  const DotProductKernels& kernels_;
  std::atomic<int> ef_search_;

  // Writers take turnstile_ before mutex_; readers pass through it before
  // taking mutex_ shared (see exact_index.h: glibc's rwlock prefers readers).
  mutable std::mutex turnstile_;
  mutable std::shared_mutex mutex_;
  // Guarded by mutex_. Node i of graph_ has label label_of_node_[i] and is
  // dead (removed) if dead_[i]; where_ holds every live label.
  std::unique_ptr<faiss::IndexHNSWFlat> graph_;
  std::vector<int64_t> label_of_node_;
  std::vector<uint8_t> dead_;
  size_t dead_count_ = 0;
  std::vector<int64_t> pending_labels_;
  std::vector<float> pending_vectors_;  // row-major, pending_labels_.size() rows
  std::unordered_map<int64_t, Place> where_;
  // While a Remove rebuilds the graph outside the lock, every Add and Remove
  // is also journalled here (a removal has an empty vector) and replayed on
  // the new graph when it is installed. At most one rebuild runs at a time.
  struct JournalEntry {
    int64_t label = 0;
    std::vector<float> vector;
  };
  bool rebuilding_ = false;
  std::vector<JournalEntry> journal_;

  // Guarded by pool_mutex_ (taken while mutex_ is held, never the reverse).
  mutable std::mutex pool_mutex_;
  mutable std::vector<std::unique_ptr<faiss::VisitedTable>> visited_pool_;
};

}  // namespace

std::unique_ptr<HnswVectorIndex> CreateHnswIndex(const HnswIndexOptions& options) {
  if (options.dimension < 1 || options.m < 2 || options.ef_construction < 1 ||
      options.ef_search < 1 || options.pending_rows < 1 || !(options.max_dead_fraction > 0) ||
      options.max_dead_fraction > 1) {
    return nullptr;
  }
  auto index = std::make_unique<HnswIndex>(options);
  if (!index->Init().ok()) return nullptr;
  return index;
}

}  // namespace candor::index
