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
#include <random>
#include <set>
#include <thread>
#include <vector>

#include "candor/engine.h"
#include "eval/lfw.h"
#include "index/exact_index.h"
#include "index/faiss_index.h"
#include "index/index_factory.h"
#include "test_support.h"

namespace candor::index {
namespace {

constexpr int kDim = 512;
constexpr float kNoMinScore = -std::numeric_limits<float>::infinity();
constexpr int kQueries = 500;
constexpr size_t kBaseSize = 20000;
constexpr float kNoiseSd = 0.045f;

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
  };

  // Recall of `approximate` against `exact` over the held-out queries.
  static Recall Measure(const VectorIndex& exact, const VectorIndex& approximate) {
    Recall r;
    for (const auto& q : *queries_) {
      auto truth = exact.Search(q, 10, kNoMinScore);
      auto got = approximate.Search(q, 10, kNoMinScore);
      if (!got.empty() && got[0].label == truth[0].label) r.at1 += 1;
      std::set<int64_t> want;
      for (const Neighbor& n : truth) want.insert(n.label);
      for (const Neighbor& n : got) r.at10 += want.count(n.label) / 10.0;
    }
    r.at1 /= queries_->size();
    r.at10 /= queries_->size();
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

}  // namespace
}  // namespace candor::index
