// Cohort means of the score-normalisation experiment, by hand.
#include "eval/score_normalisation.h"

#include <gtest/gtest.h>

namespace candor::eval {
namespace {

// Query (1, 0) against cohort rows (1, 0), (0.6, 0.8), (0, 1), (-1, 0):
// dot products 1, 0.6, 0, -1.
TEST(CohortMeanTest, TopKMeanSkippingARow) {
  const std::vector<float> cohort = {1, 0, 0.6f, 0.8f, 0, 1, -1, 0};
  const float query[2] = {1, 0};
  EXPECT_FLOAT_EQ(CohortMean(query, cohort, 2, 1), 1.f);
  EXPECT_FLOAT_EQ(CohortMean(query, cohort, 2, 2), 0.8f);
  EXPECT_FLOAT_EQ(CohortMean(query, cohort, 2, 100), 0.15f);  // k capped at 4 rows
  EXPECT_FLOAT_EQ(CohortMean(query, cohort, 2, 1, 0), 0.6f);  // itself left out
  EXPECT_FLOAT_EQ(CohortMean(query, cohort, 2, 2, 0), 0.3f);
  EXPECT_EQ(CohortMean(query, {}, 2, 5), 0.f);
  EXPECT_EQ(CohortMean(query, cohort, 2, 0), 0.f);
}

}  // namespace
}  // namespace candor::eval
