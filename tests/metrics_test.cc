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


// A tiny ROC worked by hand: impostors {0.1, 0.2, 0.3, 0.4, 0.9}, genuine
// {0.35, 0.5, 0.6, 0.8}. At FAR 0.2 one impostor (0.9) may pass: the
// threshold is just above 0.4 and three genuine pairs (0.5, 0.6, 0.8) pass.
// At FAR 0.4 two may pass (0.9, 0.4): the threshold is just above 0.3 and all
// four genuine pairs pass. At FAR 0 none may: just above 0.9, none pass.
TEST(MetricsTest, TinyRocByHand) {
  const std::vector<float> genuine = {0.35f, 0.5f, 0.6f, 0.8f};
  const std::vector<float> impostor = {0.9f, 0.1f, 0.3f, 0.2f, 0.4f};
  const std::vector<RocPoint> roc = Roc(genuine, impostor, {0.0, 0.2, 0.4});
  ASSERT_EQ(roc.size(), 3u);
  EXPECT_DOUBLE_EQ(roc[0].tar, 0.0);
  EXPECT_GT(roc[0].threshold, 0.9f);
  EXPECT_DOUBLE_EQ(roc[1].tar, 0.75);
  EXPECT_GT(roc[1].threshold, 0.4f);
  EXPECT_LT(roc[1].threshold, 0.41f);
  EXPECT_DOUBLE_EQ(roc[2].tar, 1.0);
  EXPECT_GT(roc[2].threshold, 0.3f);
  EXPECT_LT(roc[2].threshold, 0.35f);
}

// DET points by hand on the same scores: at 0.45 one of five impostors is
// accepted (FMR 0.2) and one of four genuine pairs rejected (FNMR 0.25); a
// score equal to the threshold is accepted.
TEST(MetricsTest, DetPointsByHand) {
  const std::vector<float> genuine = {0.35f, 0.5f, 0.6f, 0.8f};
  const std::vector<float> impostor = {0.9f, 0.1f, 0.3f, 0.2f, 0.4f};
  const std::vector<DetPoint> det = DetCurve(genuine, impostor, {0.45f, 0.0f, 0.95f, 0.4f});
  ASSERT_EQ(det.size(), 4u);
  EXPECT_FLOAT_EQ(det[0].threshold, 0.45f);
  EXPECT_DOUBLE_EQ(det[0].fmr, 0.2);
  EXPECT_DOUBLE_EQ(det[0].fnmr, 0.25);
  EXPECT_DOUBLE_EQ(det[1].fmr, 1.0);
  EXPECT_DOUBLE_EQ(det[1].fnmr, 0.0);
  EXPECT_DOUBLE_EQ(det[2].fmr, 0.0);
  EXPECT_DOUBLE_EQ(det[2].fnmr, 1.0);
  EXPECT_DOUBLE_EQ(det[3].fmr, 0.4);    // 0.4 itself is accepted
  EXPECT_DOUBLE_EQ(det[3].fnmr, 0.25);  // 0.35 is not
  EXPECT_TRUE(DetCurve({}, {}, {0.5f})[0].fmr == 0 && DetCurve({}, {}, {0.5f})[0].fnmr == 0);
}

TEST(MetricsTest, HistogramClampsOutliers) {
  const std::vector<long long> h = Histogram({-2.f, 0.f, 0.1f, 0.49f, 0.5f, 0.99f, 1.f, 7.f}, 0, 1, 2);
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[0], 4);  // -2 (clamped), 0, 0.1, 0.49
  EXPECT_EQ(h[1], 4);  // 0.5, 0.99, 1 and 7 (clamped)
}

// A 3-class confusion matrix worked by hand:
//             predicted a  b  c
//   truth a             5  1  0
//   truth b             2  3  1
//   truth c             0  0  0
// accuracy 8/12; recall a 5/6, b 3/6, c 0 (no faces); precision a 5/7,
// b 3/4, c 0/1.
TEST(MetricsTest, ConfusionMatrixByHand) {
  ConfusionMatrix m(3);
  for (int i = 0; i < 5; ++i) m.Add(0, 0);
  m.Add(0, 1);
  for (int i = 0; i < 2; ++i) m.Add(1, 0);
  for (int i = 0; i < 3; ++i) m.Add(1, 1);
  m.Add(1, 2);
  EXPECT_EQ(m.Total(), 12);
  EXPECT_EQ(m.Correct(), 8);
  EXPECT_DOUBLE_EQ(m.Accuracy(), 8.0 / 12);
  EXPECT_DOUBLE_EQ(m.Recall(0), 5.0 / 6);
  EXPECT_DOUBLE_EQ(m.Recall(1), 0.5);
  EXPECT_DOUBLE_EQ(m.Recall(2), 0.0);
  EXPECT_DOUBLE_EQ(m.Precision(0), 5.0 / 7);
  EXPECT_DOUBLE_EQ(m.Precision(1), 0.75);
  EXPECT_DOUBLE_EQ(m.Precision(2), 0.0);
  EXPECT_DOUBLE_EQ(ConfusionMatrix(4).Accuracy(), 0.0);
}

}  // namespace
}  // namespace candor::eval
