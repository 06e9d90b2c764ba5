// Tests of the SQLite store's files: schema migration (from version 0 and
// from version 2), and refusal of foreign, newer, truncated and damaged files,
// which must be left byte-identical. The test uses SQLite directly only to
// craft fixture files. Calls on an open store are tested in store_test.cc.
#include "store/store.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
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

#include "store/schema.h"
#include "store/sqlite_store.h"
#include "store/statements.h"
#include "store_test_support.h"

namespace candor::store {
namespace {

using test_support::EmbeddingBytes;
using test_support::EmbeddingFor;
using test_support::ExpectSameFace;
using test_support::MakeCollection;
using test_support::MakeFace;
using test_support::RawExec;
using test_support::RawInt;
using test_support::ReadBytes;
using test_support::TempDir;
using test_support::WriteBytes;
namespace fs = std::filesystem;

// ---------------------------------------------------------------------------
// Files the store must refuse, and must leave byte-identical.

// Opens `dir` and expects a refusal with `code` whose message names the file.
void ExpectRefusedAndUnchanged(const std::string& dir, StatusCode code,
                               const std::vector<std::string>& mentions = {}) {
  const std::string path = SqliteDatabasePath(dir);
  const std::string before = ReadBytes(path);
  auto opened = Store::OpenSqlite(dir);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), code) << opened.status().ToString();
  EXPECT_NE(opened.status().message().find(path), std::string::npos)
      << "the error does not name the file: " << opened.status().ToString();
  for (const auto& m : mentions) {
    EXPECT_NE(opened.status().message().find(m), std::string::npos)
        << "'" << m << "' missing from " << opened.status().ToString();
  }
  EXPECT_TRUE(ReadBytes(path) == before) << "the refused file was modified";
}

// A store of `faces` faces, closed.
void MakeStoreFile(const std::string& dir, int faces) {
  auto store = Store::OpenSqlite(dir);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  ASSERT_TRUE(store.value()->CreateCollection(MakeCollection("c")).ok());
  for (int first = 0; first < faces; first += 50) {
    std::vector<FaceRecord> batch;
    for (int n = first; n < std::min(faces, first + 50); ++n) batch.push_back(MakeFace(n));
    ASSERT_TRUE(store.value()->InsertFaces("c", &batch).ok());
  }
}

TEST(StoreFileTest, UpgradesVersion0Database) {
  TempDir dir;
  const std::string path = SqliteDatabasePath(dir.path());
  // Version 0: a SQLite database without Candor's schema (as SQLite leaves a
  // file that once had a table), with its default 4 KiB pages.
  RawExec(path, "PRAGMA user_version = 0; CREATE TABLE scratch (x); DROP TABLE scratch;");
  ASSERT_GT(fs::file_size(path), 0u);
  ASSERT_EQ(RawInt(path, "PRAGMA user_version"), 0);
  {
    auto store = Store::OpenSqlite(dir.path());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    ASSERT_TRUE(store.value()->CreateCollection(MakeCollection("c")).ok());
    std::vector<FaceRecord> faces = {MakeFace(1)};
    ASSERT_TRUE(store.value()->InsertFaces("c", &faces).ok());
  }
  EXPECT_EQ(RawInt(path, "PRAGMA user_version"), Store::kSchemaVersion);
  EXPECT_EQ(RawInt(path, "PRAGMA application_id"), kApplicationId);
  EXPECT_EQ(RawInt(path, "SELECT count(*) FROM faces"), 1);
  // The page size of an existing file is kept.
  EXPECT_EQ(RawInt(path, "PRAGMA page_size"), 4096);
  // Reopening an up-to-date file migrates nothing.
  auto again = Store::OpenSqlite(dir.path());
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again.value()->GetCollection("c")->face_count, 1);
}

// The rows of sqlite_schema (type, name, table, SQL), in name order.
std::vector<std::string> SchemaOf(const std::string& path) {
  sqlite3* db = nullptr;
  std::vector<std::string> rows;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db,
                           "SELECT type || ' ' || name || ' ' || tbl_name || ' ' || "
                           "coalesce(sql, '') FROM sqlite_schema ORDER BY name",
                           -1, &stmt, nullptr) == SQLITE_OK) {
      while (sqlite3_step(stmt) == SQLITE_ROW) {
        rows.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)));
      }
    }
    sqlite3_finalize(stmt);
  }
  sqlite3_close(db);
  return rows;
}

// A file of schema version 2 (collections, faces, users, tokens; no policies,
// no index of faces by time) is brought to version 3 with every row kept.
TEST(StoreFileTest, UpgradesVersion2FileKeepingEverything) {
  TempDir dir;
  const std::string path = SqliteDatabasePath(dir.path());
  std::vector<FaceRecord> faces;
  {
    auto store = Store::OpenSqlite(dir.path());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    ASSERT_TRUE((*store)->CreateCollection(MakeCollection("c")).ok());
    ASSERT_TRUE((*store)->CreateCollection({"d", "v2", 42, 0, 0}).ok());
    for (int n = 0; n < 30; ++n) faces.push_back(MakeFace(n));
    ASSERT_TRUE((*store)->InsertFaces("c", &faces).ok());
    for (int u = 1; u < 5; ++u) {
      ASSERT_TRUE(
          (*store)->CreateUser("c", {"user-" + std::to_string(u), 100 + u, 0}, nullptr).ok());
    }
    ASSERT_TRUE((*store)->PutTokenResponse("c", "IndexFaces", "tok", "resp").ok());
  }
  // Back to version 2 as that build wrote it, checked against a file made by
  // the first two migration steps alone.
  RawExec(path,
          "DROP TABLE audit_journal; DROP TABLE collection_tags; DROP TABLE collection_policies;"
          " DROP INDEX faces_by_collection_indexed_ms;"
          " PRAGMA user_version = 2;");
  {
    TempDir reference;
    const std::string reference_path = SqliteDatabasePath(reference.path());
    RawExec(reference_path, std::string(Migrations()[0].sql) + Migrations()[1].sql);
    ASSERT_EQ(SchemaOf(path), SchemaOf(reference_path));
  }
  ASSERT_EQ(RawInt(path, "PRAGMA user_version"), 2);

  auto store = Store::OpenSqlite(dir.path());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ(RawInt(path, "PRAGMA user_version"), Store::kSchemaVersion);
  EXPECT_EQ(RawInt(path, "PRAGMA application_id"), kApplicationId);
  EXPECT_EQ(RawInt(path,
                   "SELECT count(*) FROM sqlite_schema WHERE name IN"
                   " ('collection_policies', 'faces_by_collection_indexed_ms', 'collection_tags',"
                   " 'audit_journal')"),
            4);
  // Everything is still there, byte for byte.
  std::vector<FaceRecord> visited;
  ASSERT_TRUE((*store)->ForEachFace("c", [&](const FaceRecord& f) { visited.push_back(f); }).ok());
  ASSERT_EQ(visited.size(), faces.size());
  for (size_t i = 0; i < faces.size(); ++i) ExpectSameFace(visited[i], faces[i], true);
  auto c = (*store)->GetCollection("c");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->face_count, 30);
  EXPECT_EQ(c->user_count, 4);
  EXPECT_EQ((*store)->GetCollection("d")->created_ms, 42);
  auto user = (*store)->GetUser("c", "user-1");
  ASSERT_TRUE(user.ok());
  EXPECT_EQ(user->created_ms, 101);
  EXPECT_EQ(user->face_count, static_cast<int64_t>((*store)->FacesOfUser("c", "user-1")->size()));
  EXPECT_GT(user->face_count, 0);
  EXPECT_EQ((*store)->GetTokenResponse("c", "IndexFaces", "tok")->value(), "resp");
  // The new parts work on the old data: no policy yet, and retention's query.
  EXPECT_FALSE((*store)->GetPolicy("c")->has_value());
  auto old = (*store)->ListFacesIndexedBefore("c", faces[10].indexed_ms, 100);
  ASSERT_TRUE(old.ok()) << old.status().ToString();
  EXPECT_EQ(old->size(), 10u);
  ASSERT_TRUE((*store)->PutPolicy("c", {"audit", 99.5f, true, 10, true, 30, 0}).ok());
  EXPECT_EQ((*store)->GetPolicy("c")->value().purpose, "audit");
  EXPECT_TRUE((*store)->GetTags("c")->empty());
  ASSERT_TRUE((*store)->UpdateTags("c", {{"team", "door"}}, {}, 50).ok());
  EXPECT_EQ((*store)->GetTags("c")->at("team"), "door");
  // The audit journal: a write with an origin leaves its row, resolved ones
  // go with the next write.
  {
    store::ScopedWriteOrigin origin({.request_id = "r1", .operation = "CreateCollection"});
    ASSERT_TRUE((*store)->CreateCollection(MakeCollection("e")).ok());
    EXPECT_TRUE(origin.wrote());
  }
  auto journal = (*store)->ListJournal();
  ASSERT_TRUE(journal.ok());
  ASSERT_EQ(journal->size(), 1u);
  EXPECT_EQ((*journal)[0].entry["What"], "create collection 'e'");
  (*store)->ResolveJournal("r1");
  EXPECT_TRUE((*store)->ListJournal()->empty());
  EXPECT_EQ(RawInt(path, "SELECT count(*) FROM audit_journal"), 1);
  ASSERT_TRUE((*store)->FlushJournal().ok());
  EXPECT_EQ(RawInt(path, "SELECT count(*) FROM audit_journal"), 0);
}

// Tags: set, replaced, removed in one transaction, capped, and gone with
// their collection.
TEST(StoreFileTest, TagsOfACollection) {
  TempDir dir;
  auto store = Store::OpenSqlite(dir.path());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  Store& s = **store;
  ASSERT_TRUE(s.CreateCollection(MakeCollection("c")).ok());
  EXPECT_EQ(s.GetTags("missing").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(s.UpdateTags("missing", {{"a", "1"}}, {}, 50).code(), StatusCode::kNotFound);
  ASSERT_TRUE(s.UpdateTags("c", {{"a", "1"}, {"b", ""}}, {}, 3).ok());
  ASSERT_TRUE(s.UpdateTags("c", {{"a", "2"}}, {"b", "never-set"}, 3).ok());
  EXPECT_EQ(*s.GetTags("c"), (std::map<std::string, std::string>{{"a", "2"}}));
  // Over the cap: refused, and nothing of the call is kept.
  EXPECT_EQ(s.UpdateTags("c", {{"x", "1"}, {"y", "1"}, {"z", "1"}}, {"a"}, 2).code(),
            StatusCode::kServiceQuotaExceeded);
  EXPECT_EQ(*s.GetTags("c"), (std::map<std::string, std::string>{{"a", "2"}}));
  ASSERT_TRUE(s.DeleteCollection("c").ok());
  ASSERT_TRUE(s.CreateCollection(MakeCollection("c")).ok());
  EXPECT_TRUE(s.GetTags("c")->empty());
}

// The data directory holds biometric data: it is made 0700 and every file in
// it 0600, the database and its -wal file included, whatever the umask and
// however the directory was made before (issue 18: 0644 files, a 0755 dir).
TEST(StoreFileTest, DataDirectoryAndFilesArePrivate) {
  TempDir dir;
  const std::string data = dir.path() + "/data";
  ASSERT_EQ(::mkdir(data.c_str(), 0755), 0);
  ASSERT_EQ(::chmod(data.c_str(), 0755), 0);
  const std::string stray = data + "/notes.txt";
  WriteBytes(stray, "left by an operator");
  ASSERT_EQ(::chmod(stray.c_str(), 0644), 0);
  const mode_t old_umask = ::umask(022);
  {
    auto store = Store::OpenSqlite(data);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    ASSERT_TRUE((*store)->CreateCollection(MakeCollection("c")).ok());
    std::vector<FaceRecord> faces = {MakeFace(1)};
    ASSERT_TRUE((*store)->InsertFaces("c", &faces).ok());
    const auto mode = [](const std::string& path) {
      struct stat st;
      EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
      return st.st_mode & 0777;
    };
    EXPECT_EQ(mode(data), 0700u);
    EXPECT_EQ(mode(stray), 0600u);
    EXPECT_EQ(mode(SqliteDatabasePath(data)), 0600u);
    EXPECT_EQ(mode(SqliteDatabasePath(data) + "-wal"), 0600u);
  }
  ::umask(old_umask);
}

TEST(StoreFileTest, EmptyFileIsANewDatabase) {
  TempDir dir;
  WriteBytes(SqliteDatabasePath(dir.path()), "");
  auto store = Store::OpenSqlite(dir.path());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_TRUE(store.value()->CreateCollection(MakeCollection("c")).ok());
}

TEST(StoreFileTest, RefusesNewerSchemaVersion) {
  TempDir dir;
  MakeStoreFile(dir.path(), 10);
  const int newer = Store::kSchemaVersion + 1;
  RawExec(SqliteDatabasePath(dir.path()), "PRAGMA user_version = " + std::to_string(newer));
  ExpectRefusedAndUnchanged(dir.path(), StatusCode::kUnsupported,
                            {"schema version " + std::to_string(newer),
                             "version " + std::to_string(Store::kSchemaVersion)});
}

// A newer file whose last commits are still in its WAL (as after a crash):
// neither the database nor the WAL may change, so an older Candor does not
// checkpoint the WAL into the file on its way out.
TEST(StoreFileTest, RefusesNewerSchemaVersionWithPendingWal) {
  TempDir dir;
  MakeStoreFile(dir.path(), 10);
  const std::string path = SqliteDatabasePath(dir.path());
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
  const std::string newer = std::to_string(Store::kSchemaVersion + 1);
  ASSERT_EQ(sqlite3_exec(db, ("PRAGMA user_version = " + newer + "; DELETE FROM faces").c_str(),
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  const std::string wal = ReadBytes(path + "-wal");
  ASSERT_GT(wal.size(), 0u);
  ExpectRefusedAndUnchanged(dir.path(), StatusCode::kUnsupported, {"schema version " + newer});
  EXPECT_TRUE(ReadBytes(path + "-wal") == wal) << "the WAL was changed";
  EXPECT_EQ(RawInt(path, "SELECT count(*) FROM faces"), 0);  // the WAL still counts
}

TEST(StoreFileTest, RefusesAnotherApplicationsDatabase) {
  TempDir dir;
  const std::string path = SqliteDatabasePath(dir.path());
  RawExec(path, "CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('hello');");
  ExpectRefusedAndUnchanged(dir.path(), StatusCode::kCorruption, {"not a Candor database"});
  TempDir other;
  RawExec(SqliteDatabasePath(other.path()), "PRAGMA application_id = 7");
  ExpectRefusedAndUnchanged(other.path(), StatusCode::kCorruption, {"not a Candor database"});
}

TEST(StoreFileTest, RefusesGarbageFiles) {
  std::mt19937 rng(7);
  std::string random(10000, '\0');
  for (char& c : random) c = static_cast<char>(rng());
  std::string fake_header = std::string("SQLite format 3\0", 16) + random;
  for (const std::string& bytes : {random, std::string("x"), std::string(99, '\0'), fake_header}) {
    TempDir dir;
    WriteBytes(SqliteDatabasePath(dir.path()), bytes);
    ExpectRefusedAndUnchanged(dir.path(), StatusCode::kCorruption);
  }
}

TEST(StoreFileTest, RefusesTruncatedDatabase) {
  TempDir source;
  MakeStoreFile(source.path(), 300);
  const std::string whole = ReadBytes(SqliteDatabasePath(source.path()));
  ASSERT_GT(whole.size(), 10u * kPageSize);
  for (size_t size : {whole.size() / 2, whole.size() - 1, size_t{kPageSize} + 10, size_t{50}}) {
    TempDir dir;
    WriteBytes(SqliteDatabasePath(dir.path()), whole.substr(0, size));
    SCOPED_TRACE("truncated to " + std::to_string(size) + " of " + std::to_string(whole.size()));
    ExpectRefusedAndUnchanged(dir.path(), StatusCode::kCorruption);
  }
}

TEST(StoreFileTest, QuickCheckFindsDamagedPages) {
  TempDir dir;
  MakeStoreFile(dir.path(), 300);
  const std::string path = SqliteDatabasePath(dir.path());
  std::string bytes = ReadBytes(path);
  // Scribble over the b-tree page header of a page in the middle of the file.
  const size_t page = bytes.size() / kPageSize / 2;
  for (size_t i = 0; i < 12; ++i) bytes[page * kPageSize + i] = static_cast<char>(0xa5);
  WriteBytes(path, bytes);
  ExpectRefusedAndUnchanged(dir.path(), StatusCode::kCorruption);
  // A file above quick_check_max_bytes is not checked at open: the damage is
  // reported when the load reads the page, and the file stays as it was.
  SqliteStoreOptions options;
  options.quick_check_max_bytes = kPageSize;
  {
    auto store = OpenSqliteStore(dir.path(), options);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    EXPECT_EQ(store.value()->ForEachFace("c", [](const FaceRecord&) {}).code(),
              StatusCode::kCorruption);
  }
  EXPECT_EQ(ReadBytes(path), bytes);
}

TEST(StoreFileTest, EmbeddingOfWrongSizeIsCorruption) {
  TempDir dir;
  MakeStoreFile(dir.path(), 3);
  const std::string face_id = MakeFace(1).face_id;
  RawExec(SqliteDatabasePath(dir.path()),
          "PRAGMA ignore_check_constraints = ON; UPDATE faces SET embedding = x'00112233'"
          " WHERE face_id = '" +
              face_id + "'");
  // quick_check at open verifies CHECK constraints, so the file is refused...
  auto refused = Store::OpenSqlite(dir.path());
  EXPECT_EQ(refused.status().code(), StatusCode::kCorruption);
  EXPECT_NE(refused.status().message().find("CHECK constraint"), std::string::npos)
      << refused.status().ToString();
  // ...and without it, reading the embedding is.
  SqliteStoreOptions options;
  options.quick_check_on_open = false;
  auto store = OpenSqliteStore(dir.path(), options);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto listed = store.value()->ListFaces("c", "", 10, true);
  EXPECT_EQ(listed.status().code(), StatusCode::kCorruption);
  EXPECT_NE(listed.status().message().find(face_id), std::string::npos);
  EXPECT_EQ(store.value()->GetFaces("c", {face_id}, true).status().code(), StatusCode::kCorruption);
  EXPECT_EQ(store.value()->ForEachFace("c", [](const FaceRecord&) {}).code(),
            StatusCode::kCorruption);
  EXPECT_EQ(store.value()->ListFaces("c", "", 10, false)->size(), 3u);  // metadata is fine
}

}  // namespace
}  // namespace candor::store
