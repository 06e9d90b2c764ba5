// The worst-group calibration fit (src/eval/calibration_fit.h) on hand-made
// score sets whose quantiles are known in closed form.
#include "eval/calibration_fit.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace candor::eval {
namespace {

// n scores evenly spaced: offset + i / n for i in [0, n).
std::vector<float> Even(int n, float offset) {
  std::vector<float> v;
  for (int i = 0; i < n; ++i) v.push_back(offset + static_cast<float>(i) / static_cast<float>(n));
  return v;
}

// The value CosineAtRate must give for Even(n, offset): at most floor(r n)
// scores reach it, so it sits just above the (floor(r n) + 1)-th highest.
float EvenQuantile(int n, float offset, double rate) {
  const int k = static_cast<int>(std::floor(rate * n));
  return std::nextafter(offset + static_cast<float>(n - 1 - k) / static_cast<float>(n), 2.f);
}

TEST(CalibrationFitTest, CosineAtRate) {
  const std::vector<float> desc = {0.9f, 0.8f, 0.7f, 0.6f, 0.5f};
  EXPECT_FLOAT_EQ(CosineAtRate(desc, 0.0), std::nextafter(0.9f, 2.f));  // nothing reaches it
  EXPECT_FLOAT_EQ(CosineAtRate(desc, 0.2), std::nextafter(0.8f, 2.f));  // only 0.9 does
  EXPECT_FLOAT_EQ(CosineAtRate(desc, 0.39), std::nextafter(0.8f, 2.f)); // floor(1.95) = 1
  EXPECT_FLOAT_EQ(CosineAtRate(desc, 1.0), 0.5f);                       // everything may
  EXPECT_TRUE(std::isinf(CosineAtRate({}, 0.1)));
}

TEST(CalibrationFitTest, DeepestMeasurableSimilarity) {
  // 1,000 pairs expect 10 matches at rate 1e-2, which is Similarity 50.
  EXPECT_EQ(DeepestMeasurableSimilarity(1000, 10), 50);
  // 10,000 pairs expect 50 down to 5e-3: log10 = -2 - (s - 50) / 30 >= -2.301, s <= 59.03.
  EXPECT_EQ(DeepestMeasurableSimilarity(10000, 50), 59);
  EXPECT_EQ(DeepestMeasurableSimilarity(10, 50), -1);
  EXPECT_EQ(DeepestMeasurableSimilarity(1'000'000'000, 50), 100);
}

TEST(CalibrationFitTest, WorstGroupSetsTheTableAndItsShiftIsCarried) {
  const int n = 100000, m = 10000;
  std::vector<GroupImpostors> groups = {
      {"high", Even(m, 0.1f), 0},   // 0.1 above the base everywhere
      {"low", Even(m, -0.2f), 0},   // below the base: never lowers the table
      {"tiny", Even(20, 0.5f), 0},  // too few pairs to say anything
  };
  Calibration::Metadata metadata;
  metadata.face_model_version = "m";
  auto fitted = FitWorstGroupCalibration(Even(n, 0.f), groups, WorstGroupOptions{50}, metadata);
  ASSERT_TRUE(fitted.ok()) << fitted.status().ToString();
  const auto& table = fitted->points();
  auto base = [&](int s) { return EvenQuantile(n, 0.f, FalseMatchRateAt(static_cast<float>(s))); };
  auto high = [&](int s) { return EvenQuantile(m, 0.1f, FalseMatchRateAt(static_cast<float>(s))); };
  // Up to similarity 59 "high" has 50 expected matches: its own quantile.
  for (int s : {30, 50, 59}) EXPECT_FLOAT_EQ(table[s].cosine, high(s)) << s;
  // Beyond, its shift at 59 is carried over the base table.
  const float shift = high(59) - base(59);
  EXPECT_NEAR(shift, 0.1f, 2e-4f);
  for (int s : {60, 80, 90, 99}) EXPECT_FLOAT_EQ(table[s].cosine, base(s) + shift) << s;
  // Provenance, in the order given.
  const auto& g = fitted->metadata().groups;
  ASSERT_EQ(g.size(), 3u);
  EXPECT_EQ(g[0].group, "high");
  EXPECT_EQ(g[0].measured_at, 59.f);
  EXPECT_FLOAT_EQ(g[0].cosine_shift, shift);
  EXPECT_EQ(g[2].measured_at, -1.f);  // "tiny": ignored
  EXPECT_EQ(fitted->metadata().face_model_version, "m");
  // Monotonic, and a valid file.
  auto back = Calibration::FromJson(fitted->ToJson());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->version(), fitted->version());
}

TEST(CalibrationFitTest, AGroupWithAHigherBarSpeaksForLess) {
  const int n = 100000, m = 100000;
  std::vector<GroupImpostors> groups = {{"no identities", Even(m, 0.05f), 1000}};
  auto fitted = FitWorstGroupCalibration(Even(n, 0.f), groups, WorstGroupOptions{50}, {});
  ASSERT_TRUE(fitted.ok());
  // 100,000 pairs expect 1,000 matches down to 1e-2: Similarity 50.
  EXPECT_EQ(fitted->metadata().groups[0].measured_at, 50.f);
}

TEST(CalibrationFitTest, NoBaseIsAnError) {
  EXPECT_EQ(FitWorstGroupCalibration({}, {}, {}, {}).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace candor::eval
