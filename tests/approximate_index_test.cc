// The approximate indexes against the exact one: the sketch index that
// collections use (src/index/sketch_index.h, behind adaptive_index.h) and the
// HNSW index (src/index/faiss_index.h, kept for recall_bench): the
// VectorIndex contract on synthetic vectors, and recall on real face
// embeddings.
//
// The recall tests embed 4,000 images through the engine: the first 2,500
// images of LFW's pairs.txt, whose embeddings lfw_eval_test (registered
// before this test) has cached in build/cache/lfw.emb, and the first 1,500
// UTKFace images in name order, cached in build/cache/utkface.emb, which the
// evaluation report's fairness and demographics sections read: on an empty
// cache (CI) each image is embedded once for all of them. 500 faces are held out as queries; the base is the rest plus
// synthetic vectors drawn near them (real + N(0, 0.045^2) per component,
// renormalised: cosine ~0.70 to the source, about two photos of one person) up
// to 20,000 vectors, so that the graph, not the exact pending buffer, answers.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <limits>
#include <numeric>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include "candor/engine.h"
#include "eval/lfw.h"
#include "index/adaptive_index.h"
#include "index/exact_index.h"
#include "index/faiss_index.h"
#include "index/index_factory.h"
#include "index/sketch_index.h"
#include "test_support.h"

namespace candor::index {
namespace {

constexpr int kDim = 512;
constexpr float kNoMinScore = -std::numeric_limits<float>::infinity();
constexpr int kQueries = 500;
constexpr size_t kBaseSize = 20000;
constexpr float kNoiseSd = 0.045f;
// A cosine above which a query "has a match": the impostor cosine at a false
// match rate of 1e-3 for this model (DESIGN.md), below FaceMatchThreshold 80's.
constexpr float kMatchCosine = 0.35f;

void Normalize(std::vector<float>& v) {
  double norm2 = 0;
  for (float x : v) norm2 += double{x} * x;
  for (float& x : v) x = static_cast<float>(x / std::sqrt(norm2));
}

std::vector<float> RandomUnit(std::mt19937_64& rng, int dim = kDim) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> v(dim);
  for (float& x : v) x = normal(rng);
  Normalize(v);
  return v;
}

std::unique_ptr<HnswVectorIndex> SmallHnsw(size_t pending_rows = 16) {
  HnswIndexOptions options;
  options.dimension = kDim;
  options.pending_rows = pending_rows;
  // A cheap graph: these tests check behaviour, not recall.
  options.ef_construction = 40;
  return CreateHnswIndex(options);
}

TEST(HnswIndexTest, RejectsBadOptions) {
  HnswIndexOptions options;
  options.dimension = 0;
  EXPECT_EQ(CreateHnswIndex(options), nullptr);
  options = {};
  options.m = 1;
  EXPECT_EQ(CreateHnswIndex(options), nullptr);
  options = {};
  options.max_dead_fraction = 0;
  EXPECT_EQ(CreateHnswIndex(options), nullptr);
  options = {};
  options.pending_rows = 0;
  EXPECT_EQ(CreateHnswIndex(options), nullptr);
}

TEST(HnswIndexTest, FollowsTheVectorIndexContract) {
  auto index = SmallHnsw();
  ASSERT_NE(index, nullptr);
  EXPECT_EQ(index->dimension(), kDim);
  std::mt19937_64 rng(1);
  EXPECT_TRUE(index->Search(RandomUnit(rng), 5, kNoMinScore).empty());

  std::vector<std::vector<float>> vectors;
  for (int i = 0; i < 100; ++i) {
    vectors.push_back(RandomUnit(rng));
    ASSERT_TRUE(index->Add(1000 + i, vectors.back()).ok());
  }
  EXPECT_EQ(index->size(), 100u);
  EXPECT_EQ(index->Add(1000, vectors[0]).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(index->Add(1, std::vector<float>(kDim - 1, 0.0f)).code(), StatusCode::kInvalidArgument);
  std::vector<float> nan(kDim, 0.0f);
  nan[3] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(index->Add(2, nan).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(index->Remove(7).code(), StatusCode::kNotFound);

  // Every stored vector finds itself first, with score ~1, in the graph (the
  // first 96) and in the pending buffer (the last 4).
  for (int i = 0; i < 100; ++i) {
    auto found = index->Search(vectors[i], 3, kNoMinScore);
    ASSERT_EQ(found.size(), 3u);
    EXPECT_EQ(found[0].label, 1000 + i);
    EXPECT_NEAR(found[0].score, 1.0f, 1e-4f);
    EXPECT_GE(found[0].score, found[1].score);
    EXPECT_GE(found[1].score, found[2].score);
  }
  EXPECT_TRUE(index->Search(vectors[0], 0, kNoMinScore).empty());
  EXPECT_TRUE(index->Search(nan, 3, kNoMinScore).empty());
  EXPECT_TRUE(index->Search(std::vector<float>(3, 0.0f), 3, kNoMinScore).empty());
  // min_score: random 512-d unit vectors have cosine ~0 with each other.
  auto strict = index->Search(vectors[5], 10, 0.5f);
  ASSERT_EQ(strict.size(), 1u);
  EXPECT_EQ(strict[0].label, 1005);
  // k above size returns everything.
  EXPECT_EQ(index->Search(vectors[5], 1000, kNoMinScore).size(), 100u);

  // Removal from the graph and from the pending buffer; re-adding works.
  ASSERT_TRUE(index->Remove(1005).ok());
  ASSERT_TRUE(index->Remove(1099).ok());
  EXPECT_EQ(index->size(), 98u);
  EXPECT_NE(index->Search(vectors[5], 1, kNoMinScore)[0].label, 1005);
  EXPECT_NE(index->Search(vectors[99], 1, kNoMinScore)[0].label, 1099);
  ASSERT_TRUE(index->Add(1005, vectors[5]).ok());
  EXPECT_EQ(index->Search(vectors[5], 1, kNoMinScore)[0].label, 1005);
  EXPECT_GT(index->memory_bytes(), 100u * kDim * sizeof(float));
}

TEST(HnswIndexTest, RemovingMostVectorsRebuildsAndNeverReturnsRemoved) {
  auto index = SmallHnsw(/*pending_rows=*/32);
  std::mt19937_64 rng(2);
  std::vector<std::vector<float>> vectors;
  for (int i = 0; i < 1200; ++i) {
    vectors.push_back(RandomUnit(rng));
    ASSERT_TRUE(index->Add(i, vectors.back()).ok());
  }
  const size_t memory_full = index->memory_bytes();
  // Remove 3 of every 4: several rebuilds happen on the way.
  for (int i = 0; i < 1200; ++i) {
    if (i % 4 != 0) {
      ASSERT_TRUE(index->Remove(i).ok()) << i;
    }
  }
  EXPECT_EQ(index->size(), 300u);
  EXPECT_LT(index->memory_bytes(), memory_full);
  for (int i = 0; i < 1200; i += 7) {
    auto found = index->Search(vectors[i], 10, kNoMinScore);
    ASSERT_EQ(found.size(), 10u);
    for (const Neighbor& n : found) EXPECT_EQ(n.label % 4, 0) << "removed label returned";
    if (i % 4 == 0) {
      EXPECT_EQ(found[0].label, i);
    }
  }
}

TEST(HnswIndexTest, SearchesRunWhileWritersChangeTheIndex) {
  auto index = SmallHnsw(/*pending_rows=*/64);
  std::mt19937_64 rng(3);
  std::vector<std::vector<float>> vectors;
  for (int i = 0; i < 3000; ++i) vectors.push_back(RandomUnit(rng));
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(index->Add(i, vectors[i]).ok());
  std::atomic<bool> done{false};
  std::atomic<int> wrong{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 2; ++t) {
    readers.emplace_back([&, t] {
      for (int q = t; !done; q = (q + 2) % 500) {
        // Labels below 500 are never removed.
        auto found = index->Search(vectors[q], 5, kNoMinScore);
        if (found.empty() || found[0].label != q) ++wrong;
      }
    });
  }
  // One writer removes 500..999 (its Removes rebuild the graph outside the
  // lock) while this thread adds 1000..2999 (journalled during rebuilds).
  std::atomic<int> failed_removes{0};
  std::thread remover([&] {
    for (int i = 500; i < 1000; ++i) {
      if (!index->Remove(i).ok()) ++failed_removes;
    }
  });
  for (int i = 1000; i < 3000; ++i) ASSERT_TRUE(index->Add(i, vectors[i]).ok());
  remover.join();
  done = true;
  for (auto& r : readers) r.join();
  EXPECT_EQ(wrong, 0);
  EXPECT_EQ(failed_removes, 0);
  EXPECT_EQ(index->size(), 2500u);
  for (int i = 0; i < 3000; i += 5) {
    auto found = index->Search(vectors[i], 1, kNoMinScore);
    ASSERT_EQ(found.size(), 1u);
    if (i >= 500 && i < 1000) {
      EXPECT_NE(found[0].label, i) << "removed label returned";
    } else {
      EXPECT_EQ(found[0].label, i);
    }
  }
}

TEST(IndexFactoryTest, ChoosesExactBelowTheCrossoverAndHnswAbove) {
  auto small = CreateIndexForSize(kDim, 10);
  ASSERT_NE(small, nullptr);
  EXPECT_EQ(dynamic_cast<HnswVectorIndex*>(small.get()), nullptr);
  auto large = CreateIndexForSize(kDim, kHnswMinVectors);
  ASSERT_NE(large, nullptr);
  EXPECT_NE(dynamic_cast<HnswVectorIndex*>(large.get()), nullptr);
  EXPECT_EQ(CreateIndexForSize(0, 10), nullptr);
}

// --- The sketch index (sketch_index.h) and the adaptive index (adaptive_index.h) ---

std::vector<SketchKernel> KernelsOfThisCpu() {
  std::vector<SketchKernel> kernels;
  for (SketchKernel k : {SketchKernel::kPortable, SketchKernel::kPopcnt,
                         SketchKernel::kAvx512Vpopcntdq}) {
    if (SketchIndex::CreateWithKernel({}, k) != nullptr) kernels.push_back(k);
  }
  return kernels;
}

TEST(SketchIndexTest, RejectsBadOptions) {
  EXPECT_EQ(SketchIndex::Create({.dimension = 0}), nullptr);
  EXPECT_EQ(SketchIndex::Create({.dimension = 70000}), nullptr);
  EXPECT_EQ(SketchIndex::Create({.candidates = 0}), nullptr);
  EXPECT_NE(SketchIndex::Create({}), nullptr);
  EXPECT_EQ(CreateAdaptiveIndex({.dimension = 0}), nullptr);
  EXPECT_EQ(CreateAdaptiveIndex({.candidates = 0}), nullptr);
}

// Every kernel gives the same distances, for 512 dimensions and for a
// dimension that leaves a partial word; the distance of two sketches
// estimates the angle (the share of sign hyperplanes between two vectors).
TEST(SketchIndexTest, KernelsAgreeAndDistanceEstimatesTheAngle) {
  std::mt19937_64 rng(21);
  for (int dim : {512, 100}) {
    const size_t words = (static_cast<size_t>(dim) + 63) / 64;
    std::vector<uint64_t> rows(300 * words);
    std::vector<std::vector<float>> vectors;
    for (int i = 0; i < 300; ++i) {
      vectors.push_back(RandomUnit(rng, dim));
      Sketch(vectors.back().data(), static_cast<size_t>(dim), &rows[i * words]);
    }
    std::vector<uint16_t> want(300), got(300);
    SketchDistances(SketchKernel::kPortable, rows.data(), 300, words, &rows[0], want.data());
    EXPECT_EQ(want[0], 0);
    for (SketchKernel k : KernelsOfThisCpu()) {
      SketchDistances(k, rows.data(), 300, words, &rows[0], got.data());
      EXPECT_EQ(got, want) << SketchKernelName(k) << " at dimension " << dim;
    }
    if (dim != 512) continue;
    // Random unit vectors are ~90 degrees apart: ~256 bits of 512 differ.
    double mean = 0;
    for (int i = 1; i < 300; ++i) mean += want[i] / 299.0;
    EXPECT_NEAR(mean, 256, 6);
  }
  // A vector at 60 degrees from another differs in about a third of the bits.
  std::vector<float> a = RandomUnit(rng), b = RandomUnit(rng);
  const float ab = std::inner_product(a.begin(), a.end(), b.begin(), 0.0f);
  for (int d = 0; d < kDim; ++d) b[d] -= ab * a[d];  // orthogonal to a
  Normalize(b);
  std::vector<float> c(kDim);
  for (int d = 0; d < kDim; ++d) c[d] = 0.5f * a[d] + std::sqrt(0.75f) * b[d];
  uint64_t sa[8], sc[8];
  Sketch(a.data(), kDim, sa);
  Sketch(c.data(), kDim, sc);
  uint16_t distance = 0;
  SketchDistances(SketchKernel::kPortable, sc, 1, 8, sa, &distance);
  EXPECT_NEAR(distance, 512.0 / 3, 25);
}

TEST(SketchIndexTest, FollowsTheVectorIndexContract) {
  for (SketchKernel kernel : KernelsOfThisCpu()) {
    SCOPED_TRACE(SketchKernelName(kernel));
    std::mt19937_64 rng(11);
    std::vector<std::vector<float>> vectors;
    for (int i = 0; i < 400; ++i) vectors.push_back(RandomUnit(rng));
    auto index = SketchIndex::CreateWithKernel({.candidates = 32}, kernel);
    ASSERT_NE(index, nullptr);
    EXPECT_EQ(index->kernel(), kernel);
    EXPECT_TRUE(index->Search(vectors[0], 5, kNoMinScore).empty());
    for (int i = 0; i < 400; ++i) ASSERT_TRUE(index->Add(1000 + i, vectors[i]).ok());
    EXPECT_EQ(index->size(), 400u);
    EXPECT_EQ(index->Add(1000, vectors[0]).code(), StatusCode::kAlreadyExists);
    EXPECT_EQ(index->Add(1, std::vector<float>(kDim - 1, 0.0f)).code(),
              StatusCode::kInvalidArgument);
    std::vector<float> nan = vectors[0];
    nan[3] = std::numeric_limits<float>::quiet_NaN();
    EXPECT_EQ(index->Add(1, nan).code(), StatusCode::kInvalidArgument);
    EXPECT_TRUE(index->Search(nan, 3, kNoMinScore).empty());
    EXPECT_EQ(index->Remove(7).code(), StatusCode::kNotFound);
    for (int i = 0; i < 400; i += 3) {
      auto found = index->Search(vectors[i], 3, kNoMinScore);
      ASSERT_EQ(found.size(), 3u);
      EXPECT_EQ(found[0].label, 1000 + i);
      EXPECT_NEAR(found[0].score, 1.0f, 5e-3f);  // int8 estimate
      EXPECT_GE(found[0].score, found[1].score);
    }
    EXPECT_TRUE(index->Search(vectors[0], 0, kNoMinScore).empty());
    // Asking for more than the candidates rescores 2k rows: all of them.
    EXPECT_EQ(index->Search(vectors[5], 1000, kNoMinScore).size(), 400u);
    auto strict = index->Search(vectors[5], 10, 0.5f);
    ASSERT_EQ(strict.size(), 1u);
    EXPECT_EQ(strict[0].label, 1005);
    EXPECT_TRUE(index->Search(vectors[5], 10, std::numeric_limits<float>::quiet_NaN()).empty());
    ASSERT_TRUE(index->Remove(1005).ok());
    EXPECT_EQ(index->size(), 399u);
    EXPECT_NE(index->Search(vectors[5], 1, kNoMinScore)[0].label, 1005);
    ASSERT_TRUE(index->Add(1005, vectors[5]).ok());
    EXPECT_EQ(index->Search(vectors[5], 1, kNoMinScore)[0].label, 1005);
    EXPECT_GT(index->memory_bytes(), 400u * (64 + 512));
  }
}

// More rows than one block and than one thread scans: the candidates come
// from the sketch scan, the answer does not depend on the threads, removal
// across blocks keeps every other row findable and leaves no code behind.
TEST(SketchIndexTest, LargeIndexAcrossBlocksAndThreads) {
  const size_t n = SketchIndex::kBlockRows * 2 + 100;
  std::mt19937_64 rng(12);
  std::vector<std::vector<float>> vectors;
  for (size_t i = 0; i < n; ++i) vectors.push_back(RandomUnit(rng));
  auto one = SketchIndex::Create({.candidates = 64, .threads = 1});
  auto two = SketchIndex::Create({.candidates = 64, .threads = 2});
  for (size_t i = 0; i < n; ++i) {
    ASSERT_TRUE(one->Add(static_cast<int64_t>(i), vectors[i]).ok());
    ASSERT_TRUE(two->Add(static_cast<int64_t>(i), vectors[i]).ok());
  }
  for (size_t i = 0; i < n; i += 997) {
    // A noisy copy (cosine ~0.7): found through its sketch among 33k rows.
    std::vector<float> query = vectors[i];
    std::normal_distribution<float> noise(0.0f, 0.045f);
    for (float& x : query) x += noise(rng);
    Normalize(query);
    auto a = one->Search(query, 5, kNoMinScore);
    auto b = two->Search(query, 5, kNoMinScore);
    ASSERT_EQ(a.size(), 5u);
    EXPECT_EQ(a[0].label, static_cast<int64_t>(i));
    ASSERT_EQ(a.size(), b.size());
    for (size_t r = 0; r < a.size(); ++r) {
      EXPECT_EQ(a[r].label, b[r].label);
      EXPECT_EQ(a[r].score, b[r].score);
    }
  }
  // Remove the first block's rows and the tail: the last block is given back.
  const size_t before = two->memory_bytes();
  for (size_t i = 0; i < SketchIndex::kBlockRows; ++i) {
    ASSERT_TRUE(two->Remove(static_cast<int64_t>(i)).ok());
  }
  for (size_t i = n - 100; i < n; ++i) ASSERT_TRUE(two->Remove(static_cast<int64_t>(i)).ok());
  EXPECT_EQ(two->size(), SketchIndex::kBlockRows);
  EXPECT_LT(two->memory_bytes(), before);
  size_t seen = 0;
  two->ForEachVector([&](int64_t label, const float* v) {
    ++seen;
    EXPECT_GE(label, static_cast<int64_t>(SketchIndex::kBlockRows));
    EXPECT_GT(std::inner_product(v, v + kDim, vectors[label].data(), 0.0f), 0.99f);
  });
  EXPECT_EQ(seen, SketchIndex::kBlockRows);
  for (size_t i = SketchIndex::kBlockRows; i < n - 100; i += 1009) {
    EXPECT_EQ(two->Search(vectors[i], 1, kNoMinScore)[0].label, static_cast<int64_t>(i));
  }
  EXPECT_NE(two->Search(vectors[5], 1, kNoMinScore)[0].label, 5);
}

TEST(AdaptiveIndexTest, SwitchesToTheSketchIndexAtTheThresholdAndKeepsAnswering) {
  AdaptiveIndexOptions options;
  options.approximate_min_vectors = 2000;
  auto index = CreateAdaptiveIndex(options);
  ASSERT_NE(index, nullptr);
  std::mt19937_64 rng(13);
  std::vector<std::vector<float>> vectors;
  for (int i = 0; i < 3000; ++i) vectors.push_back(RandomUnit(rng));
  for (int i = 0; i < 1999; ++i) ASSERT_TRUE(index->Add(i, vectors[i]).ok());
  EXPECT_FALSE(index->approximate());
  const size_t exact_bytes = index->memory_bytes();
  ASSERT_TRUE(index->Add(1999, vectors[1999]).ok());
  EXPECT_TRUE(index->approximate());
  EXPECT_EQ(index->size(), 2000u);
  // The exact index held 2 KiB of floats a row; the sketch index ~0.6 KiB
  // (plus one whole block).
  EXPECT_NE(index->memory_bytes(), exact_bytes);
  for (int i = 2000; i < 3000; ++i) ASSERT_TRUE(index->Add(i, vectors[i]).ok());
  for (int i = 0; i < 3000; i += 3) ASSERT_TRUE(index->Remove(i).ok());
  EXPECT_EQ(index->size(), 2000u);
  EXPECT_EQ(index->Remove(0).code(), StatusCode::kNotFound);
  for (int i = 0; i < 3000; i += 7) {
    auto found = index->Search(vectors[i], 1, kNoMinScore);
    ASSERT_EQ(found.size(), 1u);
    if (i % 3 == 0) {
      EXPECT_NE(found[0].label, i) << "removed label returned";
    } else {
      EXPECT_EQ(found[0].label, i);
    }
  }
  // It stays approximate below the threshold.
  for (int i = 1; i < 3000; ++i) {
    if (i % 3 != 0) {
      ASSERT_TRUE(index->Remove(i).ok());
    }
  }
  EXPECT_EQ(index->size(), 0u);
  EXPECT_TRUE(index->approximate());
  EXPECT_TRUE(index->Search(vectors[1], 1, kNoMinScore).empty());
}

TEST(AdaptiveIndexTest, ReserveStartsALargeLoadInTheSketchIndex) {
  auto small = CreateAdaptiveIndex({.approximate_min_vectors = 100});
  small->Reserve(99);
  EXPECT_FALSE(small->approximate());
  auto large = CreateAdaptiveIndex({.approximate_min_vectors = 100});
  large->Reserve(100);
  EXPECT_TRUE(large->approximate());
  // Only an empty index switches on a promise.
  auto used = CreateAdaptiveIndex({.approximate_min_vectors = 100});
  std::mt19937_64 rng(15);
  ASSERT_TRUE(used->Add(1, RandomUnit(rng)).ok());
  used->Reserve(1000);
  EXPECT_FALSE(used->approximate());
}

// Real embeddings: 500 held-out queries and a base of the other faces plus
// synthetic vectors near them (see the top of the file).
class RealEmbeddingRecallTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto engine = Engine::Create({.calibration_path = "none"});
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    const std::string data = testing::DataDir();
    auto lfw = eval::LfwPairImages(data + "/lfw");
    ASSERT_TRUE(lfw.ok()) << lfw.status().ToString();
    lfw->resize(std::min<size_t>(2500, lfw->size()));
    std::vector<std::string> utk;
    for (const auto& e : std::filesystem::directory_iterator(data + "/utkface/images")) {
      if (e.path().extension() == ".jpg") utk.push_back(e.path().string());
    }
    std::sort(utk.begin(), utk.end());
    utk.resize(std::min<size_t>(1500, utk.size()));
    std::vector<std::vector<float>> real;
    for (const auto& [paths, cache] : {std::pair{&*lfw, "lfw"}, std::pair{&utk, "utkface"}}) {
      eval::EmbedRunOptions run;
      run.cache_path = std::string(CANDOR_SOURCE_DIR) + "/build/cache/" + cache + ".emb";
      run.progress_label = cache;
      auto embedded = eval::EmbedImages(**engine, *paths, run);
      ASSERT_TRUE(embedded.ok()) << embedded.status().ToString();
      for (auto& e : *embedded) {
        if (e.has_face) real.push_back(std::move(e.embedding));
      }
    }
    ASSERT_GE(real.size(), 3500u);
    std::mt19937_64 rng(7);
    std::shuffle(real.begin(), real.end(), rng);
    queries_ = new std::vector<std::vector<float>>(real.end() - kQueries, real.end());
    real.resize(real.size() - kQueries);
    base_ = new std::vector<std::vector<float>>(real);
    std::normal_distribution<float> noise(0.0f, kNoiseSd);
    std::uniform_int_distribution<size_t> pick(0, real.size() - 1);
    while (base_->size() < kBaseSize) {
      std::vector<float> v = real[pick(rng)];
      for (float& x : v) x += noise(rng);
      Normalize(v);
      base_->push_back(std::move(v));
    }
  }
  static void TearDownTestSuite() {
    delete queries_;
    delete base_;
  }

  struct Recall {
    double at1 = 0;
    double at10 = 0;
    size_t queries = 0;
  };

  // Recall of `approximate` against `exact` over the held-out queries whose
  // exact best match scores at least `min_truth` (all by default).
  static Recall Measure(const VectorIndex& exact, const VectorIndex& approximate,
                        float min_truth = kNoMinScore) {
    Recall r;
    for (const auto& q : *queries_) {
      auto truth = exact.Search(q, 10, kNoMinScore);
      if (truth[0].score < min_truth) continue;
      ++r.queries;
      auto got = approximate.Search(q, 10, kNoMinScore);
      if (!got.empty() && got[0].label == truth[0].label) r.at1 += 1;
      std::set<int64_t> want;
      for (const Neighbor& n : truth) want.insert(n.label);
      for (const Neighbor& n : got) r.at10 += want.count(n.label) / 10.0;
    }
    r.at1 /= static_cast<double>(r.queries);
    r.at10 /= static_cast<double>(r.queries);
    return r;
  }

  static std::vector<std::vector<float>>* queries_;
  static std::vector<std::vector<float>>* base_;
};

std::vector<std::vector<float>>* RealEmbeddingRecallTest::queries_ = nullptr;
std::vector<std::vector<float>>* RealEmbeddingRecallTest::base_ = nullptr;

TEST_F(RealEmbeddingRecallTest, DefaultSettingsReachRecallTargets) {
  auto exact = CreateExactIndex(kDim);
  auto hnsw = CreateHnswIndex(HnswIndexOptions{});
  for (size_t i = 0; i < base_->size(); ++i) {
    ASSERT_TRUE(exact->Add(static_cast<int64_t>(i), (*base_)[i]).ok());
    ASSERT_TRUE(hnsw->Add(static_cast<int64_t>(i), (*base_)[i]).ok());
  }
  const Recall r = Measure(*exact, *hnsw);
  std::printf("HNSW defaults, %zu vectors: recall@1 %.4f, recall@10 %.4f\n", base_->size(), r.at1,
              r.at10);
  EXPECT_GE(r.at1, 0.99);
  EXPECT_GE(r.at10, 0.98);
}

TEST_F(RealEmbeddingRecallTest, RecallHoldsAfterRemovalsAndRebuild) {
  auto exact = CreateExactIndex(kDim);
  auto hnsw = CreateHnswIndex(HnswIndexOptions{});
  for (size_t i = 0; i < base_->size(); ++i) {
    ASSERT_TRUE(exact->Add(static_cast<int64_t>(i), (*base_)[i]).ok());
    ASSERT_TRUE(hnsw->Add(static_cast<int64_t>(i), (*base_)[i]).ok());
  }
  // 8% removed: below the rebuild line, so searches filter tombstones.
  for (size_t i = 0; i < base_->size(); i += 12) {
    ASSERT_TRUE(exact->Remove(static_cast<int64_t>(i)).ok());
    ASSERT_TRUE(hnsw->Remove(static_cast<int64_t>(i)).ok());
  }
  Recall r = Measure(*exact, *hnsw);
  std::printf("with 8%% tombstones: recall@1 %.4f, recall@10 %.4f\n", r.at1, r.at10);
  EXPECT_GE(r.at1, 0.99);
  EXPECT_GE(r.at10, 0.98);
  // Past 10%: the graph is rebuilt from the live vectors.
  for (size_t i = 1; i < base_->size(); i += 25) {
    if (i % 12 == 0) continue;  // already removed
    ASSERT_TRUE(exact->Remove(static_cast<int64_t>(i)).ok());
    ASSERT_TRUE(hnsw->Remove(static_cast<int64_t>(i)).ok());
  }
  EXPECT_EQ(hnsw->size(), exact->size());
  r = Measure(*exact, *hnsw);
  std::printf("after rebuild: recall@1 %.4f, recall@10 %.4f\n", r.at1, r.at10);
  EXPECT_GE(r.at1, 0.99);
  EXPECT_GE(r.at10, 0.98);
}

// The sketch index at its defaults, and at fewer candidates (the share of
// the base a search rescores at 10M faces is far smaller than 4,096 of
// 20,000), against exact search on the same base.
TEST_F(RealEmbeddingRecallTest, SketchIndexReachesRecallTargets) {
  auto exact = CreateExactIndex(kDim);
  auto sketch = SketchIndex::Create({});
  for (size_t i = 0; i < base_->size(); ++i) {
    ASSERT_TRUE(exact->Add(static_cast<int64_t>(i), (*base_)[i]).ok());
    ASSERT_TRUE(sketch->Add(static_cast<int64_t>(i), (*base_)[i]).ok());
  }
  for (size_t candidates : {64, 128, 256, 512}) {
    sketch->SetCandidates(candidates);
    const Recall r = Measure(*exact, *sketch);
    const Recall m = Measure(*exact, *sketch, kMatchCosine);
    std::printf("sketch, %zu candidates: recall@1 %.4f, recall@10 %.4f; queries with a match "
                "(%zu): recall@1 %.4f\n", candidates, r.at1, r.at10, m.queries, m.at1);
    if (candidates == 256) {
      // 1.3% of the base: a real face's best match is found through its
      // sketch (int8 near-ties at rank 10 cost a little of recall@10).
      // Measured 2026-12-08: 459 of 462 on OpenCV DNN's embeddings, 457 on
      // ONNX Runtime's (they differ by ~1e-6, enough to reorder a near-tie
      // in the int8 sketches), so the bound leaves room for a few such
      // queries; the defaults below are held to 0.99.
      EXPECT_GE(m.at1, 0.985);
    }
  }
  sketch->SetCandidates(kDefaultSketchCandidates);
  const Recall r = Measure(*exact, *sketch);
  std::printf("sketch defaults (%zu candidates), %zu vectors: recall@1 %.4f, recall@10 %.4f\n",
              kDefaultSketchCandidates, base_->size(), r.at1, r.at10);
  EXPECT_GE(r.at1, 0.99);
  EXPECT_GE(r.at10, 0.98);
}

}  // namespace
}  // namespace candor::index
