// The LFW figures the README publishes, as a test: the standard 10-fold
// protocol on ../shared/data/lfw (threshold chosen on nine folds, measured on
// the tenth). Embeddings are cached in build/cache/ keyed by model version,
// pipeline options and image SHA-256, so a rerun costs seconds.
#include <gtest/gtest.h>

#include "candor/engine.h"
#include "eval/lfw.h"
#include "test_support.h"

namespace candor {
namespace {

TEST(LfwEvalTest, TenFoldAccuracyAndDetectionRate) {
  auto engine = Engine::Create({.calibration_path = "none"});
  ASSERT_TRUE(engine.ok()) << engine.status().ToString();
  eval::EmbedRunOptions run;
  run.cache_path = std::string(CANDOR_SOURCE_DIR) + "/build/cache/lfw.emb";
  run.progress_label = "lfw";
  auto result = eval::EvaluateLfw(**engine, testing::DataDir() + "/lfw", run);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  const eval::LfwEvaluation& e = *result;
  std::printf("LFW 10-fold accuracy %.2f%% +- %.2f, EER %.2f%%, TAR@FAR=1e-3 %.2f%%, "
              "%d of %d images without a face\n",
              100 * e.report.mean_accuracy, 100 * e.report.std_accuracy, 100 * e.report.eer,
              100 * e.tar_at_far_1e3, e.images_without_face, e.images);
  EXPECT_EQ(e.pairs, 6000);
  EXPECT_EQ(e.images, 7701);
  EXPECT_GE(e.report.mean_accuracy, 0.990);
  EXPECT_LE(e.report.eer, 0.012);
  // A face is found in at least 99.5% of LFW images.
  EXPECT_LE(e.images_without_face, static_cast<int>(0.005 * e.images));
}

}  // namespace
}  // namespace candor
