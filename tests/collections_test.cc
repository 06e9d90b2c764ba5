// Collections end to end on real faces: enrol LFW people, search with another
// photo of each, and every validation error, pagination and deletion.
#include "candor/collections.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <random>
#include <set>

#include "eval/lfw.h"
#include "collections_fixture.h"
#include "collections/validation.h"
#include "index/sketch_index.h"
#include "store/store.h"
#include "test_support.h"

namespace candor {
namespace {

namespace fs = std::filesystem;
using testing::DataDir;
using testing::ReadFile;

// People of LFW with at least two images, in name order: the first 20 are
// enrolled (their first image), the next 10 are never enrolled.
struct Person {
  std::string name;
  std::vector<std::string> images;
};

std::vector<Person> People(size_t count) {
  std::vector<int> identity;
  auto paths = eval::ListLfwImages(DataDir() + "/lfw", &identity);
  std::vector<Person> people;
  for (size_t i = 0; i < paths->size(); ++i) {
    if (people.empty() || fs::path((*paths)[i]).parent_path().filename() != people.back().name) {
      if (!people.empty() && people.back().images.size() < 2) people.pop_back();
      if (people.size() == count) break;
      people.push_back({fs::path((*paths)[i]).parent_path().filename().string(), {}});
    }
    people.back().images.push_back((*paths)[i]);
  }
  if (!people.empty() && people.back().images.size() < 2) people.pop_back();
  return people;
}

class CollectionsTest : public testing::CollectionsFixture {
 protected:
  IndexFacesResult Index(const std::string& collection, const std::string& path,
                         const std::string& external_id) {
    auto r = collections_->IndexFaces({.collection_id = collection, .image_bytes = ReadFile(path),
                                       .external_image_id = external_id, .max_faces = 1});
    EXPECT_TRUE(r.ok()) << path << ": " << r.status().ToString();
    return r.ok() ? *r : IndexFacesResult{};
  }
};

TEST_F(CollectionsTest, CreateDescribeListDelete) {
  ASSERT_TRUE(collections_->CreateCollection("people-1").ok());
  auto again = collections_->CreateCollection("people-1");
  EXPECT_EQ(again.status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(ErrorTypeName(again.status().code()), "ResourceAlreadyExistsException");
  ASSERT_TRUE(collections_->CreateCollection("people.2_x").ok());
  auto d = collections_->DescribeCollection("people-1");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->face_count, 0);
  EXPECT_EQ(d->face_model_version, engine_->face_model_version());
  EXPECT_GT(d->created_ms, 1'700'000'000'000);
  auto list = collections_->ListCollections("", 1);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->collection_ids.size(), 1u);
  ASSERT_FALSE(list->next_token.empty());
  auto rest = collections_->ListCollections(list->next_token, 10);
  ASSERT_TRUE(rest.ok());
  EXPECT_EQ(rest->collection_ids.size(), 1u);
  EXPECT_TRUE(rest->next_token.empty());
  EXPECT_TRUE(collections_->DeleteCollection("people-1").ok());
  EXPECT_EQ(collections_->DescribeCollection("people-1").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(collections_->DeleteCollection("people-1").code(), StatusCode::kNotFound);
}

TEST_F(CollectionsTest, ValidationErrors) {
  for (const std::string& bad : std::vector<std::string>{"", "has space", "slash/no",
                                                          std::string(256, 'a'), "ümlaut"}) {
    EXPECT_EQ(collections_->CreateCollection(bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_TRUE(collections_->CreateCollection(std::string(255, 'a')).ok());
  ASSERT_TRUE(collections_->CreateCollection("c").ok());
  const std::string face = ReadFile(DataDir() + "/video/obama.jpg");
  EXPECT_EQ(collections_->IndexFaces({.collection_id = "missing", .image_bytes = face}).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(collections_->IndexFaces({.collection_id = "c", .image_bytes = face,
                                      .external_image_id = "bad id!"}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(collections_->IndexFaces({.collection_id = "c", .image_bytes = face, .max_faces = 101})
                .status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(collections_->IndexFaces({.collection_id = "c", .image_bytes = "junk"}).status().code(),
            StatusCode::kInvalidImageFormat);
  for (float threshold : {-1.f, 150.f}) {
    EXPECT_EQ(collections_->SearchFacesByImage({.collection_id = "c", .face_match_threshold = threshold}, face)
                  .status().code(),
              StatusCode::kInvalidArgument);
  }
  for (int max_faces : {0, 4097}) {
    EXPECT_EQ(collections_->SearchFacesByImage({.collection_id = "c", .max_faces = max_faces}, face)
                  .status().code(),
              StatusCode::kInvalidArgument);
  }
  EXPECT_EQ(collections_->SearchFaces({.collection_id = "c"}, "not-a-uuid").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(collections_->SearchFaces({.collection_id = "c"}, "00000000-0000-4000-8000-000000000000")
                .status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(collections_->ListFaces("c", "garbage-token", 10).status().code(),
            StatusCode::kInvalidPaginationToken);
  EXPECT_EQ(collections_->ListFaces("c", "", 5000).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(collections_->DeleteFaces("c", {}).status().code(), StatusCode::kInvalidArgument);
  // Nothing was enrolled by any of the failures.
  EXPECT_EQ(collections_->DescribeCollection("c")->face_count, 0);
}

TEST_F(CollectionsTest, EnrolledPeopleAreFoundWithAnotherPhoto) {
  const std::vector<Person> people = People(30);
  ASSERT_EQ(people.size(), 30u);
  ASSERT_TRUE(collections_->CreateCollection("lfw").ok());
  for (size_t i = 0; i < 20; ++i) {
    auto r = Index("lfw", people[i].images[0], people[i].name);
    ASSERT_EQ(r.face_records.size(), 1u) << people[i].name;
    EXPECT_EQ(r.face_records[0].face.external_image_id, people[i].name);
  }
  EXPECT_EQ(collections_->DescribeCollection("lfw")->face_count, 20);
  // Rank 1 is the right person for every enrolled probe, at Similarity 80.
  int right = 0;
  for (size_t i = 0; i < 20; ++i) {
    auto r = collections_->SearchFacesByImage({.collection_id = "lfw"}, ReadFile(people[i].images[1]));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->faces_searched, 20);
    right += !r->matches.empty() && r->matches[0].face.external_image_id == people[i].name;
  }
  EXPECT_GE(right, 19);
  // People never enrolled are not matched at Similarity 99 (expected false
  // matches: 10 probes x 20 faces x 1e-5).
  int false_matches = 0;
  for (size_t i = 20; i < 30; ++i) {
    auto r = collections_->SearchFacesByImage({.collection_id = "lfw", .face_match_threshold = 99},
                                              ReadFile(people[i].images[0]));
    ASSERT_TRUE(r.ok());
    false_matches += static_cast<int>(r->matches.size());
    EXPECT_NEAR(r->expected_false_matches, 20 * 1e-5, 1e-9);
  }
  EXPECT_EQ(false_matches, 0);

  // The index is rebuilt from the store on reopen.
  Reopen();
  auto r = collections_->SearchFacesByImage({.collection_id = "lfw"}, ReadFile(people[3].images[1]));
  ASSERT_TRUE(r.ok());
  ASSERT_FALSE(r->matches.empty());
  EXPECT_EQ(r->matches[0].face.external_image_id, people[3].name);
}

TEST_F(CollectionsTest, SearchFacesByFaceIdFindsTheOtherPhotoNotItself) {
  const std::vector<Person> people = People(3);
  ASSERT_TRUE(collections_->CreateCollection("c").ok());
  auto first = Index("c", people[0].images[0], "a0");
  Index("c", people[0].images[1], "a1");
  Index("c", people[1].images[0], "b0");
  ASSERT_EQ(first.face_records.size(), 1u);
  auto r = collections_->SearchFaces({.collection_id = "c"}, first.face_records[0].face.face_id);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->matches.size(), 1u);
  EXPECT_EQ(r->matches[0].face.external_image_id, "a1");
  EXPECT_EQ(r->faces_searched, 2);
}

TEST_F(CollectionsTest, ListFacesPaginatesAndDeleteFacesRemovesFromSearch) {
  const std::vector<Person> people = People(7);
  ASSERT_TRUE(collections_->CreateCollection("c").ok());
  std::vector<std::string> ids;
  for (const Person& p : people) ids.push_back(Index("c", p.images[0], p.name).face_records.at(0).face.face_id);
  std::set<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    auto page = collections_->ListFaces("c", token, 3);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    for (const StoredFace& f : page->faces) EXPECT_TRUE(seen.insert(f.face_id).second);
    token = page->next_token;
    ++pages;
  } while (!token.empty() && pages < 10);
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, std::set<std::string>(ids.begin(), ids.end()));

  const std::string unknown = "00000000-0000-4000-8000-000000000000";
  auto d = collections_->DeleteFaces("c", {ids[0], ids[1], unknown});
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->deleted_faces.size(), 2u);
  ASSERT_EQ(d->unsuccessful.size(), 1u);
  EXPECT_EQ(d->unsuccessful[0].face_id, unknown);
  EXPECT_EQ(collections_->DescribeCollection("c")->face_count, 5);
  auto r = collections_->SearchFacesByImage({.collection_id = "c"}, ReadFile(people[0].images[1]));
  ASSERT_TRUE(r.ok());
  for (const SearchMatch& m : r->matches) EXPECT_NE(m.face.face_id, ids[0]);
  EXPECT_EQ(r->faces_searched, 5);
  // And after a restart too.
  Reopen();
  r = collections_->SearchFacesByImage({.collection_id = "c"}, ReadFile(people[0].images[1]));
  ASSERT_TRUE(r.ok());
  for (const SearchMatch& m : r->matches) EXPECT_NE(m.face.face_id, ids[0]);
}

TEST_F(CollectionsTest, MaxFacesAndQualityFilterReportUnindexedFaces) {
  ASSERT_TRUE(collections_->CreateCollection("c").ok());
  auto r = collections_->IndexFaces({.collection_id = "c",
                                     .image_bytes = ReadFile(DataDir() + "/video/two_people.jpg"),
                                     .max_faces = 1});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->face_records.size(), 1u);
  ASSERT_EQ(r->unindexed_faces.size(), 1u);
  EXPECT_EQ(r->unindexed_faces[0].reasons, std::vector<std::string>{"EXCEEDS_MAX_FACES"});
  // The indexed face is the larger one.
  EXPECT_GE(r->face_records[0].detail.box.area(), r->unindexed_faces[0].detail.box.area());

  // A heavily blurred face passes NONE but not HIGH.
  const std::string bytes = ReadFile(DataDir() + "/video/biden.jpg");
  cv::Mat pixels = cv::imdecode(std::vector<uint8_t>(bytes.begin(), bytes.end()), cv::IMREAD_COLOR);
  cv::GaussianBlur(pixels, pixels, {0, 0}, 6);
  std::vector<uint8_t> blurred;
  cv::imencode(".jpg", pixels, blurred);
  const std::string blurred_bytes(blurred.begin(), blurred.end());
  auto high = collections_->IndexFaces({.collection_id = "c", .image_bytes = blurred_bytes,
                                        .quality_filter = QualityFilter::kHigh});
  ASSERT_TRUE(high.ok()) << high.status().ToString();
  EXPECT_TRUE(high->face_records.empty());
  ASSERT_EQ(high->unindexed_faces.size(), 1u);
  const auto& reasons = high->unindexed_faces[0].reasons;
  EXPECT_NE(std::find(reasons.begin(), reasons.end(), "LOW_SHARPNESS"), reasons.end());
  auto none = collections_->IndexFaces({.collection_id = "c", .image_bytes = blurred_bytes,
                                        .quality_filter = QualityFilter::kNone});
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->face_records.size(), 1u);
}

// A collection at or above CollectionsOptions::approximate_min_faces is
// loaded straight into the sketch index (adaptive_index.h); below it, it is
// searched exactly. Deletion and erasure remove faces from the approximate index too.
// The faces are written through the store (random unit vectors): enrolling
// hundreds of images through the engine would take minutes.
class ApproximateCollectionTest : public testing::CollectionsFixture {
 protected:
  // Writes `count` faces, indexed at times 1000 + i ms, into collection `id`
  // (created unless `append`).
  void WriteFaces(const std::string& id, int count, bool append = false) {
    collections_.reset();
    auto store = store::Store::OpenSqlite(dir_);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    if (!append) {
      ASSERT_TRUE((*store)->CreateCollection({.collection_id = id,
                                              .face_model_version = engine_->face_model_version(),
                                              .created_ms = 1})
                      .ok());
    }
    std::mt19937_64 rng(21 + faces_.size());
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<store::FaceRecord> records;
    for (int i = 0; i < count; ++i) {
      store::FaceRecord r;
      r.face_id = NewUuid();
      r.image_id = NewUuid();
      r.face_model_version = engine_->face_model_version();
      r.indexed_ms = 1000 + static_cast<int64_t>(faces_.size()) + i;
      r.box = {0.1f, 0.1f, 0.5f, 0.5f};
      r.confidence = 99;
      r.embedding.resize(512);
      double norm2 = 0;
      for (float& x : r.embedding) {
        x = normal(rng);
        norm2 += double{x} * x;
      }
      for (float& x : r.embedding) x = static_cast<float>(x / std::sqrt(norm2));
      records.push_back(std::move(r));
    }
    ASSERT_TRUE((*store)->InsertFaces(id, &records).ok());
    for (auto& r : records) faces_.push_back(std::move(r));
  }
  void OpenWithThreshold(int64_t threshold) {
    auto c = Collections::Open(engine_, {.data_dir = dir_, .approximate_min_faces = threshold});
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    collections_ = std::move(c).value();
  }
  // The best match of face i's own vector (MaxFaces 3, threshold 0).
  std::string BestMatch(size_t i) {
    auto result = collections_->SearchFacesByEmbedding(
        {.collection_id = "big", .face_match_threshold = 0, .max_faces = 3}, faces_[i].embedding);
    EXPECT_TRUE(result.ok()) << result.status().ToString();
    if (!result.ok() || result->matches.empty()) return "";
    if (result->matches[0].face.face_id == faces_[i].face_id) {
      EXPECT_NEAR(result->matches[0].similarity, engine_->calibration().Similarity(1.0f), 0.01f)
          << "approximate results are rescored exactly";
    }
    return result->matches[0].face.face_id;
  }
  std::vector<store::FaceRecord> faces_;
};

TEST_F(ApproximateCollectionTest, BelowTheThresholdSearchesExactly) {
  WriteFaces("big", 300);
  OpenWithThreshold(301);
  auto status = collections_->GetIndexStatus("big");
  ASSERT_TRUE(status.ok()) << status.status().ToString();
  EXPECT_FALSE(status->approximate);
  EXPECT_EQ(status->faces, 300);
  EXPECT_EQ(BestMatch(7), faces_[7].face_id);
}

TEST_F(ApproximateCollectionTest, AboveTheThresholdSearchesTheSketchIndexAndForgetsDeletedFaces) {
  WriteFaces("big", 1200);
  OpenWithThreshold(1000);
  auto status = collections_->GetIndexStatus("big");
  ASSERT_TRUE(status.ok()) << status.status().ToString();
  EXPECT_TRUE(status->approximate);
  EXPECT_EQ(status->faces, 1200);
  // One whole block of sketches and int8 codes (~590 bytes a row), not
  // 2 KiB of floats a face.
  EXPECT_LT(status->memory_bytes, index::SketchIndex::kBlockRows * 600 + 1200 * 200);
  for (size_t i = 0; i < faces_.size(); i += 37) EXPECT_EQ(BestMatch(i), faces_[i].face_id) << i;

  // DeleteFaces: gone from the approximate index.
  auto deleted = collections_->DeleteFaces("big", {faces_[0].face_id, faces_[37].face_id});
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  EXPECT_EQ(deleted->deleted_faces.size(), 2u);
  EXPECT_NE(BestMatch(0), faces_[0].face_id);
  EXPECT_NE(BestMatch(37), faces_[37].face_id);
  // Erasure of the faces indexed before 1100 ms (the first 100).
  auto erased = collections_->EraseFacesIndexedBefore("big", 1100);
  ASSERT_TRUE(erased.ok()) << erased.status().ToString();
  EXPECT_EQ(erased->size(), 98u);
  status = collections_->GetIndexStatus("big");
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->faces, 1100);
  EXPECT_NE(BestMatch(74), faces_[74].face_id);
  EXPECT_EQ(BestMatch(111), faces_[111].face_id);

  // SearchFaces by FaceId works on the approximate index, without itself.
  auto by_id = collections_->SearchFaces(
      {.collection_id = "big", .face_match_threshold = 0, .max_faces = 5}, faces_[500].face_id);
  ASSERT_TRUE(by_id.ok()) << by_id.status().ToString();
  EXPECT_EQ(by_id->matches.size(), 5u);
  for (const SearchMatch& m : by_id->matches) EXPECT_NE(m.face.face_id, faces_[500].face_id);
  EXPECT_EQ(by_id->faces_searched, 1099);
}

// Earlier versions wrote IVF centroids (averages of enrolled faces) to
// <data dir>/index-cache; nothing reads them now, and they are removed.
TEST_F(ApproximateCollectionTest, RemovesTheIndexCacheOfEarlierVersions) {
  WriteFaces("big", 1200);
  collections_.reset();
  fs::create_directories(dir_ + "/index-cache");
  std::ofstream(dir_ + "/index-cache/big.ivf") << std::string(5000, 'c');
  OpenWithThreshold(1000);
  EXPECT_FALSE(fs::exists(dir_ + "/index-cache"));
  EXPECT_EQ(BestMatch(5), faces_[5].face_id);
}

// The false-match rate measured on a collection's own gallery
// (collections/gallery_false_match.h) through Collections: DescribeCollection
// and every search report it, pairs of one UserId or ExternalImageId are left
// out, and a changed collection is measured again. Faces are hand-made unit
// vectors written through the store, in groups: two faces of one group score
// 0.96 (Similarity 99 or more), two of different groups exactly 0.
class GalleryFalseMatchTest : public testing::CollectionsFixture {
 protected:
  void WriteGroups(const std::string& id, const std::vector<int>& sizes,
                   const std::map<size_t, std::string>& external_ids = {}) {
    collections_.reset();
    auto store = store::Store::OpenSqlite(dir_);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    ASSERT_TRUE((*store)->CreateCollection({.collection_id = id,
                                            .face_model_version = engine_->face_model_version(),
                                            .created_ms = 1})
                    .ok());
    std::vector<store::FaceRecord> records;
    size_t i = 0;
    for (size_t g = 0; g < sizes.size(); ++g) {
      for (int k = 0; k < sizes[g]; ++k, ++i) {
        store::FaceRecord r;
        r.face_id = NewUuid();
        r.image_id = NewUuid();
        r.face_model_version = engine_->face_model_version();
        r.indexed_ms = 1000;
        r.box = {0.1f, 0.1f, 0.5f, 0.5f};
        r.confidence = 99;
        r.embedding.assign(512, 0.f);
        r.embedding[g] = std::sqrt(0.96f);
        r.embedding[sizes.size() + i] = std::sqrt(0.04f);
        if (auto it = external_ids.find(i); it != external_ids.end()) {
          r.external_image_id = it->second;
        }
        records.push_back(std::move(r));
      }
    }
    ASSERT_TRUE((*store)->InsertFaces(id, &records).ok());
    faces_ = records;
    store->reset();
    Reopen();
  }
  // The rates DescribeCollection reports, by Similarity.
  std::map<float, CollectionFalseMatchRate> Rates(const std::string& id) {
    auto d = collections_->DescribeCollection(id);
    EXPECT_TRUE(d.ok()) << d.status().ToString();
    if (!d.ok()) return {};
    EXPECT_EQ(d->calibration_version, engine_->calibration().version());
    std::map<float, CollectionFalseMatchRate> rates;
    for (const CollectionFalseMatchRate& r : d->false_match_rates) rates[r.similarity] = r;
    EXPECT_EQ(rates.size(), std::size(kGalleryReportedSimilarities));
    return rates;
  }
  std::vector<store::FaceRecord> faces_;
};

TEST_F(GalleryFalseMatchTest, DescribeAndSearchReportTheGallerysRate) {
  // 4 + 3 + 1 faces: 28 pairs, 9 of them within a group.
  WriteGroups("g", {4, 3, 1});
  const Calibration& calibration = engine_->calibration();
  ASSERT_GT(0.96f, calibration.CosineForSimilarity(99));
  ASSERT_LT(0.f, calibration.CosineForSimilarity(50));
  for (const auto& [similarity, r] : Rates("g")) {
    EXPECT_DOUBLE_EQ(r.false_match_rate, FalseMatchRateAt(similarity));
    EXPECT_EQ(r.collection_pairs, 28);
    ASSERT_TRUE(r.collection_false_match_rate.has_value());
    EXPECT_DOUBLE_EQ(*r.collection_false_match_rate, 9.0 / 28.0) << similarity;
  }
  // Counts only: nothing measured.
  auto plain = collections_->DescribeCollection("g", false);
  ASSERT_TRUE(plain.ok());
  EXPECT_TRUE(plain->false_match_rates.empty());
  EXPECT_EQ(plain->face_count, 8);

  // A search at 99: the gallery's rate there, and the expected false
  // matches pooled from the claim and the gallery (9 + 1 pairs out of
  // 28 + 1 / claim), far above the claim alone.
  auto found = collections_->SearchFacesByEmbedding(
      {.collection_id = "g", .face_match_threshold = 99, .max_faces = 10}, faces_[0].embedding);
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_EQ(found->matches.size(), 4u);  // group A, itself included
  EXPECT_EQ(found->calibration_version, calibration.version());
  ASSERT_TRUE(found->collection_false_match_rate.has_value());
  EXPECT_DOUBLE_EQ(*found->collection_false_match_rate, 9.0 / 28.0);
  const double claim = FalseMatchRateAt(99);
  EXPECT_EQ(found->faces_searched, 8);
  EXPECT_NEAR(found->expected_false_matches, 8 * 10.0 / (28.0 + 1.0 / claim), 1e-12);
  EXPECT_GT(found->expected_false_matches, 8 * claim * 5);

  auto by_id = collections_->SearchFaces(
      {.collection_id = "g", .face_match_threshold = 99, .max_faces = 10}, faces_[4].face_id);
  ASSERT_TRUE(by_id.ok()) << by_id.status().ToString();
  EXPECT_EQ(by_id->matches.size(), 2u);  // the rest of group B
  EXPECT_EQ(by_id->faces_searched, 7);
  EXPECT_DOUBLE_EQ(*by_id->collection_false_match_rate, 9.0 / 28.0);
  EXPECT_NEAR(by_id->expected_false_matches, 7 * 10.0 / (28.0 + 1.0 / claim), 1e-12);
}

TEST_F(GalleryFalseMatchTest, OneUserOrOneImageIsNotAFalseMatchAndChangesAreMeasuredAgain) {
  // Faces 4 (group B) and 7 (group C) come from one image: a pair left out.
  WriteGroups("g", {4, 3, 1}, {{4, "img-1"}, {7, "img-1"}});
  EXPECT_EQ(Rates("g")[90].collection_pairs, 27);
  EXPECT_DOUBLE_EQ(*Rates("g")[90].collection_false_match_rate, 9.0 / 27.0);

  // Faces 0 and 1 become one user: their close pair is left out too.
  ASSERT_TRUE(collections_->CreateUser({.collection_id = "g", .user_id = "u"}).ok());
  auto associated = collections_->AssociateFaces(
      {.collection_id = "g", .user_id = "u", .face_ids = {faces_[0].face_id, faces_[1].face_id}});
  ASSERT_TRUE(associated.ok()) << associated.status().ToString();
  ASSERT_EQ(associated->associated_faces.size(), 2u);
  EXPECT_EQ(Rates("g")[90].collection_pairs, 26);
  EXPECT_DOUBLE_EQ(*Rates("g")[90].collection_false_match_rate, 8.0 / 26.0);

  // Deleting face 7 (more than 10% of 8 faces): 7 faces, 21 pairs, less the
  // user's; the image's pair went with the face.
  auto deleted = collections_->DeleteFaces("g", {faces_[7].face_id});
  ASSERT_TRUE(deleted.ok());
  ASSERT_EQ(deleted->deleted_faces.size(), 1u);
  EXPECT_EQ(Rates("g")[90].collection_pairs, 20);
  EXPECT_DOUBLE_EQ(*Rates("g")[90].collection_false_match_rate, 8.0 / 20.0);

  // User searches report the same rate.
  auto users = collections_->SearchUsers(
      {.collection_id = "g", .face_id = faces_[2].face_id, .user_match_threshold = 99});
  ASSERT_TRUE(users.ok()) << users.status().ToString();
  ASSERT_EQ(users->user_matches.size(), 1u);
  EXPECT_EQ(users->calibration_version, engine_->calibration().version());
  EXPECT_DOUBLE_EQ(*users->collection_false_match_rate, 8.0 / 20.0);
  const double claim = FalseMatchRateAt(99);
  EXPECT_NEAR(users->expected_false_matches, 6 * 9.0 / (20.0 + 1.0 / claim), 1e-12);
}

TEST_F(GalleryFalseMatchTest, ALargeCollectionIsMeasuredOnASampleOfTwoThousandFaces) {
  // 450 faces in 50 groups of 9, then 1,600 random ones: 2,050 faces.
  WriteGroups("big", std::vector<int>(50, 9));
  auto small = Rates("big");
  EXPECT_EQ(small[50].collection_pairs, 450 * 449 / 2);
  collections_.reset();
  {
    auto store = store::Store::OpenSqlite(dir_);
    ASSERT_TRUE(store.ok());
    std::mt19937_64 rng(5);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<store::FaceRecord> records;
    for (int i = 0; i < 1600; ++i) {
      store::FaceRecord r;
      r.face_id = NewUuid();
      r.image_id = NewUuid();
      r.face_model_version = engine_->face_model_version();
      r.embedding.resize(512);
      double norm2 = 0;
      for (float& x : r.embedding) {
        x = normal(rng);
        norm2 += double{x} * x;
      }
      for (float& x : r.embedding) x = static_cast<float>(x / std::sqrt(norm2));
      records.push_back(std::move(r));
    }
    ASSERT_TRUE((*store)->InsertFaces("big", &records).ok());
  }
  Reopen();
  // 2,050 faces: the 2,000 with the smallest FaceIds.
  auto d = collections_->DescribeCollection("big");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->face_count, 2050);
  for (const CollectionFalseMatchRate& r : d->false_match_rates) {
    EXPECT_EQ(r.collection_pairs, int64_t{2000} * 1999 / 2);
    ASSERT_TRUE(r.collection_false_match_rate.has_value());
    // Only the grouped faces' pairs come close (random vectors in 512
    // dimensions score about 0 +- 0.05): at most 50 groups of 9.
    EXPECT_LE(*r.collection_false_match_rate, 50.0 * 36 / (2000.0 * 1999 / 2));
    EXPECT_GT(*r.collection_false_match_rate, 0);
  }
}

}  // namespace
}  // namespace candor
