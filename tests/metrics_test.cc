#include "eval/metrics.h"

#include <gtest/gtest.h>

#include "eval/lfw.h"

namespace candor::eval {
namespace {

TEST(MetricsTest, BestThresholdOnSeparableData) {
  std::vector<ScoredPair> pairs = {{0.9f, true}, {0.8f, true}, {0.3f, false}, {0.1f, false}};
  const float t = BestThreshold(pairs);
  EXPECT_GT(t, 0.3f);
  EXPECT_LE(t, 0.8f);
  EXPECT_DOUBLE_EQ(AccuracyAt(pairs, t), 1.0);
}

TEST(MetricsTest, HandComputedAccuracy) {
  // Scores: same 0.9 0.4, different 0.5 0.1. Best threshold separates three
  // of four (either 0.45 < t <= 0.9 misclassifies one).
  std::vector<ScoredPair> pairs = {{0.9f, true}, {0.4f, true}, {0.5f, false}, {0.1f, false}};
  EXPECT_DOUBLE_EQ(AccuracyAt(pairs, BestThreshold(pairs)), 0.75);
  EXPECT_DOUBLE_EQ(AccuracyAt(pairs, 0.0f), 0.5);
  EXPECT_DOUBLE_EQ(AccuracyAt(pairs, 0.95f), 0.5);
}

TEST(MetricsTest, TenFoldChoosesThresholdWithoutTheTestFold) {
  // Fold 0's pairs would want a threshold near 0.85; the other folds want
  // 0.45. Fold 0 must be scored with the others' threshold, and lose.
  std::vector<ScoredPair> pairs;
  for (int f = 1; f < 10; ++f) {
    pairs.push_back({0.6f, true, f});
    pairs.push_back({0.3f, false, f});
  }
  pairs.push_back({0.9f, true, 0});
  pairs.push_back({0.8f, false, 0});
  VerificationReport r = TenFold(pairs, 10);
  EXPECT_DOUBLE_EQ(r.folds[0].accuracy, 0.5);
  for (int f = 1; f < 10; ++f) EXPECT_DOUBLE_EQ(r.folds[f].accuracy, 1.0);
  EXPECT_DOUBLE_EQ(r.mean_accuracy, 0.95);
  EXPECT_NEAR(r.std_accuracy, 0.15, 1e-12);  // population std of {0.5, 1 x 9}
}

TEST(MetricsTest, EqualErrorRateOfKnownDistributions) {
  // Genuine 1..10, impostor 6..15 (as "higher is more alike" reversed):
  // make genuine high: genuine = 6..15, impostor = 1..10. At t = 8.5... the
  // crossing: FRR(t) = #genuine < t / 10, FAR(t) = #impostor >= t / 10.
  std::vector<float> genuine, impostor;
  for (int i = 6; i <= 15; ++i) genuine.push_back(i);
  for (int i = 1; i <= 10; ++i) impostor.push_back(i);
  float t;
  const double eer = EqualErrorRate(genuine, impostor, &t);
  // At t = 8: FRR = 2/10 (6, 7), FAR = 3/10 (8, 9, 10); at t = 9: 3/10 and
  // 2/10. Both give |FAR - FRR| = 0.1 and a mean of 0.25.
  EXPECT_DOUBLE_EQ(eer, 0.25);
}

TEST(MetricsTest, TarAtFar) {
  std::vector<float> genuine = {0.9f, 0.8f, 0.7f, 0.2f};
  std::vector<float> impostor;
  for (int i = 0; i < 1000; ++i) impostor.push_back(i / 2000.f);  // 0 .. 0.4995
  float t;
  // FAR 1e-2: at most 10 impostors at or above t -> t just above 0.4945.
  const double tar = TarAtFar(genuine, impostor, 1e-2, &t);
  EXPECT_GT(t, 0.4945f);
  EXPECT_LT(t, 0.4951f);
  EXPECT_DOUBLE_EQ(tar, 0.75);
}

TEST(LfwPairsTest, ParsesTheProtocolAndRejectsHostileFiles) {
  auto ok = ParseLfwPairs("1 1\nAbe 1 2\nAbe 1 Bob 3\n");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  ASSERT_EQ(ok->size(), 2u);
  EXPECT_TRUE((*ok)[0].same);
  EXPECT_EQ((*ok)[1].name2, "Bob");
  EXPECT_EQ((*ok)[1].index2, 3);
  for (const char* bad : {"", "x y\n", "1 1\nAbe 1\nAbe 1 Bob 3\n", "1 1\nAbe 1 2\n",
                          "1 1\n../etc 1 2\nAbe 1 Bob 3\n", "1 1\nAbe -1 2\nAbe 1 Bob 3\n",
                          "1 1\nAbe 1 99999999999\nAbe 1 Bob 3\n", "1000000 1\n"}) {
    EXPECT_EQ(ParseLfwPairs(bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace candor::eval
