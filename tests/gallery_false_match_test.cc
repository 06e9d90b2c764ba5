// The false-match rate measured on a collection's own gallery
// (collections/gallery_false_match.h): exact pair counts on hand-made unit
// vectors, the UserId / ExternalImageId exclusions, the rate behind
// CandorExpectedFalseMatches, and when a collection is measured again.
#include "collections/gallery_false_match.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <future>
#include <thread>

namespace candor {
namespace {

// Similarity S <-> cosine S / 100: thresholds are easy to read here.
const Calibration& LinearCalibration() {
  static const Calibration* calibration = [] {
    std::vector<Calibration::Point> points;
    for (int s = 0; s <= 100; ++s) {
      points.push_back({static_cast<float>(s), static_cast<float>(s) / 100.f});
    }
    Calibration::Metadata metadata;
    metadata.face_model_version = "test";
    metadata.method = "cosine / 100";
    metadata.source = "gallery_false_match_test";
    metadata.date = "2026-12-08";
    auto made = Calibration::FromTable(std::move(points), metadata);
    if (!made.ok()) std::abort();
    return new Calibration(std::move(made).value());
  }();
  return *calibration;
}

std::vector<float> Basis(size_t dim, size_t axis, float value = 1.f) {
  std::vector<float> v(dim, 0.f);
  v[axis] = value;
  return v;
}

// Groups of faces: face i of group g is sqrt(c) e_g + sqrt(1 - c) e_(G+i),
// so two faces of one group score c and two of different groups exactly 0.
std::vector<GalleryFace> Groups(const std::vector<int>& sizes, float c) {
  size_t total = 0;
  for (int n : sizes) total += static_cast<size_t>(n);
  const size_t dim = sizes.size() + total;
  std::vector<GalleryFace> faces;
  size_t i = 0;
  for (size_t g = 0; g < sizes.size(); ++g) {
    for (int k = 0; k < sizes[g]; ++k, ++i) {
      std::vector<float> v(dim, 0.f);
      v[g] = std::sqrt(c);
      v[sizes.size() + i] = std::sqrt(1 - c);
      faces.push_back({std::move(v), "", ""});
    }
  }
  return faces;
}

// One pair per cosine: a_k = e_2k, b_k = c e_2k + sqrt(1 - c^2) e_2k+1, so
// a_k . b_k = c exactly and every other pair scores 0.
std::vector<GalleryFace> Pairs(const std::vector<float>& cosines) {
  const size_t dim = 2 * cosines.size();
  std::vector<GalleryFace> faces;
  for (size_t k = 0; k < cosines.size(); ++k) {
    const float c = cosines[k];
    std::vector<float> b = Basis(dim, 2 * k, c);
    b[2 * k + 1] = std::sqrt(1 - c * c);
    faces.push_back({Basis(dim, 2 * k), "", ""});
    faces.push_back({std::move(b), "", ""});
  }
  return faces;
}

TEST(GalleryMeasurementTest, CountsThePairsOfKnownGroups) {
  // 4 + 3 + 1 faces: 28 pairs, of which 6 + 3 = 9 within a group (0.96).
  const GalleryMeasurement m =
      GalleryMeasurement::Measure(Groups({4, 3, 1}, 0.96f), LinearCalibration(), 8);
  EXPECT_EQ(m.faces(), 8);
  EXPECT_EQ(m.collection_faces(), 8);
  EXPECT_EQ(m.pairs(), 28);
  EXPECT_EQ(m.calibration_version(), LinearCalibration().version());
  for (float s : {10.f, 50.f, 80.f, 90.f, 95.f}) {
    EXPECT_EQ(m.PairsAtOrAbove(s), 9) << s;
    EXPECT_DOUBLE_EQ(*m.RateAt(s), 9.0 / 28.0) << s;
  }
  EXPECT_EQ(m.PairsAtOrAbove(97), 0);
  EXPECT_EQ(m.PairsAtOrAbove(99), 0);
  EXPECT_EQ(*m.RateAt(99), 0.0);
  EXPECT_EQ(m.PairsAtOrAbove(0), 28);  // cosine 0 reaches Similarity 0
}

TEST(GalleryMeasurementTest, ExactAtAnyThresholdFromFiftyOn) {
  // Five pairs of 10 faces (45 pairs; 40 of them score 0).
  const GalleryMeasurement m = GalleryMeasurement::Measure(
      Pairs({0.952f, 0.958f, 0.97f, 0.305f, 0.315f}), LinearCalibration(), 10);
  EXPECT_EQ(m.pairs(), 45);
  EXPECT_EQ(m.PairsAtOrAbove(95), 3);
  EXPECT_EQ(m.PairsAtOrAbove(95.5f), 2);  // cosine 0.955: from the kept cosines
  EXPECT_EQ(m.PairsAtOrAbove(95.9f), 1);
  EXPECT_EQ(m.PairsAtOrAbove(97.5f), 0);
  EXPECT_DOUBLE_EQ(*m.RateAt(95.5f), 2.0 / 45.0);
  // Below 50: exact at whole numbers, log-linear between them.
  EXPECT_EQ(m.PairsAtOrAbove(30), 5);
  EXPECT_EQ(m.PairsAtOrAbove(31), 4);
  EXPECT_NEAR(m.PairsAtOrAbove(30.5f), std::sqrt(5.0 * 4.0), 1e-4);
  EXPECT_EQ(m.PairsAtOrAbove(40), 3);
}

TEST(GalleryMeasurementTest, PairsSharingAUserIdOrAnExternalImageIdAreLeftOut) {
  std::vector<GalleryFace> faces = Groups({4, 3, 1}, 0.96f);
  // Faces 0 and 1 (group A) are one user: their close pair goes.
  faces[0].user_id = "u";
  faces[1].user_id = "u";
  // Faces 2 (group A) and 4 (group B) share an ExternalImageId: a pair
  // scoring 0 goes.
  faces[2].external_image_id = "x";
  faces[4].external_image_id = "x";
  // A user and an ExternalImageId with the same text are not the same thing.
  faces[5].user_id = "y";
  faces[6].external_image_id = "y";
  const GalleryMeasurement m = GalleryMeasurement::Measure(faces, LinearCalibration(), 8);
  EXPECT_EQ(m.pairs(), 26);
  EXPECT_EQ(m.PairsAtOrAbove(90), 8);
  EXPECT_DOUBLE_EQ(*m.RateAt(90), 8.0 / 26.0);
}

TEST(GalleryMeasurementTest, NoPairNoRate) {
  const GalleryMeasurement none = GalleryMeasurement::Measure({}, LinearCalibration(), 0);
  EXPECT_EQ(none.pairs(), 0);
  EXPECT_FALSE(none.RateAt(90).has_value());
  const GalleryMeasurement one =
      GalleryMeasurement::Measure(Groups({1}, 0.5f), LinearCalibration(), 1);
  EXPECT_EQ(one.faces(), 1);
  EXPECT_FALSE(one.RateAt(90).has_value());
  // Two faces of one user: no pair of different people either.
  std::vector<GalleryFace> same = Groups({2}, 0.9f);
  same[0].user_id = same[1].user_id = "u";
  const GalleryMeasurement both = GalleryMeasurement::Measure(same, LinearCalibration(), 2);
  EXPECT_EQ(both.faces(), 2);
  EXPECT_FALSE(both.RateAt(90).has_value());
}

TEST(GalleryMeasurementTest, FacesOfAnotherDimensionAreLeftOut) {
  std::vector<GalleryFace> faces = Groups({2, 1}, 0.9f);
  faces.push_back({std::vector<float>(3, 0.5f), "", ""});
  faces.push_back({{}, "", ""});
  const GalleryMeasurement m = GalleryMeasurement::Measure(faces, LinearCalibration(), 5);
  EXPECT_EQ(m.faces(), 3);
  EXPECT_EQ(m.pairs(), 3);
  EXPECT_EQ(m.PairsAtOrAbove(80), 1);
}

TEST(GalleryMeasurementTest, ManyClosePairsKeepOnlyTheHighestCosines) {
  // 400 faces of one group: 79,800 pairs at 0.965, more than the tail keeps.
  const GalleryMeasurement m =
      GalleryMeasurement::Measure(Groups({400}, 0.965f), LinearCalibration(), 400);
  ASSERT_GT(m.pairs(), static_cast<int64_t>(GalleryMeasurement::kMaxTailPairs));
  EXPECT_EQ(m.pairs(), 79800);
  EXPECT_EQ(m.PairsAtOrAbove(50), 79800);  // whole numbers stay exact
  EXPECT_EQ(m.PairsAtOrAbove(96), 79800);
  EXPECT_EQ(m.PairsAtOrAbove(97), 0);
  EXPECT_EQ(m.PairsAtOrAbove(96.9f), 0);  // above every kept cosine: exact
}

TEST(ExpectedFalseMatchRateTest, TheClaimWithoutAMeasurement) {
  EXPECT_DOUBLE_EQ(ExpectedFalseMatchRate(99, nullptr), FalseMatchRateAt(99));
  const GalleryMeasurement none = GalleryMeasurement::Measure({}, LinearCalibration(), 0);
  EXPECT_DOUBLE_EQ(ExpectedFalseMatchRate(80, &none), FalseMatchRateAt(80));
}

TEST(ExpectedFalseMatchRateTest, NeverBelowTheClaim) {
  // No pair reaches 90 (all score 0.2).
  const GalleryMeasurement far =
      GalleryMeasurement::Measure(Groups({30, 30}, 0.2f), LinearCalibration(), 60);
  ASSERT_EQ(far.PairsAtOrAbove(90), 0);
  EXPECT_DOUBLE_EQ(ExpectedFalseMatchRate(90, &far), FalseMatchRateAt(90));
}

TEST(ExpectedFalseMatchRateTest, PoolsTheClaimWithTheGallery) {
  // 9 of 28 pairs reach 90 (claim 1e-4): (9 + 1) / (28 + 10,000).
  const GalleryMeasurement few =
      GalleryMeasurement::Measure(Groups({4, 3, 1}, 0.96f), LinearCalibration(), 8);
  EXPECT_DOUBLE_EQ(ExpectedFalseMatchRate(90, &few), 10.0 / (28.0 + 1.0 / FalseMatchRateAt(90)));
  EXPECT_NEAR(ExpectedFalseMatchRate(90, &few), 10.0 / (28.0 + 1e4), 1e-12);
  // Measured on far more pairs than 1 / claim: about the gallery's own rate.
  const GalleryMeasurement many =
      GalleryMeasurement::Measure(Groups({400}, 0.965f), LinearCalibration(), 400);
  EXPECT_NEAR(ExpectedFalseMatchRate(50, &many), *many.RateAt(50), 2e-3);
  EXPECT_GT(ExpectedFalseMatchRate(50, &many), 0.99);
}

TEST(FalseMatchRatesTest, ClaimedAndMeasuredAtTheReportedSimilarities) {
  const std::vector<CollectionFalseMatchRate> claimed = FalseMatchRates(nullptr);
  ASSERT_EQ(claimed.size(), std::size(kGalleryReportedSimilarities));
  for (size_t i = 0; i < claimed.size(); ++i) {
    EXPECT_EQ(claimed[i].similarity, kGalleryReportedSimilarities[i]);
    EXPECT_DOUBLE_EQ(claimed[i].false_match_rate, FalseMatchRateAt(claimed[i].similarity));
    EXPECT_FALSE(claimed[i].collection_false_match_rate.has_value());
    EXPECT_EQ(claimed[i].collection_pairs, 0);
  }
  const GalleryMeasurement m =
      GalleryMeasurement::Measure(Groups({4, 3, 1}, 0.96f), LinearCalibration(), 8);
  for (const CollectionFalseMatchRate& r : FalseMatchRates(&m)) {
    EXPECT_EQ(r.collection_pairs, 28);
    // The groups' pairs score 0.96: Similarity 96 here.
    EXPECT_DOUBLE_EQ(*r.collection_false_match_rate, r.similarity < 96 ? 9.0 / 28.0 : 0.0)
        << r.similarity;
  }
}

// A measurement that says only how many faces the collection held.
GalleryMeasurement Held(int64_t faces) {
  return GalleryMeasurement::Measure({}, LinearCalibration(), faces);
}

TEST(GalleryMeasurementCacheTest, MeasuresOnceUntilTheCollectionChangesEnough) {
  GalleryMeasurementCache cache;
  int measured = 0;
  int64_t held = 100;
  const auto measure = [&]() -> StatusOr<GalleryMeasurement> {
    ++measured;
    return Held(held);
  };
  ASSERT_TRUE(cache.Get(measure).ok());
  ASSERT_TRUE(cache.Get(measure).ok());
  EXPECT_EQ(measured, 1);
  // 100 faces: 10 changes are 10%, still current; the 11th is more.
  cache.NoteChanges(10);
  ASSERT_TRUE(cache.Get(measure).ok());
  EXPECT_EQ(measured, 1);
  cache.NoteChanges(1);
  ASSERT_TRUE(cache.Get(measure).ok());
  EXPECT_EQ(measured, 2);
  // 10,000 faces: 50 changes, far under 10%, are enough.
  held = 10000;
  cache.NoteChanges(50);
  ASSERT_TRUE(cache.Get(measure).ok());
  EXPECT_EQ(measured, 3);
  cache.NoteChanges(49);
  ASSERT_TRUE(cache.Get(measure).ok());
  EXPECT_EQ(measured, 3);
  cache.NoteChanges(1);
  auto last = cache.Get(measure);
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(measured, 4);
  EXPECT_EQ((*last)->collection_faces(), 10000);
  // An empty collection: its first face.
  held = 0;
  cache.NoteChanges(50);
  ASSERT_TRUE(cache.Get(measure).ok());
  EXPECT_EQ(measured, 5);
  cache.NoteChanges(1);
  ASSERT_TRUE(cache.Get(measure).ok());
  EXPECT_EQ(measured, 6);
}

TEST(GalleryMeasurementCacheTest, AFailureIsReturnedAndTriedAgain) {
  GalleryMeasurementCache cache;
  bool fail = true;
  const auto measure = [&]() -> StatusOr<GalleryMeasurement> {
    if (fail) return Status::IOError("disk");
    return Held(3);
  };
  EXPECT_EQ(cache.Get(measure).status().code(), StatusCode::kIOError);
  fail = false;
  EXPECT_TRUE(cache.Get(measure).ok());
}

// While one call measures, another waits only when there is nothing to use
// yet; an out-of-date measurement is used meanwhile.
TEST(GalleryMeasurementCacheTest, NoCallWaitsForMoreThanOneMeasurement) {
  GalleryMeasurementCache cache;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<int> started{0};
  const auto slow = [&]() -> StatusOr<GalleryMeasurement> {
    ++started;
    released.wait();
    return Held(7);
  };
  std::atomic<int> second_measured{0};
  const auto never = [&]() -> StatusOr<GalleryMeasurement> {
    ++second_measured;
    return Held(1);
  };

  // Nothing measured yet: the second caller waits for the first's result.
  auto first = std::async(std::launch::async, [&] { return cache.Get(slow); });
  while (started.load() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  auto second = std::async(std::launch::async, [&] { return cache.Get(never); });
  EXPECT_EQ(second.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout);
  release.set_value();
  auto a = first.get();
  auto b = second.get();
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(a->get(), b->get());
  EXPECT_EQ(second_measured.load(), 0);

  // Out of date: while a new measurement runs, the old one is answered at once.
  cache.NoteChanges(100);
  std::promise<void> release2;
  std::shared_future<void> released2 = release2.get_future().share();
  std::atomic<int> started2{0};
  const auto slow2 = [&]() -> StatusOr<GalleryMeasurement> {
    ++started2;
    released2.wait();
    return Held(9);
  };
  auto third = std::async(std::launch::async, [&] { return cache.Get(slow2); });
  while (started2.load() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  auto stale = cache.Get(never);
  ASSERT_TRUE(stale.ok());
  EXPECT_EQ((*stale)->collection_faces(), 7);
  EXPECT_EQ(second_measured.load(), 0);
  release2.set_value();
  auto fresh = third.get();
  ASSERT_TRUE(fresh.ok());
  EXPECT_EQ((*fresh)->collection_faces(), 9);
  auto after = cache.Get(never);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ((*after)->collection_faces(), 9);
  EXPECT_EQ(second_measured.load(), 0);
}

}  // namespace
}  // namespace candor
