// The counting behind `candor eval news` (the 535-people experiment) on a
// tiny hand-made gallery with hand-computed counts, shares and ratios, and
// the seeded choice of people.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "eval/news_experiment.h"

namespace candor::eval {
namespace {

constexpr double kPi = 3.14159265358979323846;

void AddPlaneVector(double degrees, std::vector<float>* values) {
  values->push_back(static_cast<float>(std::cos(degrees * kPi / 180)));
  values->push_back(static_cast<float>(std::sin(degrees * kPi / 180)));
}

// Gallery of unit vectors in the plane: group A (0) at 0 and 50 degrees,
// group B (1) at 12, 90 and 185; group 2 has no faces. Probes at 5, 135 and
// 270 degrees. Cosines (of the angle between):
//   probe 0 (5):   A .996 (5), .707 (45);  B .993 (7), .087 (85), -1 (180)
//   probe 1 (135): A -.707, .087;          B -.574, .707 (45), .643 (50)
//   probe 2 (270): A 0, -.766;             B -.208, -1, .087 (85)
// Thresholds 0.5 and 0.9; no cosine is within 0.05 of either.
struct HandMade {
  LabelledVectors gallery;
  std::vector<float> probes;
  std::vector<float> thresholds = {0.5f, 0.9f};
};

HandMade MakeHandMade() {
  HandMade h;
  h.gallery.dimension = 2;
  h.gallery.groups = 3;
  for (const auto& [degrees, group] :
       std::vector<std::pair<double, int>>{{0, 0}, {50, 0}, {12, 1}, {90, 1}, {185, 1}}) {
    AddPlaneVector(degrees, &h.gallery.values);
    h.gallery.group.push_back(group);
  }
  for (double degrees : {5.0, 135.0, 270.0}) AddPlaneVector(degrees, &h.probes);
  return h;
}

TEST(NewsExperimentTest, CountsHandMadeFalseMatches) {
  const HandMade h = MakeHandMade();
  auto counted = CountFalseMatches(h.gallery, h.probes, h.thresholds);
  ASSERT_TRUE(counted.ok()) << counted.status().ToString();
  const FalseMatchCounts& c = *counted;
  EXPECT_EQ(c.probes, 3);
  EXPECT_EQ(c.gallery_faces, 5);
  EXPECT_EQ(c.gallery_by_group, (std::vector<int>{2, 3, 0}));

  // 0.5: probe 0 matches A 0, A 50, B 12; probe 1 B 90, B 185; probe 2 nothing.
  EXPECT_EQ(c.probes_with_match[0], 2);
  EXPECT_EQ(c.false_matches[0], 5);
  EXPECT_EQ(c.false_matches_by_group[0], (std::vector<long long>{2, 3, 0}));
  EXPECT_EQ(c.probes_by_group[0], (std::vector<int>{1, 2, 0}));
  EXPECT_EQ(c.matches_by_probe[0][0], (std::vector<int>{2, 1, 0}));
  EXPECT_EQ(c.matches_by_probe[0][1], (std::vector<int>{0, 2, 0}));
  EXPECT_EQ(c.matches_by_probe[0][2], (std::vector<int>{0, 0, 0}));
  EXPECT_EQ(c.MatchesOfProbe(0, 0), 3);
  EXPECT_EQ(c.MatchesOfProbe(0, 1), 2);
  EXPECT_EQ(c.MatchesOfProbe(0, 2), 0);

  // 0.9: probe 0 matches A 0 and B 12 only.
  EXPECT_EQ(c.probes_with_match[1], 1);
  EXPECT_EQ(c.false_matches[1], 2);
  EXPECT_EQ(c.false_matches_by_group[1], (std::vector<long long>{1, 1, 0}));
  EXPECT_EQ(c.probes_by_group[1], (std::vector<int>{1, 1, 0}));
  EXPECT_EQ(c.MatchesOfProbe(1, 1), 0);

  // Best gallery face per probe, matched or not.
  ASSERT_EQ(c.best_match.size(), 3u);
  EXPECT_EQ(c.best_match[0].gallery_face, 0);
  EXPECT_NEAR(c.best_match[0].cosine, std::cos(5 * kPi / 180), 1e-5);
  EXPECT_EQ(c.best_match[1].gallery_face, 3);
  EXPECT_NEAR(c.best_match[1].cosine, std::cos(45 * kPi / 180), 1e-5);
  EXPECT_EQ(c.best_match[2].gallery_face, 4);
  EXPECT_NEAR(c.best_match[2].cosine, std::cos(85 * kPi / 180), 1e-5);
}

TEST(NewsExperimentTest, RepresentationAgainstTheGalleryComposition) {
  const HandMade h = MakeHandMade();
  auto counted = CountFalseMatches(h.gallery, h.probes, h.thresholds);
  ASSERT_TRUE(counted.ok());
  const FalseMatchCounts& c = *counted;
  const auto ratio = [&](size_t t, int g) {
    return RepresentationRatio(static_cast<double>(c.false_matches_by_group[t][g]),
                               static_cast<double>(c.false_matches[t]), c.gallery_by_group[g],
                               c.gallery_faces);
  };
  // 0.5: A draws 2 of 5 matches with 2 of 5 faces, B 3 of 5 with 3 of 5.
  EXPECT_NEAR(*ratio(0, 0), 1.0, 1e-12);
  EXPECT_NEAR(*ratio(0, 1), 1.0, 1e-12);
  // 0.9: each draws 1 of 2: A (1/2) / (2/5) = 1.25, B (1/2) / (3/5) = 5/6.
  EXPECT_NEAR(*ratio(1, 0), 1.25, 1e-12);
  EXPECT_NEAR(*ratio(1, 1), 5.0 / 6, 1e-12);
  EXPECT_FALSE(ratio(1, 2).has_value());  // group 2 has no faces

  // Each matched probe counted once. 0.5: probe 0 gives A 2/3 and B 1/3,
  // probe 1 gives B 1: A 2/3, B 4/3 (sum 2, the probes with a match).
  const std::vector<double> weighted = PersonWeightedFalseMatches(c, 0);
  ASSERT_EQ(weighted.size(), 3u);
  EXPECT_NEAR(weighted[0], 2.0 / 3, 1e-12);
  EXPECT_NEAR(weighted[1], 4.0 / 3, 1e-12);
  EXPECT_EQ(weighted[2], 0.0);
  // A: (2/3 / 2) / (2/5) = 5/6; B: (4/3 / 2) / (3/5) = 10/9.
  EXPECT_NEAR(*RepresentationRatio(weighted[0], c.probes_with_match[0], 2, 5), 5.0 / 6, 1e-12);
  EXPECT_NEAR(*RepresentationRatio(weighted[1], c.probes_with_match[0], 3, 5), 10.0 / 9, 1e-12);
  const std::vector<double> strict = PersonWeightedFalseMatches(c, 1);
  EXPECT_NEAR(strict[0], 0.5, 1e-12);
  EXPECT_NEAR(strict[1], 0.5, 1e-12);
}

TEST(NewsExperimentTest, RepresentationRatioByHand) {
  // 10 of 40 false matches on a group that is 100 of 1,000 faces: 0.25 / 0.1.
  EXPECT_NEAR(*RepresentationRatio(10, 40, 100, 1000), 2.5, 1e-12);
  EXPECT_NEAR(*RepresentationRatio(0, 40, 100, 1000), 0.0, 1e-12);
  EXPECT_FALSE(RepresentationRatio(0, 0, 100, 1000).has_value());  // no false match at all
  EXPECT_FALSE(RepresentationRatio(0, 40, 0, 1000).has_value());   // empty group
  EXPECT_FALSE(RepresentationRatio(0, 40, 0, 0).has_value());      // empty gallery
}

TEST(NewsExperimentTest, RejectsMismatchedShapes) {
  HandMade h = MakeHandMade();
  std::vector<float> odd = h.probes;
  odd.push_back(0.f);  // not a whole number of rows
  EXPECT_EQ(CountFalseMatches(h.gallery, odd, h.thresholds).status().code(),
            StatusCode::kInvalidArgument);
  LabelledVectors bad_group = h.gallery;
  bad_group.group[1] = 3;
  EXPECT_EQ(CountFalseMatches(bad_group, h.probes, h.thresholds).status().code(),
            StatusCode::kInvalidArgument);
  LabelledVectors short_values = h.gallery;
  short_values.values.pop_back();
  EXPECT_EQ(CountFalseMatches(short_values, h.probes, h.thresholds).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(NewsExperimentTest, ChoosesDistinctPeopleReproducibly) {
  auto chosen = ChooseDistinct(4281, 535, 1);
  ASSERT_TRUE(chosen.ok());
  ASSERT_EQ(chosen->size(), 535u);
  EXPECT_TRUE(std::is_sorted(chosen->begin(), chosen->end()));
  EXPECT_EQ(std::set<int>(chosen->begin(), chosen->end()).size(), 535u);
  EXPECT_GE(chosen->front(), 0);
  EXPECT_LT(chosen->back(), 4281);
  // The same seed, the same people; another seed, others.
  EXPECT_EQ(*ChooseDistinct(4281, 535, 1), *chosen);
  EXPECT_NE(*ChooseDistinct(4281, 535, 2), *chosen);
  // Pinned: SplitMix64 is fully specified, so this is the same on every
  // platform; a change here changes which people the README's numbers used.
  EXPECT_EQ(*ChooseDistinct(10, 3, 1), (std::vector<int>{1, 5, 8}));

  auto all = ChooseDistinct(5, 5, 7);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(*all, (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_TRUE(ChooseDistinct(5, 0, 7)->empty());
  EXPECT_EQ(ChooseDistinct(5, 6, 7).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ChooseDistinct(5, -1, 7).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace candor::eval
