// The HNSW index (src/index/faiss_index.h) against the exact one: the
// VectorIndex contract on synthetic vectors, and recall on real face
// embeddings.
//
// The recall tests embed 4,000 images (the first 2,500 LFW images in name
// order and the first 1,500 UTKFace images) through the engine, cached in
// build/cache/recall.emb by image SHA-256: on an empty cache (CI) that costs
// about a minute of CPU once; bench/recall_bench uses the same cache with all
// 13,701 images. 500 faces are held out as queries; the base is the rest plus
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
#include "index/ivf_index.h"
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

// --- IVF (ivf_index.h) and the adaptive index (adaptive_index.h) ---

std::vector<float> Flatten(const std::vector<std::vector<float>>& rows) {
  std::vector<float> flat;
  for (const auto& r : rows) flat.insert(flat.end(), r.begin(), r.end());
  return flat;
}

std::unique_ptr<IvfIndex> SmallIvf(const std::vector<std::vector<float>>& training, size_t lists) {
  IvfIndexOptions options;
  options.dimension = kDim;
  options.lists = lists;
  options.probes = static_cast<int>(lists);  // every list: exact up to int8 rounding
  auto ivf = IvfIndex::Train(options, Flatten(training).data(), training.size());
  EXPECT_TRUE(ivf.ok()) << ivf.status().ToString();
  return ivf.ok() ? std::move(*ivf) : nullptr;
}

TEST(IvfIndexTest, RejectsBadOptionsAndCentroids) {
  IvfIndexOptions options;
  options.dimension = 0;
  std::vector<float> one(kDim, 0.1f);
  EXPECT_EQ(IvfIndex::Train(options, one.data(), 1).status().code(), StatusCode::kInvalidArgument);
  options = {};
  EXPECT_EQ(IvfIndex::Train(options, one.data(), 0).status().code(), StatusCode::kInvalidArgument);
  options.lists = 2;
  EXPECT_EQ(IvfIndex::FromCentroids(options, std::vector<float>(kDim)).status().code(),
            StatusCode::kInvalidArgument);
  one[0] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(IvfIndex::Train(options, one.data(), 1).status().code(), StatusCode::kInvalidArgument);
}

TEST(IvfIndexTest, FollowsTheVectorIndexContract) {
  std::mt19937_64 rng(11);
  std::vector<std::vector<float>> vectors;
  for (int i = 0; i < 400; ++i) vectors.push_back(RandomUnit(rng));
  auto index = SmallIvf(vectors, 8);
  ASSERT_NE(index, nullptr);
  EXPECT_EQ(index->lists(), 8u);
  EXPECT_TRUE(index->Search(vectors[0], 5, kNoMinScore).empty());
  for (int i = 0; i < 400; ++i) ASSERT_TRUE(index->Add(1000 + i, vectors[i]).ok());
  EXPECT_EQ(index->size(), 400u);
  EXPECT_EQ(index->Add(1000, vectors[0]).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(index->Add(1, std::vector<float>(kDim - 1, 0.0f)).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(index->AddToList(1, vectors[0], 8).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(index->Remove(7).code(), StatusCode::kNotFound);
  for (int i = 0; i < 400; i += 3) {
    auto found = index->Search(vectors[i], 3, kNoMinScore);
    ASSERT_EQ(found.size(), 3u);
    EXPECT_EQ(found[0].label, 1000 + i);
    EXPECT_NEAR(found[0].score, 1.0f, 5e-3f);  // int8 estimate
    EXPECT_GE(found[0].score, found[1].score);
  }
  EXPECT_TRUE(index->Search(vectors[0], 0, kNoMinScore).empty());
  EXPECT_EQ(index->Search(vectors[5], 1000, kNoMinScore).size(), 400u);
  auto strict = index->Search(vectors[5], 10, 0.5f);
  ASSERT_EQ(strict.size(), 1u);
  EXPECT_EQ(strict[0].label, 1005);
  ASSERT_TRUE(index->Remove(1005).ok());
  EXPECT_EQ(index->size(), 399u);
  EXPECT_NE(index->Search(vectors[5], 1, kNoMinScore)[0].label, 1005);
  ASSERT_TRUE(index->Add(1005, vectors[5]).ok());
  EXPECT_EQ(index->Search(vectors[5], 1, kNoMinScore)[0].label, 1005);
  // Assignments cover every vector; the same centroids rebuild the same index.
  size_t assigned = 0;
  auto copy = IvfIndex::FromCentroids(
      [&] {
        IvfIndexOptions o;
        o.lists = index->lists();
        o.probes = 8;
        return o;
      }(),
      index->centroids());
  ASSERT_TRUE(copy.ok());
  index->ForEachAssignment([&](int64_t label, uint32_t list) {
    ++assigned;
    ASSERT_TRUE((*copy)->AddToList(label, vectors[label - 1000], list).ok());
  });
  EXPECT_EQ(assigned, 400u);
  EXPECT_EQ((*copy)->Search(vectors[17], 1, kNoMinScore)[0].label, 1017);
}

TEST(IvfIndexTest, RemovedVectorsLeaveNoCodeInMemory) {
  std::mt19937_64 rng(12);
  std::vector<std::vector<float>> vectors;
  for (int i = 0; i < 200; ++i) vectors.push_back(RandomUnit(rng));
  auto index = SmallIvf(vectors, 4);
  ASSERT_NE(index, nullptr);
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(index->Add(i, vectors[i]).ok());
  for (int i = 0; i < 200; i += 2) ASSERT_TRUE(index->Remove(i).ok());
  int seen = 0;
  index->ForEachVector([&](int64_t label, const float* v) {
    ++seen;
    EXPECT_EQ(label % 2, 1);
    EXPECT_GT(std::inner_product(v, v + kDim, vectors[label].data(), 0.0f), 0.99f);
  });
  EXPECT_EQ(seen, 100);
}

TEST(AdaptiveIndexTest, SwitchesToIvfAtTheThresholdAndKeepsAnswering) {
  AdaptiveIndexOptions options;
  options.approximate_min_vectors = 2000;
  options.probe_fraction = 1;  // every list: exact up to int8 rounding
  options.build_in_background = false;
  auto index = CreateAdaptiveIndex(options);
  ASSERT_NE(index, nullptr);
  std::mt19937_64 rng(13);
  std::vector<std::vector<float>> vectors;
  for (int i = 0; i < 3000; ++i) vectors.push_back(RandomUnit(rng));
  for (int i = 0; i < 1999; ++i) ASSERT_TRUE(index->Add(i, vectors[i]).ok());
  EXPECT_FALSE(index->approximate());
  ASSERT_TRUE(index->Add(1999, vectors[1999]).ok());
  EXPECT_TRUE(index->approximate());
  EXPECT_EQ(index->size(), 2000u);
  for (int i = 2000; i < 3000; ++i) ASSERT_TRUE(index->Add(i, vectors[i]).ok());
  for (int i = 0; i < 3000; i += 3) ASSERT_TRUE(index->Remove(i).ok());
  EXPECT_EQ(index->size(), 2000u);
  for (int i = 0; i < 3000; i += 7) {
    auto found = index->Search(vectors[i], 1, kNoMinScore);
    ASSERT_EQ(found.size(), 1u);
    if (i % 3 == 0) {
      EXPECT_NE(found[0].label, i) << "removed label returned";
    } else {
      EXPECT_EQ(found[0].label, i);
    }
  }
}

TEST(AdaptiveIndexTest, BackgroundBuildServesExactMeanwhileAndReplaysWrites) {
  AdaptiveIndexOptions options;
  options.approximate_min_vectors = 4000;
  options.probe_fraction = 1;
  auto index = CreateAdaptiveIndex(options);
  std::mt19937_64 rng(14);
  std::vector<std::vector<float>> vectors;
  for (int i = 0; i < 8000; ++i) vectors.push_back(RandomUnit(rng));
  index->SetBuildsEnabled(false);
  for (int i = 0; i < 5000; ++i) ASSERT_TRUE(index->Add(i, vectors[i]).ok());
  EXPECT_FALSE(index->building());
  std::atomic<bool> built_called{false};
  index->SetOnBuilt([&](const IvfIndex& ivf) { built_called = ivf.size() > 0; });
  index->SetBuildsEnabled(true);  // starts the build
  // Writes while it runs go to the exact index and the journal.
  for (int i = 5000; i < 8000; ++i) {
    ASSERT_TRUE(index->Add(i, vectors[i]).ok());
    if (i % 2 == 0) {
      ASSERT_TRUE(index->Remove(i - 5000).ok());
    }
  }
  for (int i = 1; i < 8000; i += 97) {
    auto found = index->Search(vectors[i], 1, kNoMinScore);
    ASSERT_EQ(found.size(), 1u);
    if (i < 3000 && i % 2 == 0) {
      EXPECT_NE(found[0].label, i);
    } else {
      EXPECT_EQ(found[0].label, i);
    }
  }
  index->WaitForBuild();
  EXPECT_TRUE(index->approximate());
  EXPECT_TRUE(built_called);
  EXPECT_EQ(index->size(), 8000u - 1500u);
  for (int i = 0; i < 8000; i += 11) {
    auto found = index->Search(vectors[i], 1, kNoMinScore);
    ASSERT_EQ(found.size(), 1u);
    if (i < 3000 && i % 2 == 0) {
      EXPECT_NE(found[0].label, i) << "removed during the build, returned after it";
    } else {
      EXPECT_EQ(found[0].label, i);
    }
  }
}

// Real embeddings: 500 held-out queries and a base of the other faces plus
// synthetic vectors near them (see the top of the file).
class RealEmbeddingRecallTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto engine = Engine::Create({.calibration_path = "none"});
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    const std::string data = testing::DataDir();
    auto lfw = eval::ListLfwImages(data + "/lfw", nullptr);
    ASSERT_TRUE(lfw.ok()) << lfw.status().ToString();
    std::vector<std::string> paths(lfw->begin(),
                                   lfw->begin() + std::min<size_t>(2500, lfw->size()));
    std::vector<std::string> utk;
    for (const auto& e : std::filesystem::directory_iterator(data + "/utkface/images")) {
      if (e.path().extension() == ".jpg") utk.push_back(e.path().string());
    }
    std::sort(utk.begin(), utk.end());
    paths.insert(paths.end(), utk.begin(), utk.begin() + std::min<size_t>(1500, utk.size()));
    eval::EmbedRunOptions run;
    run.cache_path = std::string(CANDOR_SOURCE_DIR) + "/build/cache/recall.emb";
    run.progress_label = "recall";
    auto embedded = eval::EmbedImages(**engine, paths, run);
    ASSERT_TRUE(embedded.ok()) << embedded.status().ToString();
    std::vector<std::vector<float>> real;
    for (auto& e : *embedded) {
      if (e.has_face) real.push_back(std::move(e.embedding));
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

// The IVF index at its default probes (and the curve around them) against
// exact search, on the same base.
TEST_F(RealEmbeddingRecallTest, IvfDefaultProbesReachRecallTargets) {
  auto exact = CreateExactIndex(kDim);
  for (size_t i = 0; i < base_->size(); ++i) {
    ASSERT_TRUE(exact->Add(static_cast<int64_t>(i), (*base_)[i]).ok());
  }
  IvfIndexOptions options;
  options.lists = IvfListsFor(base_->size());
  auto ivf = IvfIndex::Train(options, Flatten(*base_).data(), base_->size());
  ASSERT_TRUE(ivf.ok()) << ivf.status().ToString();
  std::vector<int64_t> labels(base_->size());
  for (size_t i = 0; i < labels.size(); ++i) labels[i] = static_cast<int64_t>(i);
  ASSERT_TRUE((*ivf)->AddBatch(labels, Flatten(*base_)).ok());
  for (int probes : {16, 32, 48, 64, 80}) {
    (*ivf)->SetProbes(probes);
    const Recall r = Measure(*exact, **ivf);
    const Recall m = Measure(*exact, **ivf, kMatchCosine);
    std::printf("IVF %zu lists, %d probes: recall@1 %.4f, recall@10 %.4f; queries with a match "
                "(%zu): recall@1 %.4f\n", (*ivf)->lists(), probes, r.at1, r.at10, m.queries,
                m.at1);
  }
  const int probes = IvfDefaultProbes((*ivf)->lists());
  (*ivf)->SetProbes(probes);
  const Recall r = Measure(*exact, **ivf);
  std::printf("IVF defaults (%zu lists, %d probes), %zu vectors: recall@1 %.4f, recall@10 %.4f\n",
              (*ivf)->lists(), probes, base_->size(), r.at1, r.at10);
  EXPECT_GE(r.at1, 0.99);
  EXPECT_GE(r.at10, 0.975);
}

}  // namespace
}  // namespace candor::index
