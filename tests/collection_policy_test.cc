// Collection policies and retention through Collections: the defaults of a
// collection without a policy, put/get round trip across a restart, every
// validation error (naming the field, changing nothing), deletion with the
// collection; EraseFacesIndexedBefore on real LFW faces with cutoffs before,
// between and after them, associated faces erased too, the index, the counts
// and a restart agreeing that they are gone. The bytes on disk are checked in
// erasure_test.cc.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "candor/collections.h"
#include "collections_fixture.h"
#include "eval/lfw.h"
#include "store/store.h"
#include "test_support.h"

namespace candor {
namespace {

namespace fs = std::filesystem;
using testing::DataDir;
using testing::ReadFile;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void ExpectSamePolicy(const CollectionPolicy& actual, const CollectionPolicy& expected) {
  EXPECT_EQ(actual.purpose, expected.purpose);
  EXPECT_EQ(actual.threshold_floor, expected.threshold_floor);
  EXPECT_EQ(actual.refuse_below_floor, expected.refuse_below_floor);
  EXPECT_EQ(actual.max_faces, expected.max_faces);
  EXPECT_EQ(actual.reason_required, expected.reason_required);
  EXPECT_EQ(actual.retention_days, expected.retention_days);
}

CollectionPolicy NonDefaultPolicy() {
  CollectionPolicy p;
  p.purpose = "Door access for employees of building 4 (ticket SEC-112)";
  p.threshold_floor = 97.25f;  // not exactly a double: must read back bit for bit
  p.refuse_below_floor = true;
  p.max_faces = 7;
  p.reason_required = true;
  p.retention_days = 30;
  return p;
}

// The first image of each of the first `count` LFW people (name order) with
// at least two images, and their second image to search with.
struct Person {
  std::string enrol;
  std::string probe;
};
std::vector<Person> People(size_t count) {
  std::vector<int> identity;
  auto paths = eval::ListLfwImages(DataDir() + "/lfw", &identity);
  EXPECT_TRUE(paths.ok()) << paths.status().ToString();
  std::vector<Person> people;
  if (!paths.ok()) return people;
  for (size_t i = 0; i + 1 < paths->size() && people.size() < count; ++i) {
    if (identity[i] != identity[i + 1] || (i > 0 && identity[i - 1] == identity[i])) continue;
    people.push_back({(*paths)[i], (*paths)[i + 1]});
  }
  EXPECT_EQ(people.size(), count);
  return people;
}

class CollectionPolicyTest : public testing::CollectionsFixture {
 protected:
  // Indexes the largest face of `path`; waits so that the next face is
  // indexed at a later millisecond (the cutoffs below rely on it).
  StoredFace Index(const std::string& path) {
    auto r = collections_->IndexFaces(
        {.collection_id = "c", .image_bytes = ReadFile(path), .max_faces = 1});
    EXPECT_TRUE(r.ok()) << path << ": " << r.status().ToString();
    if (!r.ok() || r->face_records.size() != 1) {
      ADD_FAILURE() << "no face indexed in " << path;
      return {};
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(3));
    return r->face_records[0].face;
  }

  std::set<std::string> ListedFaces(const std::string& collection = "c") {
    std::set<std::string> ids;
    auto page = collections_->ListFaces(collection, "", 4096);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    if (page.ok()) {
      for (const StoredFace& f : page->faces) ids.insert(f.face_id);
    }
    return ids;
  }

  // FaceIds of every face SearchFacesByImage finds at threshold 0 (all the
  // faces in the index), and how many faces it says it searched.
  std::set<std::string> Searchable(const std::string& image, int64_t* searched) {
    auto r = collections_->SearchFacesByImage(
        {.collection_id = "c", .face_match_threshold = 0, .max_faces = 4096}, ReadFile(image));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    std::set<std::string> ids;
    if (!r.ok()) return ids;
    for (const SearchMatch& m : r->matches) ids.insert(m.face.face_id);
    *searched = r->faces_searched;
    return ids;
  }
};

TEST_F(CollectionPolicyTest, NewCollectionHasTheDefaults) {
  ASSERT_TRUE(collections_->CreateCollection("c").ok());
  auto policy = collections_->GetCollectionPolicy("c");
  ASSERT_TRUE(policy.ok()) << policy.status().ToString();
  ExpectSamePolicy(*policy, CollectionPolicy{});
  EXPECT_EQ(policy->updated_ms, 0) << "never set";
  EXPECT_TRUE(ValidateCollectionPolicy(CollectionPolicy{}).ok()) << "the defaults must be valid";
}

TEST_F(CollectionPolicyTest, PutGetRoundTripSurvivesReopen) {
  ASSERT_TRUE(collections_->CreateCollection("c").ok());
  ASSERT_TRUE(collections_->CreateCollection("other").ok());
  const CollectionPolicy policy = NonDefaultPolicy();
  const int64_t before = NowMs();
  ASSERT_TRUE(collections_->PutCollectionPolicy("c", policy).ok());
  const int64_t after = NowMs();
  auto got = collections_->GetCollectionPolicy("c");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ExpectSamePolicy(*got, policy);
  EXPECT_GE(got->updated_ms, before);
  EXPECT_LE(got->updated_ms, after);
  // Another collection keeps the defaults.
  ExpectSamePolicy(*collections_->GetCollectionPolicy("other"), CollectionPolicy{});

  Reopen();
  auto reopened = collections_->GetCollectionPolicy("c");
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  ExpectSamePolicy(*reopened, policy);
  EXPECT_EQ(reopened->updated_ms, got->updated_ms);

  // A second put replaces every field, the defaults included.
  CollectionPolicy back = CollectionPolicy{};
  back.purpose = "unspecified";
  ASSERT_TRUE(collections_->PutCollectionPolicy("c", back).ok());
  ExpectSamePolicy(*collections_->GetCollectionPolicy("c"), back);
  // updated_ms from the caller is ignored: the store sets it.
  CollectionPolicy stamped = policy;
  stamped.updated_ms = 42;
  ASSERT_TRUE(collections_->PutCollectionPolicy("c", stamped).ok());
  EXPECT_GE(collections_->GetCollectionPolicy("c")->updated_ms, before);
}

TEST_F(CollectionPolicyTest, InvalidPoliciesNameTheFieldAndChangeNothing) {
  ASSERT_TRUE(collections_->CreateCollection("c").ok());
  const CollectionPolicy stored = NonDefaultPolicy();
  ASSERT_TRUE(collections_->PutCollectionPolicy("c", stored).ok());
  struct Case {
    const char* what;
    void (*change)(CollectionPolicy*);
    const char* field;
  };
  const Case cases[] = {
      {"empty purpose", [](CollectionPolicy* p) { p->purpose = ""; }, "Purpose"},
      {"513 characters", [](CollectionPolicy* p) { p->purpose = std::string(513, 'a'); },
       "Purpose"},
      {"newline", [](CollectionPolicy* p) { p->purpose = "a\nb"; }, "Purpose"},
      {"NUL", [](CollectionPolicy* p) { p->purpose = std::string("a\0b", 3); }, "Purpose"},
      {"DEL", [](CollectionPolicy* p) { p->purpose = "a\x7f"; }, "Purpose"},
      {"non-ASCII", [](CollectionPolicy* p) { p->purpose = "caf\xc3\xa9"; }, "Purpose"},
      {"floor below 0", [](CollectionPolicy* p) { p->threshold_floor = -0.01f; }, "ThresholdFloor"},
      {"floor above 100", [](CollectionPolicy* p) { p->threshold_floor = 100.5f; },
       "ThresholdFloor"},
      {"NaN floor",
       [](CollectionPolicy* p) { p->threshold_floor = std::numeric_limits<float>::quiet_NaN(); },
       "ThresholdFloor"},
      {"infinite floor",
       [](CollectionPolicy* p) { p->threshold_floor = std::numeric_limits<float>::infinity(); },
       "ThresholdFloor"},
      {"max_faces 0", [](CollectionPolicy* p) { p->max_faces = 0; }, "MaxFaces"},
      {"max_faces 4097", [](CollectionPolicy* p) { p->max_faces = 4097; }, "MaxFaces"},
      {"negative max_faces", [](CollectionPolicy* p) { p->max_faces = -5; }, "MaxFaces"},
      {"retention -1", [](CollectionPolicy* p) { p->retention_days = -1; }, "RetentionDays"},
      {"retention 36501", [](CollectionPolicy* p) { p->retention_days = 36501; }, "RetentionDays"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    CollectionPolicy bad = CollectionPolicy{};
    c.change(&bad);
    const Status direct = ValidateCollectionPolicy(bad);
    EXPECT_EQ(direct.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(direct.message().find(c.field), std::string::npos) << direct.ToString();
    const Status put = collections_->PutCollectionPolicy("c", bad);
    EXPECT_EQ(put.code(), StatusCode::kInvalidArgument) << put.ToString();
    EXPECT_NE(put.message().find(c.field), std::string::npos) << put.ToString();
  }
  ExpectSamePolicy(*collections_->GetCollectionPolicy("c"), stored);

  // The limits themselves are valid.
  CollectionPolicy edge = CollectionPolicy{};
  edge.purpose = std::string(512, '~');
  edge.threshold_floor = 0;
  edge.max_faces = 1;
  edge.retention_days = 36500;
  EXPECT_TRUE(collections_->PutCollectionPolicy("c", edge).ok());
  ExpectSamePolicy(*collections_->GetCollectionPolicy("c"), edge);
  edge.purpose = " ";
  edge.threshold_floor = 100;
  edge.max_faces = 4096;
  edge.retention_days = 0;
  EXPECT_TRUE(collections_->PutCollectionPolicy("c", edge).ok());
  ExpectSamePolicy(*collections_->GetCollectionPolicy("c"), edge);
}

TEST_F(CollectionPolicyTest, UnknownCollectionIsResourceNotFound) {
  EXPECT_EQ(collections_->GetCollectionPolicy("missing").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(collections_->PutCollectionPolicy("missing", NonDefaultPolicy()).code(),
            StatusCode::kNotFound);
  EXPECT_EQ(collections_->EraseFacesIndexedBefore("missing", NowMs()).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(collections_->GetCollectionPolicy("bad id!").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(collections_->PutCollectionPolicy("bad id!", NonDefaultPolicy()).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(collections_->EraseFacesIndexedBefore("bad id!", NowMs()).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(CollectionPolicyTest, PolicyIsDeletedWithItsCollection) {
  ASSERT_TRUE(collections_->CreateCollection("c").ok());
  ASSERT_TRUE(collections_->PutCollectionPolicy("c", NonDefaultPolicy()).ok());
  ASSERT_TRUE(collections_->DeleteCollection("c").ok());
  EXPECT_EQ(collections_->GetCollectionPolicy("c").status().code(), StatusCode::kNotFound);
  // A new collection of the same name does not inherit it.
  ASSERT_TRUE(collections_->CreateCollection("c").ok());
  auto fresh = collections_->GetCollectionPolicy("c");
  ASSERT_TRUE(fresh.ok());
  ExpectSamePolicy(*fresh, CollectionPolicy{});
  EXPECT_EQ(fresh->updated_ms, 0);
  Reopen();
  ExpectSamePolicy(*collections_->GetCollectionPolicy("c"), CollectionPolicy{});
}

TEST_F(CollectionPolicyTest, EraseFacesIndexedBeforeCutoffs) {
  const std::vector<Person> people = People(4);
  ASSERT_EQ(people.size(), 4u);
  ASSERT_TRUE(collections_->CreateCollection("c").ok());
  std::vector<StoredFace> faces;
  for (const Person& p : people) faces.push_back(Index(p.enrol));
  for (size_t i = 1; i < faces.size(); ++i) {
    ASSERT_LT(faces[i - 1].indexed_ms, faces[i].indexed_ms);
  }
  // Face 1 belongs to a user: retention erases it all the same.
  ASSERT_TRUE(collections_->CreateUser({.collection_id = "c", .user_id = "u1"}).ok());
  auto associated = collections_->AssociateFaces(
      {.collection_id = "c", .user_id = "u1", .face_ids = {faces[1].face_id}});
  ASSERT_TRUE(associated.ok()) << associated.status().ToString();
  ASSERT_EQ(associated->associated_faces.size(), 1u);

  // Before every face: nothing.
  auto none = collections_->EraseFacesIndexedBefore("c", faces[0].indexed_ms);
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_TRUE(none->empty());
  EXPECT_EQ(collections_->DescribeCollection("c")->face_count, 4);

  // Strictly before face 2: faces 0 and 1.
  auto erased = collections_->EraseFacesIndexedBefore("c", faces[2].indexed_ms);
  ASSERT_TRUE(erased.ok()) << erased.status().ToString();
  const std::set<std::string> erased_ids(erased->begin(), erased->end());
  EXPECT_EQ(erased->size(), 2u);
  EXPECT_EQ(erased_ids, (std::set<std::string>{faces[0].face_id, faces[1].face_id}));

  const auto expect_gone = [&](const char* when) {
    SCOPED_TRACE(when);
    EXPECT_EQ(collections_->DescribeCollection("c")->face_count, 2);
    EXPECT_EQ(ListedFaces(), (std::set<std::string>{faces[2].face_id, faces[3].face_id}));
    // The index no longer has them: a search at threshold 0 returns every
    // face it holds, and a search with the erased person's other photo does
    // not find the erased face.
    for (int i : {0, 1}) {
      int64_t searched = -1;
      const std::set<std::string> found = Searchable(people[i].probe, &searched);
      EXPECT_EQ(searched, 2);
      EXPECT_EQ(found.count(faces[i].face_id), 0u);
      EXPECT_EQ(collections_->SearchFaces({.collection_id = "c"}, faces[i].face_id).status().code(),
                StatusCode::kNotFound);
    }
    // The user stays, without its face: CREATED, and no longer found.
    auto users = collections_->ListUsers("c", "", 0);
    ASSERT_TRUE(users.ok());
    ASSERT_EQ(users->users.size(), 1u);
    EXPECT_EQ(users->users[0].user_id, "u1");
    EXPECT_EQ(users->users[0].status, UserStatus::kCreated);
    EXPECT_EQ(users->users[0].face_count, 0);
    auto by_image = collections_->SearchUsersByImage(
        {.collection_id = "c", .user_match_threshold = 0}, ReadFile(people[1].probe));
    ASSERT_TRUE(by_image.ok()) << by_image.status().ToString();
    EXPECT_TRUE(by_image->user_matches.empty());
  };
  expect_gone("after the erasure");
  Reopen();
  expect_gone("after a restart");

  // Again at the same cutoff: nothing more.
  EXPECT_TRUE(collections_->EraseFacesIndexedBefore("c", faces[2].indexed_ms)->empty());
  // After every face: the rest.
  auto rest = collections_->EraseFacesIndexedBefore("c", NowMs() + 1000);
  ASSERT_TRUE(rest.ok()) << rest.status().ToString();
  EXPECT_EQ(std::set<std::string>(rest->begin(), rest->end()),
            (std::set<std::string>{faces[2].face_id, faces[3].face_id}));
  EXPECT_EQ(collections_->DescribeCollection("c")->face_count, 0);
  int64_t searched = -1;
  EXPECT_TRUE(Searchable(people[3].probe, &searched).empty());
  EXPECT_EQ(searched, 0);
  // The collection is still usable.
  const StoredFace again = Index(people[0].enrol);
  EXPECT_EQ(ListedFaces(), std::set<std::string>{again.face_id});
}

// Faces of a collection made with another face model cannot be searched
// here, but retention must still erase them.
TEST_F(CollectionPolicyTest, EraseWorksOnCollectionsOfAnotherModel) {
  collections_.reset();
  {
    auto store = store::Store::OpenSqlite(dir_);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    ASSERT_TRUE((*store)->CreateCollection({"old", "another-model-1.0", 1, 0, 0}).ok());
    std::vector<store::FaceRecord> faces(2);
    for (int i = 0; i < 2; ++i) {
      faces[i].face_id = "00000000-0000-4000-8000-00000000000" + std::to_string(i);
      faces[i].image_id = faces[i].face_id;
      faces[i].face_model_version = "another-model-1.0";
      faces[i].indexed_ms = 1000 * (i + 1);
      faces[i].embedding.assign(512, 0.f);
      faces[i].embedding[i] = 1.f;
    }
    ASSERT_TRUE((*store)->InsertFaces("old", &faces).ok());
  }
  Reopen();
  EXPECT_FALSE(
      collections_->SearchFaces({.collection_id = "old"}, "00000000-0000-4000-8000-000000000000")
          .ok());
  auto erased = collections_->EraseFacesIndexedBefore("old", 1500);
  ASSERT_TRUE(erased.ok()) << erased.status().ToString();
  EXPECT_EQ(*erased, std::vector<std::string>{"00000000-0000-4000-8000-000000000000"});
  EXPECT_EQ(collections_->DescribeCollection("old")->face_count, 1);
}

}  // namespace
}  // namespace candor
