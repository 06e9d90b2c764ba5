// TopK: the k best neighbours seen so far, in a bounded heap.
//
// "Better" is the order of VectorIndex::Search: higher score first, and on
// equal scores the lower label first, so results do not depend on insertion
// order or on how a search was split across threads.
//
// Thread safety: a TopK is a plain value; give each thread its own and Merge
// them afterwards.
#ifndef CANDOR_INDEX_TOP_K_H_
#define CANDOR_INDEX_TOP_K_H_

#include <algorithm>
#include <cstddef>
#include <utility>
#include <vector>

#include "index/vector_index.h"

namespace candor::index {

// True if `a` ranks before `b` in search results.
inline bool RanksBefore(const Neighbor& a, const Neighbor& b) {
  return a.score > b.score || (a.score == b.score && a.label < b.label);
}

class TopK {
 public:
  // Keeps at most `k` neighbours (k >= 1).
  explicit TopK(size_t k) : k_(k) { heap_.reserve(k); }

  // Offers one candidate; O(1) when it does not make the cut, O(log k) when
  // it does.
  void Push(float score, int64_t label) {
    if (heap_.size() < k_) {
      heap_.push_back({label, score});
      std::push_heap(heap_.begin(), heap_.end(), RanksBefore);
      return;
    }
    // heap_.front() is the worst kept neighbour.
    const Neighbor& worst = heap_.front();
    if (score < worst.score || (score == worst.score && label >= worst.label)) return;
    std::pop_heap(heap_.begin(), heap_.end(), RanksBefore);
    heap_.back() = {label, score};
    std::push_heap(heap_.begin(), heap_.end(), RanksBefore);
  }

  void Merge(const TopK& other) {
    for (const Neighbor& n : other.heap_) Push(n.score, n.label);
  }

  // The kept neighbours, best first; leaves this TopK empty.
  std::vector<Neighbor> TakeSorted() {
    std::sort_heap(heap_.begin(), heap_.end(), RanksBefore);
    return std::move(heap_);
  }

 private:
  size_t k_;
  // A heap ordered by RanksBefore: the front is the worst kept neighbour.
  std::vector<Neighbor> heap_;
};

}  // namespace candor::index

#endif  // CANDOR_INDEX_TOP_K_H_
