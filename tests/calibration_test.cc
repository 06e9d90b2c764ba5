#include "candor/calibration.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <sstream>

#include "test_support.h"

namespace candor {
namespace {

TEST(SimilarityAnchorsTest, DocumentedMeaning) {
  EXPECT_DOUBLE_EQ(FalseMatchRateAt(80), 1e-3);
  EXPECT_DOUBLE_EQ(FalseMatchRateAt(90), 1e-4);
  // The promise in the README: 99 means at most 1 in 100,000.
  EXPECT_LE(FalseMatchRateAt(99), 1e-5 * (1 + 1e-9));
  EXPECT_NEAR(FalseMatchRateAt(95), std::pow(10.0, -4 - 5.0 / 9), 1e-9);
  for (float s = 0; s <= 100; s += 0.5f) {
    EXPECT_NEAR(SimilarityForFalseMatchRate(FalseMatchRateAt(s)), s, 1e-3);
  }
}

TEST(CalibrationTest, FromImpostorScoresHoldsItsPromise) {
  // 1,000,000 synthetic impostor scores: the share at or above the cosine of
  // each similarity must not exceed the documented false-match rate.
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.05f, 0.1f);
  std::vector<float> scores(1000000);
  for (float& s : scores) s = normal(rng);
  Calibration c = Calibration::FromImpostorScores(scores, "synthetic");
  for (float s : {50.f, 80.f, 90.f, 95.f}) {
    const float t = c.CosineForSimilarity(s);
    size_t above = 0;
    for (float x : scores) above += x >= t;
    EXPECT_LE(static_cast<double>(above) / scores.size(), FalseMatchRateAt(s)) << s;
    // And it is not wastefully strict: within 10% of the target rate.
    EXPECT_GE(static_cast<double>(above) / scores.size(), 0.9 * FalseMatchRateAt(s)) << s;
  }
  // Monotonic and inverse of each other.
  for (float s = 1; s < 100; s += 1.f) {
    EXPECT_GE(c.CosineForSimilarity(s), c.CosineForSimilarity(s - 1));
    EXPECT_NEAR(c.Similarity(c.CosineForSimilarity(s) + 1e-6f), s, 0.05f);
  }
  EXPECT_EQ(c.Similarity(-2.f), 0.f);
  EXPECT_EQ(c.Similarity(2.f), 100.f);
}

TEST(CalibrationTest, JsonRoundTripAndRejectsBadTables) {
  std::vector<float> scores;
  for (int i = 0; i < 100000; ++i) scores.push_back(std::sin(i * 0.37f) * 0.3f);
  Calibration c = Calibration::FromImpostorScores(scores, "sine");
  auto back = Calibration::FromJson(c.ToJson());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_FLOAT_EQ(back->Similarity(0.25f), c.Similarity(0.25f));
  EXPECT_EQ(back->source(), "sine");

  EXPECT_EQ(Calibration::FromJson("not json").status().code(), StatusCode::kCorruption);
  EXPECT_EQ(Calibration::FromJson(R"({"source":"x","table":[]})").status().code(),
            StatusCode::kCorruption);
  // Non-monotonic table.
  std::ostringstream bad;
  bad << R"({"source":"x","table":[)";
  for (int i = 0; i <= 100; ++i) {
    bad << (i ? "," : "") << R"({"similarity":)" << i << R"(,"cosine":)"
        << (i == 50 ? -1.0 : i / 100.0) << "}";
  }
  bad << "]}";
  EXPECT_EQ(Calibration::FromJson(bad.str()).status().code(), StatusCode::kCorruption);
}

TEST(CalibrationTest, ShippedTableMeetsTheDocumentedMeaning) {
  auto c = Calibration::Load(std::string(CANDOR_SOURCE_DIR) + "/models/calibration.json");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  // Made from millions of impostor pairs, enough to measure 1e-6.
  EXPECT_GE(c->impostor_pairs(), 10'000'000);
  // DESIGN.md measured impostor cosines of about 0.35 / 0.42 / 0.49 at
  // 1e-3 / 1e-4 / 1e-5 for this model; the shipped table must agree roughly.
  EXPECT_NEAR(c->CosineForSimilarity(80), 0.35f, 0.05f);
  EXPECT_NEAR(c->CosineForSimilarity(90), 0.42f, 0.05f);
  EXPECT_NEAR(c->CosineForSimilarity(99), 0.49f, 0.05f);
}

}  // namespace
}  // namespace candor
