// The per-group false-match counting of `candor eval demographics` on tiny
// hand-made sets with hand-computed counts, the Clopper-Pearson interval
// against closed forms and published values, and UTKFace label parsing.
#include "eval/demographics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <set>

#include "eval/utkface.h"
#include "index/dot_product.h"

namespace candor::eval {
namespace {

constexpr double kPi = 3.14159265358979323846;

// Unit vectors in the plane at the given angles (degrees): the cosine of a
// pair is the cosine of the angle between them.
LabelledVectors PlaneVectors(const std::vector<std::pair<double, int>>& angle_and_group,
                             int groups) {
  LabelledVectors v;
  v.dimension = 2;
  v.groups = groups;
  for (const auto& [degrees, group] : angle_and_group) {
    v.values.push_back(static_cast<float>(std::cos(degrees * kPi / 180)));
    v.values.push_back(static_cast<float>(std::sin(degrees * kPi / 180)));
    v.group.push_back(group);
  }
  return v;
}

// Group A (0): rows at 0, -30 and 105 degrees; group B (1): 40, 180, 42, 20.
// Pair cosines (angle between):
//   within A: (0,1) .866 (30); (0,2) -.259; (1,2) -.707
//   within B: (3,4) -.766; (3,5) .9994 (2: above 0.95, a duplicate);
//             (3,6) .940 (20); (4,5) -.743; (4,6) -.940; (5,6) .927 (22)
//   across:   (0,3) .766 (0,4) -1 (0,5) .743 (0,6) .940
//             (1,3) .342 (1,4) -.866 (1,5) .309 (1,6) .643
//             (2,3) .423 (2,4) .259 (2,5) .454 (2,6) .087
// No cosine is within 0.002 of a threshold, so float rounding cannot move one.
LabelledVectors HandMadeSet() {
  return PlaneVectors({{0, 0}, {-30, 0}, {105, 0}, {40, 1}, {180, 1}, {42, 1}, {20, 1}}, 2);
}

PairCountOptions HandMadeOptions(int threads) {
  PairCountOptions options;
  options.cosine_thresholds = {0.5f, 0.8f, 0.93f};
  options.duplicate_cosine = 0.95f;
  options.threads = threads;
  return options;
}

TEST(DemographicsTest, CountsHandMadePairs) {
  for (int threads : {1, 2, 3}) {
    auto result = CountImpostorPairs(HandMadeSet(), HandMadeOptions(threads));
    ASSERT_TRUE(result.ok()) << result.status().ToString();
    const PairCounts& c = result->counts;
    ASSERT_EQ(c.groups(), 2);

    const PairCell& a = c.cell(0, 0);
    EXPECT_EQ(a.pairs, 3);
    EXPECT_EQ(a.likely_duplicates, 0);
    EXPECT_EQ(a.false_matches, (std::vector<long long>{1, 1, 0}));

    const PairCell& b = c.cell(1, 1);
    EXPECT_EQ(b.pairs, 5);
    EXPECT_EQ(b.likely_duplicates, 1);
    EXPECT_EQ(b.false_matches, (std::vector<long long>{2, 2, 1}));

    const PairCell& ab = c.cell(0, 1);
    EXPECT_EQ(&ab, &c.cell(1, 0));
    EXPECT_EQ(ab.pairs, 12);
    EXPECT_EQ(ab.likely_duplicates, 0);
    EXPECT_EQ(ab.false_matches, (std::vector<long long>{4, 1, 1}));

    const PairCell total = c.Total();
    EXPECT_EQ(total.pairs + total.likely_duplicates, 21);  // 7 choose 2
    EXPECT_EQ(total.false_matches, (std::vector<long long>{7, 4, 2}));
    EXPECT_EQ(c.WithinGroups().pairs, 8);
    EXPECT_EQ(c.WithinGroups().false_matches, (std::vector<long long>{3, 3, 1}));
    EXPECT_EQ(c.AcrossGroups().pairs, 12);
    EXPECT_EQ(c.AcrossGroups().false_matches, (std::vector<long long>{4, 1, 1}));

    EXPECT_DOUBLE_EQ(a.Rate(0), 1.0 / 3);
    EXPECT_DOUBLE_EQ(b.Rate(0), 2.0 / 5);
    EXPECT_DOUBLE_EQ(ab.Rate(0), 4.0 / 12);

    ASSERT_EQ(result->duplicates.size(), 1u);
    EXPECT_EQ(result->duplicates[0].first, 3u);
    EXPECT_EQ(result->duplicates[0].second, 5u);
    EXPECT_NEAR(result->duplicates[0].cosine, std::cos(2 * kPi / 180), 1e-5);
  }
}

TEST(DemographicsTest, KeepsEveryPairWhenDuplicateCosineIsOne) {
  PairCountOptions options = HandMadeOptions(2);
  options.duplicate_cosine = 1.0f;
  auto result = CountImpostorPairs(HandMadeSet(), options);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->counts.cell(1, 1).pairs, 6);
  EXPECT_EQ(result->counts.cell(1, 1).likely_duplicates, 0);
  EXPECT_EQ(result->counts.cell(1, 1).false_matches, (std::vector<long long>{3, 3, 2}));
  EXPECT_TRUE(result->duplicates.empty());
}

TEST(DemographicsTest, WorstOverBestRatio) {
  auto result = CountImpostorPairs(HandMadeSet(), HandMadeOptions(2));
  ASSERT_TRUE(result.ok());
  // Threshold 0.5: A 1/3, B 2/5.
  GroupRateRatio r = CompareWithinGroupRates(result->counts, 0);
  EXPECT_EQ(r.worst_group, 1);
  EXPECT_EQ(r.best_group, 0);
  EXPECT_NEAR(r.ratio, (2.0 / 5) / (1.0 / 3), 1e-12);
  EXPECT_NEAR(r.ratio_lower_bound, r.worst_interval.lower / r.best_interval.upper, 1e-12);
  EXPECT_LT(r.ratio_lower_bound, 1);  // 3 and 5 pairs say nothing

  // Threshold 0.93: A 0/3, B 1/5. The point ratio is unbounded; the bound is
  // B's lower limit 1 - 0.975^(1/5) over A's upper limit 1 - 0.025^(1/3).
  r = CompareWithinGroupRates(result->counts, 2);
  EXPECT_EQ(r.worst_group, 1);
  EXPECT_EQ(r.best_group, 0);
  EXPECT_TRUE(std::isinf(r.ratio));
  EXPECT_NEAR(r.ratio_lower_bound, (1 - std::pow(0.975, 1.0 / 5)) / (1 - std::pow(0.025, 1.0 / 3)),
              1e-7);
}

TEST(DemographicsTest, RatioTiesAndEmptyGroups) {
  // Three groups; group 2 has a single row and so no pairs within it.
  LabelledVectors v = PlaneVectors({{0, 0}, {90, 0}, {0, 1}, {90, 1}, {45, 2}}, 3);
  PairCountOptions options;
  options.cosine_thresholds = {0.5f};
  auto result = CountImpostorPairs(v, options);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->counts.cell(2, 2).pairs, 0);
  EXPECT_EQ(result->counts.cell(2, 2).Rate(0), 0);
  const GroupRateRatio r = CompareWithinGroupRates(result->counts, 0);
  // Both groups with pairs have 0 of 1: the lower index is both worst and best.
  EXPECT_EQ(r.worst_group, 0);
  EXPECT_EQ(r.best_group, 0);
  EXPECT_EQ(r.ratio, 0);
  EXPECT_EQ(r.ratio_lower_bound, 0);
  // Group 2 (45 degrees) against each: cosine .707, all four match.
  EXPECT_EQ(result->counts.cell(0, 2).false_matches[0], 2);
  EXPECT_EQ(result->counts.cell(2, 1).false_matches[0], 2);

  EXPECT_EQ(CompareWithinGroupRates(PairCounts(3, 1), 0).worst_group, -1);
}

// Blocks and tiles of the counting loop against a pair-by-pair count with the
// same kernel, on sizes that straddle the block (32) and tile (128) edges.
TEST(DemographicsTest, BlockedCountMatchesPairByPair) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> uniform(-1, 1);
  for (size_t rows : {1u, 2u, 33u, 129u, 301u}) {
    LabelledVectors v;
    v.dimension = 20;
    v.groups = 4;
    for (size_t i = 0; i < rows; ++i) {
      std::vector<float> x(v.dimension);
      float norm = 0;
      // A shared component makes high cosines common enough to count.
      for (float& value : x) value = uniform(rng) + 1.0f;
      for (float value : x) norm += value * value;
      for (float value : x) v.values.push_back(value / std::sqrt(norm));
      v.group.push_back(static_cast<int>(rng() % 4));
    }
    PairCountOptions options;
    options.cosine_thresholds = {0.8f, 0.85f, 0.9f};
    options.duplicate_cosine = 0.93f;
    options.threads = 3;
    options.max_listed_duplicates = 5;
    auto result = CountImpostorPairs(v, options);
    ASSERT_TRUE(result.ok());

    PairCounts expected(4, 3);
    long long duplicates = 0;
    const auto score = index::BestKernels().score_rows_f32;
    for (size_t i = 0; i < rows; ++i) {
      for (size_t j = i + 1; j < rows; ++j) {
        float cosine = 0;
        score(v.values.data() + j * v.dimension, 1, v.dimension, v.values.data() + i * v.dimension,
              &cosine);
        PairCell& cell = expected.cell(v.group[i], v.group[j]);
        if (cosine > options.duplicate_cosine) {
          ++cell.likely_duplicates;
          ++duplicates;
          continue;
        }
        ++cell.pairs;
        for (size_t t = 0; t < 3; ++t)
          cell.false_matches[t] += cosine >= options.cosine_thresholds[t];
      }
    }
    for (int a = 0; a < 4; ++a) {
      for (int b = a; b < 4; ++b) {
        SCOPED_TRACE(std::to_string(rows) + " rows, cell " + std::to_string(a) + "," +
                     std::to_string(b));
        EXPECT_EQ(result->counts.cell(a, b).pairs, expected.cell(a, b).pairs);
        EXPECT_EQ(result->counts.cell(a, b).likely_duplicates,
                  expected.cell(a, b).likely_duplicates);
        EXPECT_EQ(result->counts.cell(a, b).false_matches, expected.cell(a, b).false_matches);
      }
    }
    EXPECT_EQ(result->counts.Total().pairs + duplicates,
              static_cast<long long>(rows * (rows - 1) / 2));
    EXPECT_EQ(result->duplicates.size(), std::min<size_t>(5, duplicates));
    if (rows == 301) {
      EXPECT_GT(expected.Total().false_matches[2], 0);  // the test exercises matching
      EXPECT_GT(duplicates, 5);
    }
  }
}

TEST(DemographicsTest, CellsOfTheTableAreDistinct) {
  PairCounts counts(5, 1);
  std::set<const PairCell*> seen;
  for (int a = 0; a < 5; ++a) {
    for (int b = a; b < 5; ++b) {
      EXPECT_TRUE(seen.insert(&counts.cell(a, b)).second);
      EXPECT_EQ(&counts.cell(a, b), &counts.cell(b, a));
    }
  }
  EXPECT_EQ(seen.size(), 15u);
}

TEST(DemographicsTest, RejectsMalformedInput) {
  LabelledVectors v = HandMadeSet();
  v.values.pop_back();
  EXPECT_EQ(CountImpostorPairs(v, HandMadeOptions(1)).status().code(),
            StatusCode::kInvalidArgument);
  v = HandMadeSet();
  v.group[2] = 2;
  EXPECT_EQ(CountImpostorPairs(v, HandMadeOptions(1)).status().code(),
            StatusCode::kInvalidArgument);
  v = HandMadeSet();
  v.group[2] = -1;
  EXPECT_EQ(CountImpostorPairs(v, HandMadeOptions(1)).status().code(),
            StatusCode::kInvalidArgument);
  v = HandMadeSet();
  v.dimension = 0;
  EXPECT_EQ(CountImpostorPairs(v, HandMadeOptions(1)).status().code(),
            StatusCode::kInvalidArgument);
  v = HandMadeSet();
  v.groups = 0;
  EXPECT_EQ(CountImpostorPairs(v, HandMadeOptions(1)).status().code(),
            StatusCode::kInvalidArgument);
}

void ExpectInterval(long long k, long long n, double lower, double upper) {
  SCOPED_TRACE(std::to_string(k) + " of " + std::to_string(n));
  const ProportionInterval ci = ClopperPearson(k, n);
  EXPECT_NEAR(ci.lower, lower, 1e-7 * std::max(lower, 1e-300) + 1e-300);
  EXPECT_NEAR(ci.upper, upper, 1e-7 * upper);
}

TEST(DemographicsTest, ClopperPearsonMatchesClosedFormsAndPublishedValues) {
  // Closed forms: at 0 successes the upper limit solves (1-p)^n = 0.025; at n
  // successes the lower limit solves p^n = 0.025; at 1 success the lower
  // limit solves 1 - (1-p)^n = 0.025.
  ExpectInterval(0, 10, 0, 1 - std::pow(0.025, 0.1));
  ExpectInterval(10, 10, std::pow(0.025, 0.1), 1);
  EXPECT_NEAR(ClopperPearson(1, 100000).lower, 1 - std::pow(0.975, 1e-5), 1e-7 * 2.53e-7);
  // R: binom.test(5, 10)$conf.int = 0.1870860 0.8129140.
  ExpectInterval(5, 10, 0.18708602844739858, 0.8129139715526014);
  // Exact binomial sums (Python, math.comb) bisected to 1e-16.
  ExpectInterval(2, 7, 0.03669256617608557, 0.7095791362626572);
  ExpectInterval(3, 1000, 0.0006190999316496026, 0.008742023238478336);
  // Large n and no success: the upper limit is about -ln(0.025) / n.
  const ProportionInterval none = ClopperPearson(0, 17000000);
  EXPECT_EQ(none.lower, 0);
  EXPECT_NEAR(none.upper * 17000000, -std::log(0.025), 1e-4);
  // The interval holds the estimate and narrows with more trials.
  const ProportionInterval small = ClopperPearson(3, 100), large = ClopperPearson(300, 10000);
  EXPECT_LT(small.lower, 0.03);
  EXPECT_GT(small.upper, 0.03);
  EXPECT_LT(large.upper - large.lower, small.upper - small.lower);
}

TEST(DemographicsTest, ClopperPearsonEdgeCases) {
  ProportionInterval ci = ClopperPearson(0, 0);
  EXPECT_EQ(ci.lower, 0);
  EXPECT_EQ(ci.upper, 1);
  ci = ClopperPearson(12, 10);  // more successes than trials: clamped to 10 of 10
  EXPECT_NEAR(ci.lower, std::pow(0.025, 0.1), 1e-7);
  EXPECT_EQ(ci.upper, 1);
  ci = ClopperPearson(-1, 10);
  EXPECT_EQ(ci.lower, 0);
  // A wider confidence gives a wider interval.
  const ProportionInterval c99 = ClopperPearson(5, 10, 0.99);
  EXPECT_LT(c99.lower, 0.18708602844739858);
  EXPECT_GT(c99.upper, 0.8129139715526014);
}

TEST(UtkFaceTest, ParsesFileNames) {
  auto label = ParseUtkFaceFileName("100_1_2_20170105174847679.jpg.chip.jpg");
  ASSERT_TRUE(label.has_value());
  EXPECT_EQ(label->age, 100);
  EXPECT_EQ(label->gender, 1);
  EXPECT_EQ(label->race, 2);
  EXPECT_EQ(UtkFaceGroupIndex(*label), 5);
  EXPECT_EQ(UtkFaceGroup("100_1_2_20170105174847679.jpg.chip.jpg"), "Asian/Female");

  // Babies are age 0.
  label = ParseUtkFaceFileName("0_0_4_20170110213121589.jpg.chip.jpg");
  ASSERT_TRUE(label.has_value());
  EXPECT_EQ(label->age, 0);
  EXPECT_EQ(UtkFaceGroupName(UtkFaceGroupIndex(*label)), "Others/Male");
  // A real file in the shared data has a space in its date; the labels are
  // before it.
  EXPECT_EQ(UtkFaceGroup("24_0_1_20170116220224657 .jpg.chip.jpg"), "Black/Male");
  EXPECT_EQ(UtkFaceGroup("35_0_3_x"), "Indian/Male");
}

TEST(UtkFaceTest, RejectsMalformedFileNames) {
  for (const char* name : {
           "",
           "39_1_20170116174525125.jpg.chip.jpg",  // race missing (a known UTKFace defect)
           "1_0_5_20170116174525125.jpg",          // race out of range
           "1_2_0_20170116174525125.jpg",          // gender out of range
           "1_0_0",                                // no '_' after the race
           "1_0_0.jpg",
           "1_0__x",
           "_0_0_x",
           "-1_0_0_x",
           "+1_0_0_x",
           " 1_0_0_x",
           "1 _0_0_x",
           "1234_0_0_x",                  // age over three digits
           "151_0_0_x",                   // age over 150
           "99999999999999999999_0_0_x",  // would overflow an int
           "1_00_0_x",
           "1_0_10_x",
           "a_0_0_x",
       }) {
    EXPECT_FALSE(ParseUtkFaceFileName(name).has_value()) << "'" << name << "'";
    EXPECT_EQ(UtkFaceGroup(name), "unknown") << "'" << name << "'";
  }
}

TEST(UtkFaceTest, GroupIndicesAndNames) {
  std::set<std::string> names;
  for (int race = 0; race < kUtkFaceRaces; ++race) {
    for (int gender = 0; gender < kUtkFaceGenders; ++gender) {
      const int index = UtkFaceGroupIndex({30, gender, race});
      EXPECT_GE(index, 0);
      EXPECT_LT(index, kUtkFaceGroups);
      names.insert(UtkFaceGroupName(index));
    }
  }
  EXPECT_EQ(names.size(), static_cast<size_t>(kUtkFaceGroups));
  EXPECT_EQ(UtkFaceGroupName(0), "White/Male");
  EXPECT_EQ(UtkFaceGroupName(1), "White/Female");
  EXPECT_EQ(UtkFaceGroupName(9), "Others/Female");
  EXPECT_EQ(UtkFaceGroupName(-1), "unknown");
  EXPECT_EQ(UtkFaceGroupName(kUtkFaceGroups), "unknown");
}

}  // namespace
}  // namespace candor::eval
