// Approximate nearest-neighbour search for large collections: a scan of
// one-bit sketches, then int8 rescoring of the best candidates.
//
// Every vector is kept twice, compactly: its sketch (the sign of each
// component, 64 bytes at dimension 512) and its int8 code with one scale
// (as exact_index.h's kInt8, 512 + 4 bytes). A search computes the Hamming
// distance from the query's sketch to every row's (XOR and popcount: AVX-512
// VPOPCNTDQ where the CPU has it, the POPCNT instruction or portable code
// otherwise), keeps the `candidates` rows nearest in Hamming distance, scores
// those with the int8 kernels of dot_product.h and returns the best k.
//
// Why this and not a partitioned index (IVF) or a graph (HNSW): the sign of
// a component is the side of a hyperplane, and the share of hyperplanes that
// separate two unit vectors is their angle / pi, so the Hamming distance
// estimates the cosine with no training at all; a full scan reads 64 bytes a
// face (640 MB at 10M faces, ~30 ms on one core here) and misses no part of
// the space, which is what face embeddings need: another photo of a person
// scores only cosine 0.4-0.7 with the enrolled one and is often far from
// its cluster centre (the IVF index this replaced had to scan 60% of its
// lists for recall@1 0.99). Measured (bench/sketch_bench): recall@1
// against exact float search 1.000 at 1M and 10M near-real faces with 4,096
// candidates.
//
// Memory per face: 64 + 512 + 4 + 8 (label) bytes in blocks of kBlockRows
// rows that are allocated whole and never reallocated (so no stale copy of
// a code is left behind in freed memory), plus the label map (~40 bytes).
//
// Removal is real: the last row is moved into the hole and the vacated row
// is zeroed; the destructor zeroes every block.
//
// Scores are int8 estimates of the inner product (error ~5e-4 sd at
// dimension 512), not the float scores of the exact index.
//
// Thread safety: any number of Search calls run at once (a large one on
// SketchIndexOptions::threads threads); Add and Remove take an exclusive
// lock (behind a turnstile, as exact_index.h).
#ifndef CANDOR_INDEX_SKETCH_INDEX_H_
#define CANDOR_INDEX_SKETCH_INDEX_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "index/vector_index.h"

namespace candor::index {

// Rows rescored with int8 codes after the sketch scan (at least; a search
// for k results rescores at least 2k). Measured by bench/sketch_bench on
// near-real faces (each real face with a cloud of ~1,300 synthetic "other
// photos" at 10M, so hundreds of near-ties per query): recall@1 / @10 after
// float rescoring 0.845 / 0.746, 1.000 / 0.993 and 1.000 / 1.000 with 256,
// 1,024 and 4,096 candidates at 10M; 1.000 / 0.998 from 256 at 1M. 4,096
// rows cost ~2 MB of reads, ~2 ms.
inline constexpr size_t kDefaultSketchCandidates = 4096;

struct SketchIndexOptions {
  int dimension = 512;  // >= 1
  size_t candidates = kDefaultSketchCandidates;  // >= 1
  // Threads for a search of at least kDefaultParallelMinRows rows
  // (exact_index.h); <= 0: one per hardware thread.
  int threads = 0;
};

// Which Hamming kernel the index runs (for benchmarks and tests).
enum class SketchKernel { kPortable, kPopcnt, kAvx512Vpopcntdq };
const char* SketchKernelName(SketchKernel kernel);
// The fastest kernel this CPU has for `dimension`.
SketchKernel BestSketchKernel(int dimension);

// Hamming distances from `query` to `count` row sketches of `words` 64-bit
// words each (row-major), with `kernel`, which the CPU must support.
void SketchDistances(SketchKernel kernel, const uint64_t* rows, size_t count, size_t words,
                     const uint64_t* query, uint16_t* out);

// The sketch of `vector` (dimension floats): bit i of word i / 64 is set when
// component i is positive. `out` has (dimension + 63) / 64 words.
void Sketch(const float* vector, size_t dimension, uint64_t* out);

class SketchIndex : public VectorIndex {
 public:
  // Rows per storage block.
  static constexpr size_t kBlockRows = 16384;

  // nullptr if an option is out of range.
  static std::unique_ptr<SketchIndex> Create(const SketchIndexOptions& options);
  // As Create, with a given kernel (tests compare the kernels); nullptr also
  // if the CPU lacks it.
  static std::unique_ptr<SketchIndex> CreateWithKernel(const SketchIndexOptions& options,
                                                       SketchKernel kernel);

  virtual SketchKernel kernel() const = 0;
  // Candidates rescored by later searches (>= 1).
  virtual void SetCandidates(size_t candidates) = 0;
};

}  // namespace candor::index

#endif  // CANDOR_INDEX_SKETCH_INDEX_H_
