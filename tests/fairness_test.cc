// What the shipped calibration means per group on LFW (groups.tsv), as a
// test: the honesty the README claims, and bounds that fail if a new
// calibration or model makes the groups drift apart or the table absurdly
// strict. Embeddings come from build/cache/lfw.emb (lfw_eval_test writes it
// the first time; a rerun costs seconds).
#include <gtest/gtest.h>

#include "candor/engine.h"
#include "eval/fairness.h"
#include "test_support.h"

namespace candor {
namespace {

class FairnessTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto engine = Engine::Create({});
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    engine_ = std::move(*engine).release();
    eval::EmbedRunOptions run;
    run.cache_path = std::string(CANDOR_SOURCE_DIR) + "/build/cache/lfw.emb";
    run.progress_label = "lfw";
    auto lfw = eval::LoadLfwWithGroups(*engine_, testing::DataDir(), run);
    ASSERT_TRUE(lfw.ok()) << lfw.status().ToString();
    lfw_ = new eval::FaceSet(std::move(*lfw));
  }
  static void TearDownTestSuite() {
    delete lfw_;
    delete engine_;
  }
  static Engine* engine_;
  static eval::FaceSet* lfw_;
};
Engine* FairnessTest::engine_ = nullptr;
eval::FaceSet* FairnessTest::lfw_ = nullptr;

TEST_F(FairnessTest, LfwGroupsWithTheShippedCalibration) {
  const std::vector<float> sims = {50, 80, 90, 99};
  const eval::FairnessTable t =
      eval::MeasureGroups(*lfw_, engine_->calibration(), sims, eval::PairSelection{}, "LFW");
  ASSERT_EQ(t.groups.size(), 4u);
  for (const eval::GroupRates& g : t.groups) {
    std::printf("%-10s impostor pairs %8lld: FMR", g.group.c_str(), g.impostor_pairs);
    for (size_t s = 0; s < sims.size(); ++s) {
      std::printf(" %.1e", static_cast<double>(g.false_matches[s]) / g.impostor_pairs);
    }
    std::printf("; genuine %5lld: FNMR", g.genuine_pairs);
    for (size_t s = 0; s < sims.size(); ++s) {
      std::printf(" %.3f", static_cast<double>(g.false_non_matches[s]) / g.genuine_pairs);
    }
    std::printf("\n");
    // The bar: no group above twice the claim at Similarity 80 and
    // 90 (measured in-sample here: 0.2x or less for every group).
    for (size_t s : {1u, 2u}) {
      EXPECT_LE(static_cast<double>(g.false_matches[s]) / g.impostor_pairs,
                2 * FalseMatchRateAt(sims[s]))
          << g.group << " at " << sims[s];
    }
    // And not bought with an absurd table: at Similarity 99 at most 40% of
    // a group's genuine pairs are missed (measured 21-33% in-sample; the
    // all-pairs LFW table missed 5.6%, a table read from UTKFace's tail,
    // where its same-person pairs sit, 60% and more).
    EXPECT_LE(static_cast<double>(g.false_non_matches[3]) / g.genuine_pairs, 0.40) << g.group;
  }
  // Worst over best at Similarity 50, the deepest similarity at which every
  // group has false matches to count (Indian: 3,799 pairs). Measured 11.7
  // in-sample (at least 9.7 at 95%), 10.1 cross-fitted: 15 leaves room for
  // a recalibration's noise and fails a drift to a wider spread.
  const eval::RateRatio r = eval::CompareGroupRates(t, 0);
  std::printf("Similarity 50: worst %s %.1e, best %s %.1e, ratio %.2f (at least %.2f)\n",
              r.worst_group.c_str(), r.worst_rate, r.best_group.c_str(), r.best_rate, r.ratio,
              r.ratio_lower_bound);
  EXPECT_LE(r.ratio, 15.0);
}

}  // namespace
}  // namespace candor
