#include "candor/calibration.h"

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
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
  EXPECT_EQ(c->metadata().face_model_version, "candor-faceplugin-0.0.1-mobilefacenet512-v1");
  // The worst-group table is stricter than the all-pairs LFW one (0.335,
  // 0.411 and 0.476 at 80, 90 and 99): every labelled group moved it up.
  EXPECT_GT(c->CosineForSimilarity(80), 0.40f);
  EXPECT_GT(c->CosineForSimilarity(90), 0.45f);
  EXPECT_GT(c->CosineForSimilarity(99), 0.50f);
  // ... but not past where most genuine LFW pairs lie (median cosine 0.69).
  EXPECT_LT(c->CosineForSimilarity(99), 0.69f);
  EXPECT_GE(c->metadata().groups.size(), 14u);  // 4 LFW groups, 10 UTKFace groups
}

// A table made, written and read back keeps its version; a number changed in
// the file, another format or a missing member is refused.
TEST(CalibrationTest, VersionGuardsTheTable) {
  std::vector<float> scores;
  for (int i = 0; i < 100000; ++i) scores.push_back(std::sin(i * 0.37f) * 0.3f);
  Calibration::Metadata m;
  m.face_model_version = "model-x";
  m.method = "test";
  m.source = "sine";
  m.date = "2026-12-07";
  auto c = Calibration::FromTable(Calibration::FromImpostorScores(scores, "").points(), m);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->version().rfind("2026-12-07-", 0), 0u) << c->version();
  EXPECT_EQ(c->version().size(), std::string("2026-12-07-").size() + 16);
  auto back = Calibration::FromJson(c->ToJson());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->version(), c->version());
  EXPECT_EQ(back->metadata().face_model_version, "model-x");

  // Edit one cosine of the table: the fingerprint no longer matches.
  nlohmann::json j = nlohmann::json::parse(c->ToJson());
  j["table"][100]["cosine"] = j["table"][100]["cosine"].get<float>() + 0.001f;
  auto edited = Calibration::FromJson(j.dump());
  EXPECT_EQ(edited.status().code(), StatusCode::kCorruption);
  EXPECT_NE(edited.status().message().find("does not match its version"), std::string::npos)
      << edited.status().message();
  // The old format (no "format": 2) is refused with the command that rebuilds it.
  nlohmann::json old = j;
  old.erase("format");
  auto v1 = Calibration::FromJson(old.dump());
  EXPECT_EQ(v1.status().code(), StatusCode::kCorruption);
  EXPECT_NE(v1.status().message().find("candor eval calibrate"), std::string::npos);
  nlohmann::json no_model = nlohmann::json::parse(c->ToJson());
  no_model.erase("face_model_version");
  EXPECT_EQ(Calibration::FromJson(no_model.dump()).status().code(), StatusCode::kCorruption);
  EXPECT_EQ(Calibration::Load("/nonexistent/calibration.json").status().code(),
            StatusCode::kNotFound);
  // Truncated file.
  const std::string text = c->ToJson();
  EXPECT_EQ(Calibration::FromJson(text.substr(0, text.size() / 2)).status().code(),
            StatusCode::kCorruption);
}

}  // namespace
}  // namespace candor
