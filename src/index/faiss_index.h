// Approximate nearest-neighbour search: an HNSW graph (FAISS IndexHNSWFlat,
// inner product) behind the VectorIndex interface. This pair is the only code
// that includes FAISS headers; FAISS exceptions are caught here.
//
// Layout of the index:
//  - the graph holds float32 vectors and their links (M=32: ~64 links of 4
//    bytes per vector on level 0), numbered 0..n-1 in insertion order, with a
//    label per node kept here;
//  - new vectors first go to a small exact "pending" buffer, which Search scans
//    with the SIMD kernels of dot_product.h; when it holds pending_rows vectors
//    they are inserted into the graph in one batch. FAISS (1.7.3) cannot insert
//    one vector cheaply: every add() call initialises one lock per node, so
//    vector-at-a-time adds would cost O(n^2) over a build;
//  - HNSW cannot remove a node (its links route other searches). Remove marks
//    the node dead (a tombstone): it stays in the graph for routing but is
//    never returned; Search asks the graph for more candidates than k to make
//    up for dead ones. When dead nodes exceed max_dead_fraction of the graph,
//    the Remove that crosses the line rebuilds the graph from the live vectors:
//    it copies them under the lock, builds the new graph with no lock held
//    (other searches and writes go on against the old graph, and writes are
//    journalled), then takes the lock to replay the journal and swap. That
//    one Remove call takes as long as a build (measured: 320 s for 90k
//    vectors on a loaded 2-core VM, see bench/recall_bench), and memory peaks
//    at ~2x while it runs.
//
// Ownership: the index keeps its own copy of every vector; nothing passed in is
// referenced after the call returns.
//
// Thread safety: as for every VectorIndex, any number of Search calls run at
// once (each on the calling thread: the graph walk does not use OpenMP);
// Add and Remove take an exclusive lock, and the Add that fills the pending
// buffer inserts the batch into the graph (FAISS's OpenMP threads) while
// holding it. A waiting writer holds back
// searches that arrive after it.
#ifndef CANDOR_INDEX_FAISS_INDEX_H_
#define CANDOR_INDEX_FAISS_INDEX_H_

#include <cstddef>
#include <memory>

#include "index/vector_index.h"

namespace candor::index {

// Defaults measured on real face embeddings (LFW + UTKFace through the engine)
// and synthetic vectors drawn near them, by bench/recall_bench; see the table
// in that file's header comment.
//
// Links per node on the upper levels (2M on level 0). 32 is the usual choice
// for 512-dimensional embeddings (FAISS's own benchmarks use 32 for deep1B).
inline constexpr int kDefaultHnswM = 32;
// Candidate list size while inserting: graph quality against build time
// (~500 adds/s at 100k vectors on 2 cores with 128).
inline constexpr int kDefaultHnswEfConstruction = 128;
// Candidate list size while searching: the smallest measured value with
// recall@1 >= 0.99 and recall@10 >= 0.99 against exact search from 13k to
// 100k vectors (at 100k: 0.992 / 0.992 with 128; 0.986 / 0.985 with 96).
inline constexpr int kDefaultHnswEfSearch = 128;

struct HnswIndexOptions {
  // Components per vector; must be >= 1.
  int dimension = 512;
  // Must be >= 2.
  int m = kDefaultHnswM;
  // Must be >= 1.
  int ef_construction = kDefaultHnswEfConstruction;
  // Must be >= 1; a search of k results uses max(ef_search, k + slack).
  int ef_search = kDefaultHnswEfSearch;
  // Vectors held in the exact buffer before a batch insert into the graph.
  // Must be >= 1. The Add that fills it inserts the batch holding the
  // exclusive lock: 256 rows at ~500-700 inserts/s is a ~0.4 s pause of
  // searches every 256 enrolments; a FAISS add also costs O(size) set-up, so
  // much smaller batches slow a 1M build. 256 rows of 512 floats add ~10 us
  // to a search.
  size_t pending_rows = 256;
  // Rebuild the graph when dead nodes exceed this fraction of its nodes (and
  // there are at least pending_rows of them). In (0, 1].
  double max_dead_fraction = 0.1;
};

// A VectorIndex whose search effort can be tuned while it is in use.
class HnswVectorIndex : public VectorIndex {
 public:
  // Sets HnswIndexOptions::ef_search for searches that start after the call
  // (values < 1 are taken as 1). Safe to call concurrently with Search.
  virtual void SetEfSearch(int ef_search) = 0;
};

// nullptr if an option is out of range (a programming error, not user input).
std::unique_ptr<HnswVectorIndex> CreateHnswIndex(const HnswIndexOptions& options);

}  // namespace candor::index

#endif  // CANDOR_INDEX_FAISS_INDEX_H_
