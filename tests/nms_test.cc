#include "detect/nms.h"

#include <gtest/gtest.h>

namespace candor::detect {
namespace {

TEST(IoUTest, KnownOverlaps) {
  const BoundingBox a{0, 0, 10, 10};
  EXPECT_FLOAT_EQ(IoU(a, a), 1.f);
  EXPECT_FLOAT_EQ(IoU(a, {5, 0, 10, 10}), 50.f / 150.f);
  EXPECT_FLOAT_EQ(IoU(a, {10, 0, 10, 10}), 0.f);  // touching edges share no area
  EXPECT_FLOAT_EQ(IoU(a, {0, 0, 0, 10}), 0.f);    // empty box
}

TEST(NmsTest, KeepsHighestScoreOfOverlappingBoxes) {
  std::vector<ScoredBox> boxes = {
      {{0, 0, 10, 10}, 0.8f}, {{1, 1, 10, 10}, 0.9f}, {{50, 50, 10, 10}, 0.7f}};
  auto kept = NonMaxSuppression(boxes, 0.3f);
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_FLOAT_EQ(kept[0].score, 0.9f);
  EXPECT_FLOAT_EQ(kept[0].box.left, 1.f);
  EXPECT_FLOAT_EQ(kept[1].score, 0.7f);
}

TEST(NmsTest, SortsByScoreNotByCoordinate) {
  // The package's JavaScript NMS sorted by y2; a correct NMS must keep the
  // best-scoring box whatever its position.
  std::vector<ScoredBox> boxes = {{{0, 0, 10, 20}, 0.6f}, {{0, 0, 10, 10}, 0.95f}};
  auto kept = NonMaxSuppression(boxes, 0.3f);
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_FLOAT_EQ(kept[0].score, 0.95f);
}

TEST(NmsTest, IoUAtThresholdIsKept) {
  // IoU exactly 1/3: suppressed only when strictly above the threshold.
  std::vector<ScoredBox> boxes = {{{0, 0, 10, 10}, 0.9f}, {{5, 0, 10, 10}, 0.8f}};
  EXPECT_EQ(NonMaxSuppression(boxes, 1.f / 3.f).size(), 2u);
  EXPECT_EQ(NonMaxSuppression(boxes, 0.3f).size(), 1u);
}

TEST(NmsTest, ContainmentRemovesPartialFaces) {
  // A small box almost inside a big one (a face cut by a tile) has a low IoU
  // but is suppressed by containment.
  std::vector<ScoredBox> boxes = {{{10, 10, 30, 30}, 0.9f}, {{0, 0, 100, 100}, 0.95f}};
  EXPECT_EQ(NonMaxSuppression(boxes, 0.3f).size(), 2u);
  auto kept = NonMaxSuppression(boxes, 0.3f, 0.7f);
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_FLOAT_EQ(kept[0].box.width, 100.f);
}

TEST(NmsTest, PartsOfALargerFaceAreRemovedWhateverTheirScore) {
  // The eyes-and-nose part scores higher than the whole face; it goes all
  // the same. A neighbour half outside, or a box not twice smaller, stays.
  std::vector<ScoredBox> boxes = {{{20, 20, 50, 40}, 0.99f},
                                  {{0, 0, 100, 100}, 0.8f},
                                  {{80, 10, 40, 40}, 0.9f},
                                  {{5, 5, 90, 60}, 0.85f}};
  auto kept = SuppressContained(boxes, 2.f, 0.8f);
  ASSERT_EQ(kept.size(), 3u);
  EXPECT_FLOAT_EQ(kept[0].box.width, 100.f);
  EXPECT_FLOAT_EQ(kept[1].box.left, 80.f);
  EXPECT_FLOAT_EQ(kept[2].box.width, 90.f);
}

TEST(NmsTest, EmptyInput) { EXPECT_TRUE(NonMaxSuppression({}, 0.3f).empty()); }

}  // namespace
}  // namespace candor::detect
