// Tests of the store's users: every call's contract, the conditional updates
// that catch a concurrent change (Conflict, nothing applied), the token
// written in the same transaction as the change, DeleteUnassociatedFaces,
// and the migration of a version-1 file (no index of faces by user).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "pg_test_support.h"
#include "store/pg_store.h"
#include "store/sqlite_store.h"
#include "store/store.h"
#include "store_test_support.h"

namespace candor::store {
namespace {

using test_support::Backend;
using test_support::BackendName;
using test_support::MakeCollection;
using test_support::MakeFace;
using test_support::PgTestDatabase;
using test_support::RawExec;
using test_support::RawInt;
using test_support::TempDir;

// Run on both backends (pg_test_support.h).
class StoreUsersTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (GetParam() == Backend::kPostgres) {
      std::string error;
      ASSERT_TRUE(pg_.Create(&error)) << error;
    }
    Open();
    ASSERT_TRUE(store_->CreateCollection(MakeCollection("c")).ok());
    // Faces 0..7 without users (MakeFace gives some of them one).
    faces_.clear();
    for (int n = 0; n < 8; ++n) {
      faces_.push_back(MakeFace(n));
      faces_.back().user_id.clear();
    }
    ASSERT_TRUE(store_->InsertFaces("c", &faces_).ok());
  }
  void Open() {
    store_.reset();
    auto opened = GetParam() == Backend::kSqlite ? Store::OpenSqlite(dir_.path())
                                                 : OpenPostgresStore(pg_.conninfo());
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(opened).value();
  }
  std::string Id(int n) const { return faces_.at(n).face_id; }
  std::string UserOf(int n) {
    auto faces = store_->GetFaces("c", {Id(n)}, false);
    return faces.ok() && faces->size() == 1 ? (*faces)[0].user_id : "<absent>";
  }
  std::string db_path() const { return SqliteDatabasePath(dir_.path()); }

  TempDir dir_;
  PgTestDatabase pg_;
  std::unique_ptr<Store> store_;
  std::vector<FaceRecord> faces_;
};

INSTANTIATE_TEST_SUITE_P(Backends, StoreUsersTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres), BackendName);

TEST_P(StoreUsersTest, CreateGetListUsers) {
  for (const char* u : {"b", "a", "c:1"}) {
    ASSERT_TRUE(store_->CreateUser("c", {u, 1700000000000, 0}, nullptr).ok()) << u;
  }
  EXPECT_EQ(store_->CreateUser("c", {"a", 1, 0}, nullptr).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(store_->CreateUser("missing", {"a", 1, 0}, nullptr).code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->CreateUser("c", {"", 1, 0}, nullptr).code(), StatusCode::kInvalidArgument);
  auto a = store_->GetUser("c", "a");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->created_ms, 1700000000000);
  EXPECT_EQ(a->face_count, 0);
  EXPECT_EQ(store_->GetUser("c", "zz").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->GetUser("missing", "a").status().code(), StatusCode::kNotFound);
  auto page = store_->ListUsers("c", "", 2);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ((*page)[0].user_id, "a");
  EXPECT_EQ((*page)[1].user_id, "b");
  auto rest = store_->ListUsers("c", "b", 10);
  ASSERT_TRUE(rest.ok());
  ASSERT_EQ(rest->size(), 1u);
  EXPECT_EQ((*rest)[0].user_id, "c:1");
  EXPECT_EQ(store_->ListUsers("c", "", 0).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->ListUsers("missing", "", 1).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->GetCollection("c")->user_count, 3);
  Open();
  EXPECT_EQ(store_->ListUsers("c", "", 10)->size(), 3u);
}

TEST_P(StoreUsersTest, UpdateUserFacesAssociatesAndCountsFaces) {
  ASSERT_TRUE(store_->CreateUser("c", {"u", 1, 0}, nullptr).ok());
  ASSERT_TRUE(store_->CreateUser("c", {"v", 1, 0}, nullptr).ok());
  ASSERT_TRUE(store_->UpdateUserFaces("c", "u", {Id(0), Id(1), Id(0)}, {}, 100, nullptr).ok());
  EXPECT_EQ(UserOf(0), "u");
  EXPECT_EQ(store_->GetUser("c", "u")->face_count, 2);
  EXPECT_EQ(store_->ListUsers("c", "", 10)->at(0).face_count, 2);
  auto of_user = store_->FacesOfUser("c", "u");
  ASSERT_TRUE(of_user.ok());
  std::vector<std::string> expected = {Id(0), Id(1)};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(*of_user, expected);

  // A face of another user, or one that is gone: Conflict, nothing applied.
  ASSERT_TRUE(store_->UpdateUserFaces("c", "v", {Id(2)}, {}, 100, nullptr).ok());
  EXPECT_EQ(store_->UpdateUserFaces("c", "u", {Id(3), Id(2)}, {}, 100, nullptr).code(),
            StatusCode::kConflict);
  EXPECT_EQ(UserOf(3), "");
  EXPECT_EQ(store_->UpdateUserFaces("c", "u", {}, {Id(2)}, 100, nullptr).code(),
            StatusCode::kConflict);
  EXPECT_EQ(UserOf(2), "v");
  // Beyond the per-user limit: Conflict, nothing applied.
  EXPECT_EQ(store_->UpdateUserFaces("c", "u", {Id(3), Id(4)}, {}, 3, nullptr).code(),
            StatusCode::kConflict);
  EXPECT_EQ(store_->GetUser("c", "u")->face_count, 2);
  // Disassociate and associate in one call.
  ASSERT_TRUE(store_->UpdateUserFaces("c", "u", {Id(3)}, {Id(0)}, 2, nullptr).ok());
  EXPECT_EQ(UserOf(0), "");
  EXPECT_EQ(UserOf(3), "u");
  EXPECT_EQ(store_->UpdateUserFaces("c", "nobody", {Id(5)}, {}, 100, nullptr).code(),
            StatusCode::kNotFound);
  EXPECT_EQ(store_->UpdateUserFaces("missing", "u", {Id(5)}, {}, 100, nullptr).code(),
            StatusCode::kNotFound);
}

TEST_P(StoreUsersTest, TokenIsWrittenWithTheChangeOrNotAtAll) {
  const TokenWrite create{"CreateUser", "t1", "u\n"};
  ASSERT_TRUE(store_->CreateUser("c", {"u", 1, 0}, &create).ok());
  EXPECT_EQ(store_->GetTokenResponse("c", "CreateUser", "t1")->value(), "u\n");
  // A failed change stores no token; a used token fails the change.
  const TokenWrite again{"CreateUser", "t2", "u\n"};
  EXPECT_EQ(store_->CreateUser("c", {"u", 1, 0}, &again).code(), StatusCode::kAlreadyExists);
  EXPECT_FALSE(store_->GetTokenResponse("c", "CreateUser", "t2")->has_value());
  EXPECT_EQ(store_->CreateUser("c", {"w", 1, 0}, &create).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(store_->GetUser("c", "w").status().code(), StatusCode::kNotFound);

  const TokenWrite associate{"AssociateFaces", "t3", "F x\nS ACTIVE\n"};
  ASSERT_TRUE(store_->UpdateUserFaces("c", "u", {Id(0)}, {}, 100, &associate).ok());
  EXPECT_TRUE(store_->GetTokenResponse("c", "AssociateFaces", "t3")->has_value());
  const TokenWrite conflicting{"AssociateFaces", "t4", "-"};
  ASSERT_TRUE(store_->CreateUser("c", {"v", 1, 0}, nullptr).ok());
  EXPECT_EQ(store_->UpdateUserFaces("c", "v", {Id(0)}, {}, 100, &conflicting).code(),
            StatusCode::kConflict);
  EXPECT_FALSE(store_->GetTokenResponse("c", "AssociateFaces", "t4")->has_value());

  const TokenWrite remove{"DeleteUser", "t5", ""};
  auto faces = store_->DeleteUser("c", "u", &remove);
  ASSERT_TRUE(faces.ok());
  EXPECT_EQ(*faces, std::vector<std::string>{Id(0)});
  EXPECT_TRUE(store_->GetTokenResponse("c", "DeleteUser", "t5")->has_value());
  Open();
  EXPECT_TRUE(store_->GetTokenResponse("c", "DeleteUser", "t5")->has_value());
}

TEST_P(StoreUsersTest, DeleteUserKeepsItsFacesUnassociated) {
  ASSERT_TRUE(store_->CreateUser("c", {"u", 1, 0}, nullptr).ok());
  ASSERT_TRUE(store_->UpdateUserFaces("c", "u", {Id(0), Id(1)}, {}, 100, nullptr).ok());
  auto faces = store_->DeleteUser("c", "u", nullptr);
  ASSERT_TRUE(faces.ok());
  EXPECT_EQ(faces->size(), 2u);
  EXPECT_EQ(UserOf(0), "");
  EXPECT_EQ(UserOf(1), "");
  EXPECT_EQ(store_->GetCollection("c")->face_count, 8);
  EXPECT_EQ(store_->GetCollection("c")->user_count, 0);
  EXPECT_EQ(store_->DeleteUser("c", "u", nullptr).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->DeleteUser("missing", "u", nullptr).status().code(), StatusCode::kNotFound);
}

TEST_P(StoreUsersTest, DeleteUnassociatedFacesKeepsAUsersFaces) {
  ASSERT_TRUE(store_->CreateUser("c", {"u", 1, 0}, nullptr).ok());
  ASSERT_TRUE(store_->UpdateUserFaces("c", "u", {Id(1)}, {}, 100, nullptr).ok());
  const std::string unknown = "00000000-0000-4000-8000-000000000000";
  auto deletion = store_->DeleteUnassociatedFaces("c", {Id(0), Id(1), unknown, Id(0), Id(1)});
  ASSERT_TRUE(deletion.ok()) << deletion.status().ToString();
  EXPECT_EQ(deletion->deleted, std::vector<std::string>{Id(0)});
  ASSERT_EQ(deletion->associated.size(), 1u);
  EXPECT_EQ(deletion->associated[0].face_id, Id(1));
  EXPECT_EQ(deletion->associated[0].user_id, "u");
  EXPECT_EQ(store_->GetCollection("c")->face_count, 7);
  EXPECT_EQ(store_->DeleteUnassociatedFaces("missing", {Id(2)}).status().code(),
            StatusCode::kNotFound);
}

TEST(StoreUsersFileTest, MigratesVersion1FileToTheIndexOfFacesByUser) {
  TempDir dir;
  {
    auto store = Store::OpenSqlite(dir.path());
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->CreateCollection(MakeCollection("c")).ok());
    std::vector<FaceRecord> faces = {MakeFace(1), MakeFace(2)};
    ASSERT_TRUE((*store)->InsertFaces("c", &faces).ok());
  }
  const std::string path = SqliteDatabasePath(dir.path());
  // Back to version 1 as that build wrote it: no faces_by_collection_user.
  RawExec(path,
          "DROP INDEX faces_by_collection_user; DROP TABLE collection_policies; "
          "DROP TABLE collection_tags; DROP TABLE audit_journal; "
          "DROP INDEX faces_by_collection_indexed_ms; PRAGMA user_version = 1;");
  ASSERT_EQ(
      RawInt(path, "SELECT count(*) FROM sqlite_schema WHERE name = 'faces_by_collection_user'"),
      0);
  auto store = Store::OpenSqlite(dir.path());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ(RawInt(path, "PRAGMA user_version"), Store::kSchemaVersion);
  EXPECT_EQ(
      RawInt(path, "SELECT count(*) FROM sqlite_schema WHERE name = 'faces_by_collection_user'"),
      1);
  EXPECT_EQ((*store)->GetCollection("c")->face_count, 2);
}

}  // namespace
}  // namespace candor::store
