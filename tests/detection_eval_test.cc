// WIDER annotation parsing, detection matching by face size, and the small
// statistics of the attribute evaluation, on hand-made cases.
#include <gtest/gtest.h>

#include <cmath>

#include "eval/attributes.h"
#include "eval/detection.h"

namespace candor::eval {
namespace {

TEST(WiderAnnotationsTest, ParsesFacesInvalidFlagAndEmptyImages) {
  const std::string text =
      "a.jpg\n2\n10 20 30 40 0 0 0 0 0 0 \n1 2 3 4 2 0 0 1 0 0\n"
      "b.jpg\n0\n0 0 0 0 0 0 0 0 0 0\n"
      "c.jpg\r\n1\r\n5.5 6.5 7.25 8 0 0 0 0 0 0\r\n";
  auto images = ParseWiderAnnotations(text);
  ASSERT_TRUE(images.ok()) << images.status().ToString();
  ASSERT_EQ(images->size(), 3u);
  EXPECT_EQ((*images)[0].file, "a.jpg");
  ASSERT_EQ((*images)[0].faces.size(), 2u);
  EXPECT_FLOAT_EQ((*images)[0].faces[0].box.height, 40.f);
  EXPECT_FALSE((*images)[0].faces[0].invalid);
  EXPECT_TRUE((*images)[0].faces[1].invalid);
  EXPECT_TRUE((*images)[1].faces.empty());
  EXPECT_FLOAT_EQ((*images)[2].faces[0].box.width, 7.25f);
}

TEST(WiderAnnotationsTest, RejectsHostileFiles) {
  for (const std::string bad : {"a.jpg\n", "a.jpg\n-1\n", "a.jpg\n2\n1 2 3 4 0 0 0 0 0 0\n",
                                "a.jpg\n1\n1 2 3\n", "a.jpg\n1\n1 2 3 4 0 0 0 0 0 0 9\n",
                                "a.jpg\n1\n1 2 -3 4 0 0 0 0 0 0\n", "a.jpg\n99999999999\n",
                                "not an image\n1\n1 2 3 4 0 0 0 0 0 0\n",
                                "a.jpg\n1\nnan 2 3 4 0 0 0 0 0 0\n"}) {
    EXPECT_EQ(ParseWiderAnnotations(bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
  auto empty = ParseWiderAnnotations("");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST(FaceSizeBinTest, EdgesBelongToTheUpperBin) {
  EXPECT_EQ(FaceSizeBin(0), 0);
  EXPECT_EQ(FaceSizeBin(15.9f), 0);
  EXPECT_EQ(FaceSizeBin(16), 1);
  EXPECT_EQ(FaceSizeBin(64), 3);
  EXPECT_EQ(FaceSizeBin(128), 4);
  EXPECT_EQ(FaceSizeBin(5000), 4);
  EXPECT_EQ(FaceSizeBinName(0), "<16");
  EXPECT_EQ(FaceSizeBinName(2), "32-64");
  EXPECT_EQ(FaceSizeBinName(4), ">=128");
}

// By hand: faces A (40 px, valid), B (40 px, valid), C (10 px, invalid).
// Detections: on A twice (scores 0.9 and 0.8: the second is a duplicate, a
// false positive), on C (ignored), on nothing (false), and one overlapping
// B with IoU 1/3 (false; B is missed).
TEST(MatchDetectionsTest, HandWorkedImage) {
  const std::vector<GroundTruthFace> truth = {
      {{0, 0, 40, 40}, false}, {{100, 0, 40, 40}, false}, {{200, 0, 10, 10}, true}};
  const std::vector<detect::ScoredBox> detections = {
      {{1, 1, 40, 40}, 0.8f},  {{0, 0, 40, 40}, 0.9f},   {{200, 0, 10, 10}, 0.95f},
      {{300, 300, 50, 50}, 0.99f}, {{120, 0, 40, 40}, 0.7f}};
  DetectionCounts counts;
  MatchDetections(truth, detections, 0.5f, &counts);
  EXPECT_EQ(counts.invalid_faces, 1);
  EXPECT_EQ(counts.ignored_detections, 1);
  const DetectionBinCounts& b32 = counts.bins[FaceSizeBin(40)];
  EXPECT_EQ(b32.faces, 2);
  EXPECT_EQ(b32.faces_found, 1);
  // The two on A, the one near B and the 50 px one on nothing (same bin).
  EXPECT_EQ(b32.detections, 4);
  EXPECT_EQ(b32.true_detections, 1);
  const DetectionBinCounts total = counts.Total();
  EXPECT_EQ(total.faces, 2);
  EXPECT_EQ(total.faces_found, 1);
  EXPECT_EQ(total.detections, 4);
  EXPECT_DOUBLE_EQ(total.Recall(), 0.5);
  EXPECT_DOUBLE_EQ(total.Precision(), 0.25);
}

TEST(AttributeStatsTest, HandComputed) {
  const MeanStd m = MeanAndStd({2, 4, 4, 4, 5, 5, 7, 9});
  EXPECT_DOUBLE_EQ(m.mean, 5);
  EXPECT_DOUBLE_EQ(m.std, 2);
  EXPECT_DOUBLE_EQ(ConstantGuessMae({10, 20, 30, 100}), (20 + 10 + 0 + 70) / 4.0);  // median 30
  EXPECT_NEAR(AgeCorrelation({1, 2, 3}, {10, 20, 30}), 1.0, 1e-12);
  EXPECT_NEAR(AgeCorrelation({3, 2, 1}, {10, 20, 30}), -1.0, 1e-12);
  EXPECT_EQ(AgeCorrelation({38, 38, 38}, {10, 50, 90}), 0.0);  // a constant says nothing
  AgeGenderGroup empty;
  EXPECT_EQ(empty.AgeMae(), 0);
  EXPECT_EQ(empty.GenderAccuracy(), 0);
}

}  // namespace
}  // namespace candor::eval
