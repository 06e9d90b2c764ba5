// Tests of the SQLite store: every call's contract (collection policies and
// retention's query included), persistence across reopening, and real
// erasure of deleted embeddings. Migrations and refused files are tested in
// store_file_test.cc; crashes and a full disk in store_durability_test.cc.
//
// Each test works in a fresh directory from mkdtemp under /tmp. The test uses
// SQLite directly (not through the store) only to craft fixture files (an old
// schema version, a newer one, a foreign database, a row with a bad blob) and
// to read query plans.
#include "store/store.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "pg_test_support.h"
#include "store/pg_statements.h"
#include "store/pg_store.h"
#include "store/schema.h"
#include "store/sqlite_store.h"
#include "store/statements.h"
#include "store_test_support.h"

namespace candor::store {
namespace {

using test_support::Backend;
using test_support::BackendName;
using test_support::EmbeddingBytes;
using test_support::EmbeddingFor;
using test_support::ExpectSameFace;
using test_support::MakeCollection;
using test_support::MakeFace;
using test_support::PgRawExec;
using test_support::PgRawInt;
using test_support::PgTestDatabase;
using test_support::RawExec;
using test_support::RawInt;
using test_support::ReadBytes;
using test_support::TempDir;
using test_support::WriteBytes;
namespace fs = std::filesystem;

// The store's conformance tests run on both backends (StoreTest, with the
// parameter Sqlite or Postgres: pg_test_support.h); what is about SQLite's
// files only (pragmas, query plans, erasure in the files) runs on SQLite
// alone (SqliteStoreTest).
class StoreTestBase : public ::testing::Test {
 protected:
  explicit StoreTestBase(Backend backend) : backend_(backend) {}

  void SetUp() override {
    if (backend_ == Backend::kPostgres) {
      std::string error;
      ASSERT_TRUE(pg_.Create(&error)) << error;
    }
    Open();
  }

  void Open() {
    store_.reset();
    auto opened = backend_ == Backend::kSqlite ? Store::OpenSqlite(dir_.path())
                                               : OpenPostgresStore(pg_.conninfo());
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(opened).value();
  }

  // Inserts faces n in [first, last) into `collection` one call each.
  std::vector<FaceRecord> Insert(const std::string& collection, int first, int last) {
    std::vector<FaceRecord> faces;
    for (int n = first; n < last; ++n) faces.push_back(MakeFace(n));
    Status status = store_->InsertFaces(collection, &faces);
    EXPECT_TRUE(status.ok()) << status.ToString();
    return faces;
  }

  // The one integer of `sql` (SQL both databases understand), read beside
  // the store through a connection of its own.
  int64_t RawCount(const std::string& sql) {
    return backend_ == Backend::kSqlite ? RawInt(db_path(), sql) : PgRawInt(pg_.conninfo(), sql);
  }

  std::string db_path() const { return SqliteDatabasePath(dir_.path()); }

  const Backend backend_;
  TempDir dir_;
  PgTestDatabase pg_;
  std::unique_ptr<Store> store_;
};

class StoreTest : public StoreTestBase, public ::testing::WithParamInterface<Backend> {
 protected:
  StoreTest() : StoreTestBase(GetParam()) {}
};

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres), BackendName);

class SqliteStoreTest : public StoreTestBase {
 protected:
  SqliteStoreTest() : StoreTestBase(Backend::kSqlite) {}
};

TEST(StoreFileTest, CreatesPrivateDataDirectoryWithParents) {
  TempDir root;
  const std::string nested = root.path() + "/a/b/data";
  auto store = Store::OpenSqlite(nested);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  struct stat st;
  ASSERT_EQ(::stat(nested.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  EXPECT_TRUE(fs::exists(nested + "/candor.db"));
  EXPECT_EQ(store.value()->ListCollections("", 10)->size(), 0u);

  WriteBytes(root.path() + "/file", "x");
  EXPECT_EQ(Store::OpenSqlite(root.path() + "/file").status().code(), StatusCode::kInvalidArgument);
}

TEST_P(StoreTest, CollectionsCreateGetDelete) {
  ASSERT_TRUE(store_->CreateCollection(MakeCollection("cats")).ok());
  Status duplicate = store_->CreateCollection(MakeCollection("cats"));
  EXPECT_EQ(duplicate.code(), StatusCode::kAlreadyExists);
  EXPECT_NE(duplicate.message().find("cats"), std::string::npos);
  EXPECT_EQ(store_->CreateCollection(MakeCollection("")).code(), StatusCode::kInvalidArgument);

  auto got = store_->GetCollection("cats");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->collection_id, "cats");
  EXPECT_EQ(got->face_model_version, "faceplugin-0.0.1");
  EXPECT_EQ(got->created_ms, 1700000000000);
  EXPECT_EQ(got->face_count, 0);
  EXPECT_EQ(got->user_count, 0);
  EXPECT_EQ(store_->GetCollection("dogs").status().code(), StatusCode::kNotFound);

  Insert("cats", 0, 3);
  EXPECT_EQ(store_->GetCollection("cats")->face_count, 3);
  ASSERT_TRUE(store_->DeleteCollection("cats").ok());
  EXPECT_EQ(store_->GetCollection("cats").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->DeleteCollection("cats").code(), StatusCode::kNotFound);
}

TEST_P(StoreTest, ListCollectionsPaginatesInIdOrder) {
  const std::vector<std::string> ids = {"g", "b", "e", "a", "f", "c", "d"};
  for (const auto& id : ids) ASSERT_TRUE(store_->CreateCollection(MakeCollection(id)).ok());
  Insert("c", 0, 2);
  std::vector<std::string> listed;
  std::string after;
  for (;;) {
    auto page = store_->ListCollections(after, 3);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    if (page->empty()) break;
    EXPECT_LE(page->size(), 3u);
    for (const auto& c : *page) {
      listed.push_back(c.collection_id);
      EXPECT_EQ(c.face_count, c.collection_id == "c" ? 2 : 0);
    }
    after = page->back().collection_id;
  }
  EXPECT_EQ(listed, (std::vector<std::string>{"a", "b", "c", "d", "e", "f", "g"}));
  EXPECT_EQ(store_->ListCollections("", 0).status().code(), StatusCode::kInvalidArgument);
}

TEST_P(StoreTest, FacesRoundTripEveryFieldAndEmbeddingBytes) {
  ASSERT_TRUE(store_->CreateCollection(MakeCollection("c")).ok());
  std::vector<FaceRecord> faces = {MakeFace(1), MakeFace(2), MakeFace(3)};
  // Values whose bytes a careless conversion would change.
  faces[0].embedding[0] = -0.0f;
  faces[0].embedding[1] = std::numeric_limits<float>::denorm_min();
  faces[0].embedding[2] = std::numeric_limits<float>::max();
  faces[0].embedding[3] = std::numeric_limits<float>::lowest();
  faces[0].embedding[4] = std::numeric_limits<float>::min();
  faces[0].external_image_id = std::string("odd\0name \xc3\xa9", 10);
  ASSERT_TRUE(store_->InsertFaces("c", &faces).ok());
  EXPECT_GT(faces[0].row_id, 0);
  EXPECT_LT(faces[0].row_id, faces[1].row_id);
  EXPECT_LT(faces[1].row_id, faces[2].row_id);

  for (bool with_embeddings : {true, false}) {
    // An id with an array literal's delimiters, which must reach the store
    // as bytes (the PostgreSQL store sends the ids as one text[]).
    auto got = store_->GetFaces(
        "c", {faces[2].face_id, "missing", "{\"a\",b}", faces[0].face_id, faces[2].face_id},
        with_embeddings);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    ASSERT_EQ(got->size(), 2u);  // asked order, missing skipped, repeats once
    ExpectSameFace((*got)[0], faces[2], with_embeddings);
    ExpectSameFace((*got)[1], faces[0], with_embeddings);
  }
  auto none = store_->GetFaces("c", {}, true);
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_TRUE(none->empty());
  EXPECT_EQ(store_->GetFaces("nope", {faces[0].face_id}, true).status().code(),
            StatusCode::kNotFound);
  // A face belongs to its collection only.
  ASSERT_TRUE(store_->CreateCollection(MakeCollection("other")).ok());
  EXPECT_TRUE(store_->GetFaces("other", {faces[0].face_id}, true)->empty());
}

TEST_P(StoreTest, InsertFacesIsAllOrNothing) {
  std::vector<FaceRecord> faces = {MakeFace(1)};
  EXPECT_EQ(store_->InsertFaces("missing", &faces).code(), StatusCode::kNotFound);
  ASSERT_TRUE(store_->CreateCollection(MakeCollection("c")).ok());
  ASSERT_TRUE(store_->InsertFaces("c", &faces).ok());

  // A batch whose last face repeats an existing id: nothing of it is applied.
  std::vector<FaceRecord> batch = {MakeFace(2), MakeFace(3), MakeFace(1)};
  Status duplicate = store_->InsertFaces("c", &batch);
  EXPECT_EQ(duplicate.code(), StatusCode::kAlreadyExists) << duplicate.ToString();
  EXPECT_NE(duplicate.message().find(batch[2].face_id), std::string::npos);
  EXPECT_EQ(batch[0].row_id, 0);
  EXPECT_EQ(store_->GetCollection("c")->face_count, 1);

  std::vector<FaceRecord> same_twice = {MakeFace(4), MakeFace(4)};
  EXPECT_EQ(store_->InsertFaces("c", &same_twice).code(), StatusCode::kAlreadyExists);

  std::vector<std::vector<FaceRecord>> invalid(5, {MakeFace(5), MakeFace(6)});
  invalid[0][1].embedding.pop_back();
  invalid[1][1].embedding[7] = std::numeric_limits<float>::quiet_NaN();
  invalid[2][1].face_id.clear();
  invalid[3][1].box.width = std::numeric_limits<float>::infinity();
  invalid[4][1].embedding.clear();
  for (auto& bad : invalid) {
    EXPECT_EQ(store_->InsertFaces("c", &bad).code(), StatusCode::kInvalidArgument);
  }
  EXPECT_EQ(store_->InsertFaces("c", nullptr).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->GetCollection("c")->face_count, 1);

  std::vector<FaceRecord> none;
  EXPECT_TRUE(store_->InsertFaces("c", &none).ok());
}

TEST_P(StoreTest, ListFacesPaginatesInFaceIdOrder) {
  ASSERT_TRUE(store_->CreateCollection(MakeCollection("c")).ok());
  ASSERT_TRUE(store_->CreateCollection(MakeCollection("d")).ok());
  std::vector<FaceRecord> faces;
  for (int n : {17, 3, 11, 25, 1, 8, 20, 5, 14, 9, 22, 2, 30, 7, 12, 0, 19, 4, 28, 6, 15, 10, 24}) {
    faces.push_back(MakeFace(n));
  }
  ASSERT_TRUE(store_->InsertFaces("c", &faces).ok());
  Insert("d", 100, 105);
  std::map<std::string, FaceRecord> expected;
  for (const auto& f : faces) expected[f.face_id] = f;

  for (bool with_embeddings : {false, true}) {
    std::vector<std::string> listed;
    std::string after;
    for (;;) {
      auto page = store_->ListFaces("c", after, 10, with_embeddings);
      ASSERT_TRUE(page.ok()) << page.status().ToString();
      if (page->empty()) break;
      EXPECT_LE(page->size(), 10u);
      for (const auto& f : *page) {
        listed.push_back(f.face_id);
        ExpectSameFace(f, expected.at(f.face_id), with_embeddings);
      }
      after = page->back().face_id;
    }
    std::vector<std::string> ids;
    for (const auto& [id, f] : expected) ids.push_back(id);
    EXPECT_EQ(listed, ids);
  }
  EXPECT_EQ(store_->ListFaces("missing", "", 10, false).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->ListFaces("c", "", 0, false).status().code(), StatusCode::kInvalidArgument);
}

TEST_P(StoreTest, ForEachFaceVisitsInRowIdOrder) {
  ASSERT_TRUE(store_->CreateCollection(MakeCollection("c")).ok());
  ASSERT_TRUE(store_->CreateCollection(MakeCollection("d")).ok());
  std::vector<FaceRecord> faces;
  for (int batch = 0; batch < 4; ++batch) {
    auto more = Insert("c", batch * 10 + 9, batch * 10 + 14);  // ids not in row order
    faces.insert(faces.end(), more.begin(), more.end());
    Insert("d", 1000 + batch * 3, 1003 + batch * 3);
  }
  std::vector<FaceRecord> visited;
  ASSERT_TRUE(store_->ForEachFace("c", [&](const FaceRecord& f) { visited.push_back(f); }).ok());
  ASSERT_EQ(visited.size(), faces.size());
  for (size_t i = 0; i < faces.size(); ++i) ExpectSameFace(visited[i], faces[i], true);
  EXPECT_EQ(store_->ForEachFace("missing", [](const FaceRecord&) {}).code(), StatusCode::kNotFound);
}

TEST_P(StoreTest, DeleteFacesReturnsOnlyExistingAndNeverReusesRowIds) {
  ASSERT_TRUE(store_->CreateCollection(MakeCollection("c")).ok());
  ASSERT_TRUE(store_->CreateCollection(MakeCollection("d")).ok());
  auto faces = Insert("c", 0, 4);
  auto other = Insert("d", 10, 11);
  auto deleted = store_->DeleteFaces(
      "c", {faces[3].face_id, "missing", faces[1].face_id, faces[3].face_id, other[0].face_id});
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  EXPECT_EQ(*deleted, (std::vector<std::string>{faces[3].face_id, faces[1].face_id}));
  EXPECT_EQ(store_->GetCollection("c")->face_count, 2);
  EXPECT_EQ(store_->GetCollection("d")->face_count, 1);  // not deleted through "c"
  EXPECT_TRUE(store_->DeleteFaces("c", {"missing"})->empty());
  EXPECT_EQ(store_->DeleteFaces("missing", {faces[0].face_id}).status().code(),
            StatusCode::kNotFound);

  // faces[3] had the largest row id of "c"; the next face still gets a new one,
  // also after reopening.
  Open();
  auto again = Insert("c", 3, 4);
  EXPECT_GT(again[0].row_id, other[0].row_id);
  EXPECT_GT(again[0].row_id, faces[3].row_id);
}

TEST_P(StoreTest, DeleteCollectionCascadesToFacesUsersAndTokens) {
  ASSERT_TRUE(store_->CreateCollection(MakeCollection("c")).ok());
  ASSERT_TRUE(store_->CreateCollection(MakeCollection("keep")).ok());
  auto faces = Insert("c", 0, 5);
  Insert("keep", 5, 7);
  ASSERT_TRUE(store_->PutTokenResponse("c", "IndexFaces", "t1", "{}").ok());
  ASSERT_TRUE(store_->PutTokenResponse("keep", "IndexFaces", "t1", "{\"k\":1}").ok());
  ASSERT_TRUE(store_->CreateUser("c", {"u1", 1, 0}, nullptr).ok());
  ASSERT_TRUE(store_->CreateUser("c", {"u2", 2, 0}, nullptr).ok());
  ASSERT_TRUE(store_->CreateUser("keep", {"u1", 3, 0}, nullptr).ok());
  EXPECT_EQ(store_->GetCollection("c")->user_count, 2);

  ASSERT_TRUE(store_->DeleteCollection("c").ok());
  EXPECT_EQ(RawCount("SELECT count(*) FROM faces WHERE collection_id = 'c'"), 0);
  EXPECT_EQ(RawCount("SELECT count(*) FROM users WHERE collection_id = 'c'"), 0);
  EXPECT_EQ(RawCount("SELECT count(*) FROM tokens WHERE collection_id = 'c'"), 0);
  // A new collection of the same name starts empty, and the ids are free.
  ASSERT_TRUE(store_->CreateCollection(MakeCollection("c")).ok());
  EXPECT_EQ(store_->GetCollection("c")->face_count, 0);
  EXPECT_EQ(store_->GetCollection("c")->user_count, 0);
  EXPECT_FALSE(store_->GetTokenResponse("c", "IndexFaces", "t1")->has_value());
  std::vector<FaceRecord> reinserted = {MakeFace(0)};
  EXPECT_TRUE(store_->InsertFaces("c", &reinserted).ok());
  // The other collection is untouched.
  EXPECT_EQ(store_->GetCollection("keep")->face_count, 2);
  EXPECT_EQ(store_->GetCollection("keep")->user_count, 1);
  EXPECT_EQ(store_->GetTokenResponse("keep", "IndexFaces", "t1")->value(), "{\"k\":1}");
}

TEST_P(StoreTest, TokensStoreTheFirstResponse) {
  ASSERT_TRUE(store_->CreateCollection(MakeCollection("c")).ok());
  auto absent = store_->GetTokenResponse("c", "IndexFaces", "tok");
  ASSERT_TRUE(absent.ok());
  EXPECT_FALSE(absent->has_value());
  const std::string response("{\"FaceRecords\":[]}\0\xff", 20);
  ASSERT_TRUE(store_->PutTokenResponse("c", "IndexFaces", "tok", response).ok());
  EXPECT_EQ(store_->GetTokenResponse("c", "IndexFaces", "tok")->value(), response);
  EXPECT_EQ(store_->PutTokenResponse("c", "IndexFaces", "tok", "other").code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(store_->GetTokenResponse("c", "IndexFaces", "tok")->value(), response);
  // Scoped by operation and collection.
  EXPECT_FALSE(store_->GetTokenResponse("c", "DeleteFaces", "tok")->has_value());
  ASSERT_TRUE(store_->PutTokenResponse("c", "DeleteFaces", "tok", "d").ok());
  EXPECT_EQ(store_->PutTokenResponse("missing", "IndexFaces", "tok", "x").code(),
            StatusCode::kNotFound);
  EXPECT_FALSE(store_->GetTokenResponse("missing", "IndexFaces", "tok")->has_value());
}

TEST_P(StoreTest, ReopenKeepsEverything) {
  ASSERT_TRUE(store_->CreateCollection(MakeCollection("c")).ok());
  ASSERT_TRUE(store_->CreateCollection({"d", "v2", 42, 0, 0}).ok());
  auto faces = Insert("c", 0, 50);
  ASSERT_TRUE(store_->PutTokenResponse("c", "IndexFaces", "t", "resp").ok());
  ASSERT_TRUE(store_->DeleteFaces("c", {faces[7].face_id}).ok());
  faces.erase(faces.begin() + 7);
  Open();
  auto d = store_->GetCollection("d");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->face_model_version, "v2");
  EXPECT_EQ(d->created_ms, 42);
  std::vector<FaceRecord> visited;
  ASSERT_TRUE(store_->ForEachFace("c", [&](const FaceRecord& f) { visited.push_back(f); }).ok());
  ASSERT_EQ(visited.size(), faces.size());
  for (size_t i = 0; i < faces.size(); ++i) ExpectSameFace(visited[i], faces[i], true);
  EXPECT_EQ(store_->GetTokenResponse("c", "IndexFaces", "t")->value(), "resp");
  if (backend_ == Backend::kSqlite) {
    EXPECT_EQ(RawCount("PRAGMA user_version"), Store::kSchemaVersion);
    EXPECT_EQ(RawCount("PRAGMA application_id"), kApplicationId);
    EXPECT_EQ(RawCount("PRAGMA page_size"), kPageSize);
  } else {
    EXPECT_EQ(RawCount("SELECT version FROM candor_schema_version"), kPgSchemaVersion);
  }
}

// ---------------------------------------------------------------------------
// Collection policies and retention's query (schema version 3).

int64_t WallClockMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void ExpectSamePolicy(const PolicyRecord& actual, const PolicyRecord& expected) {
  EXPECT_EQ(actual.purpose, expected.purpose);
  EXPECT_EQ(actual.threshold_floor, expected.threshold_floor);
  EXPECT_EQ(actual.refuse_below_floor, expected.refuse_below_floor);
  EXPECT_EQ(actual.max_faces, expected.max_faces);
  EXPECT_EQ(actual.reason_required, expected.reason_required);
  EXPECT_EQ(actual.retention_days, expected.retention_days);
}

TEST_P(StoreTest, PoliciesPutGetReplaceReopen) {
  ASSERT_TRUE(store_->CreateCollection(MakeCollection("c")).ok());
  ASSERT_TRUE(store_->CreateCollection(MakeCollection("other")).ok());
  auto none = store_->GetPolicy("c");
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_FALSE(none->has_value()) << "no policy was put";

  // A floor that is not exactly a double, and a purpose with quotes.
  const PolicyRecord first{"door 'B' access; \"staff\" only", 97.3f, true, 4096, false, 36500, 0};
  const int64_t before = WallClockMs();
  ASSERT_TRUE(store_->PutPolicy("c", first).ok());
  auto got = store_->GetPolicy("c");
  ASSERT_TRUE(got.ok() && got->has_value());
  ExpectSamePolicy(**got, first);
  EXPECT_GE((*got)->updated_ms, before);
  EXPECT_LE((*got)->updated_ms, WallClockMs());
  EXPECT_FALSE(store_->GetPolicy("other")->has_value());

  const PolicyRecord second{"x", 0, false, 1, true, 0, 12345};
  ASSERT_TRUE(store_->PutPolicy("c", second).ok());
  ExpectSamePolicy(store_->GetPolicy("c")->value(), second);
  EXPECT_NE(store_->GetPolicy("c")->value().updated_ms, 12345) << "updated_ms is the store's";
  EXPECT_EQ(RawCount("SELECT count(*) FROM collection_policies"), 1);

  Open();
  ExpectSamePolicy(store_->GetPolicy("c")->value(), second);

  EXPECT_EQ(store_->GetPolicy("missing").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->PutPolicy("missing", first).code(), StatusCode::kNotFound);
  PolicyRecord nan = first;
  nan.threshold_floor = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(store_->PutPolicy("c", nan).code(), StatusCode::kInvalidArgument);
  nan.threshold_floor = std::numeric_limits<float>::infinity();
  EXPECT_EQ(store_->PutPolicy("c", nan).code(), StatusCode::kInvalidArgument);
  ExpectSamePolicy(store_->GetPolicy("c")->value(), second);
}

TEST_P(StoreTest, PolicyIsDeletedWithItsCollection) {
  ASSERT_TRUE(store_->CreateCollection(MakeCollection("c")).ok());
  ASSERT_TRUE(store_->CreateCollection(MakeCollection("keep")).ok());
  ASSERT_TRUE(store_->PutPolicy("c", {"p", 90, false, 5, false, 1, 0}).ok());
  ASSERT_TRUE(store_->PutPolicy("keep", {"k", 80, true, 6, true, 2, 0}).ok());
  ASSERT_TRUE(store_->DeleteCollection("c").ok());
  EXPECT_EQ(RawCount("SELECT count(*) FROM collection_policies WHERE collection_id = 'c'"),
            0);
  EXPECT_EQ(store_->GetPolicy("c").status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(store_->CreateCollection(MakeCollection("c")).ok());
  EXPECT_FALSE(store_->GetPolicy("c")->has_value()) << "a new collection does not inherit it";
  EXPECT_EQ(store_->GetPolicy("keep")->value().purpose, "k");
}

TEST_P(StoreTest, ListFacesIndexedBeforeOldestFirst) {
  ASSERT_TRUE(store_->CreateCollection(MakeCollection("c")).ok());
  ASSERT_TRUE(store_->CreateCollection(MakeCollection("d")).ok());
  // MakeFace(n) is indexed at 1700000000000 + n; insert newest first, and two
  // faces at the same millisecond, so that the order is not insertion order.
  std::vector<FaceRecord> faces;
  for (int n = 9; n >= 0; --n) faces.push_back(MakeFace(n));
  faces.push_back(MakeFace(10));
  faces.back().indexed_ms = faces[9].indexed_ms;  // the same time as face 0
  ASSERT_TRUE(store_->InsertFaces("c", &faces).ok());
  Insert("d", 100, 103);
  const int64_t t0 = 1700000000000;

  auto before5 = store_->ListFacesIndexedBefore("c", t0 + 5, 100);
  ASSERT_TRUE(before5.ok()) << before5.status().ToString();
  std::vector<std::string> ids;
  for (const FaceRecord& f : *before5) {
    ids.push_back(f.face_id);
    EXPECT_LT(f.indexed_ms, t0 + 5);
    EXPECT_TRUE(f.embedding.empty());
  }
  // Face 0 and face 10 (same time; face 0 has the smaller row_id), then 1..4.
  EXPECT_EQ(ids, (std::vector<std::string>{MakeFace(0).face_id, MakeFace(10).face_id,
                                           MakeFace(1).face_id, MakeFace(2).face_id,
                                           MakeFace(3).face_id, MakeFace(4).face_id}));
  ExpectSameFace((*before5)[2], faces[8], false);  // every field read back

  auto limited = store_->ListFacesIndexedBefore("c", t0 + 5, 2);
  ASSERT_TRUE(limited.ok());
  ASSERT_EQ(limited->size(), 2u);
  EXPECT_EQ((*limited)[1].face_id, MakeFace(10).face_id);
  EXPECT_TRUE(store_->ListFacesIndexedBefore("c", t0, 100)->empty()) << "strictly before";
  EXPECT_EQ(store_->ListFacesIndexedBefore("c", t0 + 1000, 100)->size(), 11u);
  EXPECT_EQ(store_->ListFacesIndexedBefore("d", t0 + 1000, 100)->size(), 3u);
  EXPECT_EQ(store_->ListFacesIndexedBefore("missing", t0, 10).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(store_->ListFacesIndexedBefore("c", t0, 0).status().code(),
            StatusCode::kInvalidArgument);
}

// Retention's query reads the index of faces by time, not every row (with
// its 2 KB embedding) of the collection, and needs no sort.
TEST_F(SqliteStoreTest, ListFacesIndexedBeforeUsesItsIndex) {
  ASSERT_TRUE(store_->CreateCollection(MakeCollection("c")).ok());
  Insert("c", 0, 20);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(db_path().c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(
      sqlite3_prepare_v2(db, (std::string("EXPLAIN QUERY PLAN ") + kListFacesIndexedBefore).c_str(),
                         -1, &stmt, nullptr),
      SQLITE_OK)
      << sqlite3_errmsg(db);
  std::string plan;
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    plan += reinterpret_cast<const char*>(sqlite3_column_text(stmt, 3));
    plan += "\n";
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  EXPECT_NE(plan.find("faces_by_collection_indexed_ms"), std::string::npos) << plan;
  EXPECT_EQ(plan.find("TEMP B-TREE"), std::string::npos) << "sorts: " << plan;
}

TEST_P(StoreTest, ConcurrentCallsFromManyThreads) {
  ASSERT_TRUE(store_->CreateCollection(MakeCollection("c")).ok());
  constexpr int kThreads = 4, kPerThread = 25;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::vector<FaceRecord> one = {MakeFace(t * kPerThread + i)};
        EXPECT_TRUE(store_->InsertFaces("c", &one).ok());
        EXPECT_TRUE(store_->GetFaces("c", {one[0].face_id}, true).ok());
        EXPECT_TRUE(store_->ListFaces("c", "", 5, false).ok());
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(store_->GetCollection("c")->face_count, kThreads * kPerThread);
}

// Tags: set, replaced, removed in one transaction, capped, and gone with
// their collection (store_file_test.cc has the SQLite file's twin).
TEST_P(StoreTest, TagsOfACollection) {
  ASSERT_TRUE(store_->CreateCollection(MakeCollection("c")).ok());
  EXPECT_EQ(store_->GetTags("missing").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->UpdateTags("missing", {{"a", "1"}}, {}, 50).code(), StatusCode::kNotFound);
  ASSERT_TRUE(store_->UpdateTags("c", {{"a", "1"}, {"b", ""}}, {}, 3).ok());
  ASSERT_TRUE(store_->UpdateTags("c", {{"a", "2"}}, {"b", "never-set"}, 3).ok());
  EXPECT_EQ(*store_->GetTags("c"), (std::map<std::string, std::string>{{"a", "2"}}));
  EXPECT_EQ(store_->UpdateTags("c", {{"x", "1"}, {"y", "1"}, {"z", "1"}}, {"a"}, 2).code(),
            StatusCode::kServiceQuotaExceeded);
  EXPECT_EQ(*store_->GetTags("c"), (std::map<std::string, std::string>{{"a", "2"}}));
  ASSERT_TRUE(store_->UpdateTags("c", {{"B", "x"}, {"a:b", "y"}}, {}, 3).ok());
  std::vector<std::string> keys;
  auto tags = store_->GetTags("c");
  ASSERT_TRUE(tags.ok());
  for (const auto& [k, v] : *tags) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"B", "a", "a:b"}));
  Open();
  EXPECT_EQ(store_->GetTags("c")->size(), 3u);
  ASSERT_TRUE(store_->DeleteCollection("c").ok());
  EXPECT_EQ(RawCount("SELECT count(*) FROM collection_tags"), 0);
  ASSERT_TRUE(store_->CreateCollection(MakeCollection("c")).ok());
  EXPECT_TRUE(store_->GetTags("c")->empty());
}

// The audit journal (store/write_journal.h): a write made under a
// ScopedWriteOrigin leaves its row in the same transaction, with the changes
// the call noted; a failed write leaves none; a resolved row is hidden at
// once and deleted by the next write or FlushJournal; writes without an
// origin leave none.
TEST_P(StoreTest, JournalRowsComeWithTheWriteAndGoOnceResolved) {
  ASSERT_TRUE(store_->CreateCollection(MakeCollection("c")).ok());
  EXPECT_EQ(RawCount("SELECT count(*) FROM audit_journal"), 0) << "no origin, no row";
  std::vector<FaceRecord> faces = {MakeFace(1), MakeFace(2)};
  {
    ScopedWriteOrigin origin({.request_id = "r1",
                              .operation = "IndexFaces",
                              .principal = "alice",
                              .collection_id = "c",
                              .time_ms = 17});
    ASSERT_TRUE(store_->InsertFaces("c", &faces).ok());
    EXPECT_TRUE(origin.wrote());
  }
  {
    ScopedWriteOrigin origin({.request_id = "r2", .operation = "CreateCollection"});
    EXPECT_EQ(store_->CreateCollection(MakeCollection("c")).code(), StatusCode::kAlreadyExists);
  }
  auto journal = store_->ListJournal();
  ASSERT_TRUE(journal.ok()) << journal.status().ToString();
  ASSERT_EQ(journal->size(), 1u) << "the failed write left no row";
  const JournalEntry& e = (*journal)[0];
  EXPECT_EQ(e.request_id, "r1");
  EXPECT_EQ(e.entry["Operation"], "IndexFaces");
  EXPECT_EQ(e.entry["Principal"], "alice");
  EXPECT_EQ(e.entry["TimeMs"], 17);
  EXPECT_EQ(e.entry["What"], "insert faces into collection 'c'");
  ASSERT_EQ(e.entry["Changes"].size(), 1u);
  EXPECT_EQ(e.entry["Changes"][0]["FaceIds"],
            (nlohmann::json{faces[0].face_id, faces[1].face_id}));
  {
    ScopedWriteOrigin origin({.request_id = "r3", .operation = "DeleteFaces"});
    ASSERT_TRUE(store_->DeleteFaces("c", {faces[0].face_id}).ok());
  }
  ASSERT_EQ(store_->ListJournal()->size(), 2u);
  EXPECT_EQ(store_->ListJournal()->at(1).entry["Changes"][0]["DeletedFaceIds"],
            (nlohmann::json{faces[0].face_id}));

  // Resolved: hidden at once, deleted by the next write (without an origin).
  store_->ResolveJournal("r1");
  ASSERT_EQ(store_->ListJournal()->size(), 1u);
  EXPECT_EQ(RawCount("SELECT count(*) FROM audit_journal"), 2);
  ASSERT_TRUE(store_->CreateCollection(MakeCollection("d")).ok());
  EXPECT_EQ(RawCount("SELECT count(*) FROM audit_journal"), 1);
  // ...or by FlushJournal.
  store_->ResolveJournal("r3");
  EXPECT_TRUE(store_->ListJournal()->empty());
  EXPECT_EQ(RawCount("SELECT count(*) FROM audit_journal"), 1);
  ASSERT_TRUE(store_->FlushJournal().ok());
  EXPECT_EQ(RawCount("SELECT count(*) FROM audit_journal"), 0);
  ASSERT_TRUE(store_->FlushJournal().ok()) << "nothing to flush";

  // An unresolved row outlives the store (the next start finds it).
  {
    ScopedWriteOrigin origin({.request_id = "r4", .operation = "DeleteCollection"});
    ASSERT_TRUE(store_->DeleteCollection("d").ok());
  }
  Open();
  journal = store_->ListJournal();
  ASSERT_TRUE(journal.ok());
  ASSERT_EQ(journal->size(), 1u);
  EXPECT_EQ((*journal)[0].entry["What"], "delete collection 'd'");
}

// A few thousand faces (about 5 MB that the PostgreSQL store streams in one
// query): every one, once, in row_id order, with its embedding.
TEST_P(StoreTest, ForEachFaceVisitsEveryFaceOfALargeCollection) {
  ASSERT_TRUE(store_->CreateCollection(MakeCollection("c")).ok());
  std::vector<FaceRecord> faces;
  for (int n = 0; n < 2345; ++n) faces.push_back(MakeFace(n));
  ASSERT_TRUE(store_->InsertFaces("c", &faces).ok());
  size_t i = 0;
  int64_t last_row_id = 0;
  Status status = store_->ForEachFace("c", [&](const FaceRecord& f) {
    if (i < faces.size() && i % 500 == 0) ExpectSameFace(f, faces[i], true);
    EXPECT_EQ(f.face_id, i < faces.size() ? faces[i].face_id : "") << i;
    EXPECT_GT(f.row_id, last_row_id);
    last_row_id = f.row_id;
    ++i;
  });
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ(i, faces.size());
}

// ---------------------------------------------------------------------------
// Erasure: a deleted face's embedding is in no file of the data directory.

// Finds 16-byte pieces of embeddings in files. Every 16-byte piece of each
// embedding is looked for, so that a remnant of a partly overwritten row is
// found too.
class EmbeddingScanner {
 public:
  explicit EmbeddingScanner(const std::vector<FaceRecord>& faces) {
    for (const auto& f : faces) {
      const std::string bytes = EmbeddingBytes(f.embedding);
      for (size_t at = 0; at + kPiece <= bytes.size(); at += kPiece) {
        pieces_[Prefix(bytes.data() + at)].push_back({f.face_id, bytes.substr(at, kPiece)});
      }
    }
  }

  // The ids of the faces with at least one piece in a file of `dir`, and in
  // `*whole` those with all of their embedding (in one place) somewhere.
  std::set<std::string> Scan(const std::string& dir, std::set<std::string>* whole = nullptr) {
    std::set<std::string> found;
    std::map<std::string, size_t> pieces_found;
    for (const auto& entry : fs::directory_iterator(dir)) {
      const std::string bytes = ReadBytes(entry.path().string());
      for (size_t i = 0; i + kPiece <= bytes.size(); ++i) {
        auto it = pieces_.find(Prefix(bytes.data() + i));
        if (it == pieces_.end()) continue;
        for (const auto& [face_id, piece] : it->second) {
          if (std::memcmp(piece.data(), bytes.data() + i, kPiece) == 0) {
            found.insert(face_id);
            ++pieces_found[face_id];
          }
        }
      }
    }
    if (whole != nullptr) {
      for (const auto& [face_id, count] : pieces_found) {
        if (count >= kEmbeddingBytes / kPiece) whole->insert(face_id);
      }
    }
    return found;
  }

 private:
  static constexpr size_t kPiece = 16;
  static uint64_t Prefix(const char* p) {
    uint64_t v;
    std::memcpy(&v, p, sizeof(v));
    return v;
  }
  std::unordered_map<uint64_t, std::vector<std::pair<std::string, std::string>>> pieces_;
};

TEST_F(SqliteStoreTest, DeletedEmbeddingsAreInNoFile) {
  ASSERT_TRUE(store_->CreateCollection(MakeCollection("c")).ok());
  ASSERT_TRUE(store_->CreateCollection(MakeCollection("gone")).ok());
  std::mt19937 rng(2024);
  std::vector<FaceRecord> all, kept, deleted;
  int next = 0;
  // Inserts and deletes interleaved, so that deletes hit rows in pages that
  // are later rebalanced and reused.
  for (int round = 0; round < 8; ++round) {
    const int count = 20 + static_cast<int>(rng() % 30);
    auto added = Insert("c", next, next + count);
    next += count;
    kept.insert(kept.end(), added.begin(), added.end());
    std::shuffle(kept.begin(), kept.end(), rng);
    const size_t remove = kept.size() * 2 / 5;
    std::vector<std::string> ids;
    for (size_t i = 0; i < remove; ++i) ids.push_back(kept[i].face_id);
    auto result = store_->DeleteFaces("c", ids);
    ASSERT_TRUE(result.ok()) << result.status().ToString();
    ASSERT_EQ(result->size(), remove);
    deleted.insert(deleted.end(), kept.begin(), kept.begin() + remove);
    kept.erase(kept.begin(), kept.begin() + remove);
  }
  auto in_gone = Insert("gone", 50000, 50030);
  ASSERT_TRUE(store_->DeleteCollection("gone").ok());
  deleted.insert(deleted.end(), in_gone.begin(), in_gone.end());
  all = kept;
  all.insert(all.end(), deleted.begin(), deleted.end());
  EmbeddingScanner scanner(all);

  for (bool open : {true, false}) {
    if (!open) store_.reset();
    std::set<std::string> whole;
    const std::set<std::string> found = scanner.Scan(dir_.path(), &whole);
    for (const auto& f : deleted) {
      EXPECT_EQ(found.count(f.face_id), 0u)
          << "bytes of deleted face " << f.face_id << " remain (store open: " << open << ")";
    }
    // The scanner does find what is stored.
    for (const auto& f : kept) EXPECT_EQ(whole.count(f.face_id), 1u) << f.face_id;
  }
  std::cout << kept.size() << " faces kept, " << deleted.size() << " erased\n";
}

}  // namespace
}  // namespace candor::store
