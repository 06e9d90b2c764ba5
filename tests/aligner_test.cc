#include "align/aligner.h"

#include <gtest/gtest.h>

#include <cmath>

namespace candor::align {
namespace {

std::array<Point, 5> Transform(const std::array<Point, 5>& p, double scale, double angle,
                               double tx, double ty) {
  std::array<Point, 5> out;
  const double c = std::cos(angle) * scale, s = std::sin(angle) * scale;
  for (int i = 0; i < 5; ++i) {
    out[i] = {static_cast<float>(c * p[i].x - s * p[i].y + tx),
              static_cast<float>(s * p[i].x + c * p[i].y + ty)};
  }
  return out;
}

TEST(AlignerTest, RecoversAKnownSimilarity) {
  // Points that are the template moved by a known similarity must map back
  // onto the template exactly.
  std::array<Point, 5> moved = Transform(kArcFaceTemplate, 2.5, 0.3, 40, -12);
  Affine m = EstimateSimilarity(moved, kArcFaceTemplate);
  for (int i = 0; i < 5; ++i) {
    Point p = Apply(m, moved[i]);
    EXPECT_NEAR(p.x, kArcFaceTemplate[i].x, 1e-3);
    EXPECT_NEAR(p.y, kArcFaceTemplate[i].y, 1e-3);
  }
  // a = cos * scale of the inverse: 1/2.5 at angle -0.3.
  EXPECT_NEAR(m[0], std::cos(-0.3) / 2.5, 1e-6);
  EXPECT_NEAR(m[3], std::sin(-0.3) / 2.5, 1e-6);
}

TEST(AlignerTest, NeverReflects) {
  // A mirrored face must not be "aligned" by a reflection: the determinant of
  // a similarity is a^2 + b^2 > 0.
  std::array<Point, 5> mirrored = kArcFaceTemplate;
  for (Point& p : mirrored) p.x = 112 - p.x;
  Affine m = EstimateSimilarity(mirrored, kArcFaceTemplate);
  const double det = m[0] * m[4] - m[1] * m[3];
  EXPECT_GT(det, 0);
}

TEST(AlignerTest, TemplateIsTheArcFaceOne) {
  // insightface arcface_dst; a wrong constant here silently costs accuracy.
  EXPECT_FLOAT_EQ(kArcFaceTemplate[0].x, 38.2946f);
  EXPECT_FLOAT_EQ(kArcFaceTemplate[1].y, 51.5014f);
  EXPECT_FLOAT_EQ(kArcFaceTemplate[4].x, 70.7299f);
  EXPECT_EQ(kChipSize, 112);
}

TEST(AlignerTest, DegeneratePointsDoNotProduceNaN) {
  std::array<Point, 5> same{};
  Affine m = EstimateSimilarity(same, kArcFaceTemplate);
  for (double v : m) EXPECT_TRUE(std::isfinite(v));
}

}  // namespace
}  // namespace candor::align
