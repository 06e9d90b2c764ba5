// Erasure at the level of bytes on the PostgreSQL store, the twin of
// erasure_test.cc: after DeleteFaces, DeleteUnassociatedFaces (a face
// disassociated by DeleteUser first) and DeleteCollection, the stored
// vector of an erased face is in no file of the database's directory on the
// server (base/<database oid>/: the faces table, its TOAST table, its
// indexes, the files they had before a rewrite, every other relation),
// before and after a CHECKPOINT writes the server's buffers out, and after
// the store is opened again.
//
// The files are read through the server (pg_ls_dir, pg_read_binary_file:
// the test server's user is a superuser), so the test works on a server
// elsewhere too ($CANDOR_TEST_PG_URI).
//
// Each check has its positive control: before the erasure the vector's
// bytes are found in the files (in the TOAST table, in two runs: PostgreSQL
// cuts an out-of-line value into chunks of kToastChunk bytes), and a kept
// face stays found throughout, so a scan that cannot see vectors fails the
// test. An erased face is looked for by every aligned 32-byte piece of its
// vector (byte_search.h), so a remnant counts as found. One case shows what the store's
// VACUUM FULL is for: a row deleted behind the store's back survives a plain
// VACUUM in the table's pages. The WAL is looked at too: it keeps the bytes
// (the README's PostgreSQL section says what that means).
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "byte_search.h"
#include "pg_test_support.h"
#include "store/face_codec.h"
#include "store/pg_store.h"
#include "store/store.h"
#include "store_test_support.h"

namespace candor::store {
namespace {

using test_support::MakeCollection;
using test_support::MakeFace;
using test_support::PgRawExec;
using test_support::PgTestDatabase;
using testing::FilesWithAnyPiece;
using testing::JoinPlaces;

// TOAST_MAX_CHUNK_SIZE of PostgreSQL with 8 KB pages: an out-of-line value
// is stored as chunks of this many bytes (the last one shorter).
constexpr size_t kToastChunk = 1996;

struct PgConnDeleter {
  void operator()(PGconn* c) const { PQfinish(c); }
};

// The files of one database on the server, read through SQL.
class ServerFiles {
 public:
  explicit ServerFiles(const std::string& conninfo) : conn_(PQconnectdb(conninfo.c_str())) {
    EXPECT_EQ(PQstatus(conn_.get()), CONNECTION_OK) << PQerrorMessage(conn_.get());
  }

  // Rows of `sql` (text results), one vector of columns a row.
  std::vector<std::vector<std::string>> Query(const std::string& sql) {
    std::vector<std::vector<std::string>> rows;
    PGresult* r = PQexec(conn_.get(), sql.c_str());
    EXPECT_TRUE(PQresultStatus(r) == PGRES_TUPLES_OK || PQresultStatus(r) == PGRES_COMMAND_OK)
        << sql << ": " << PQresultErrorMessage(r);
    for (int i = 0; PQresultStatus(r) == PGRES_TUPLES_OK && i < PQntuples(r); ++i) {
      auto& row = rows.emplace_back();
      for (int c = 0; c < PQnfields(r); ++c) row.push_back(PQgetvalue(r, i, c));
    }
    PQclear(r);
    return rows;
  }

  // The whole of the file at `path` (relative to the data directory).
  std::string Read(const std::string& path) {
    const char* values[] = {path.c_str()};
    PGresult* r = PQexecParams(conn_.get(), "SELECT pg_read_binary_file($1)", 1, nullptr, values,
                               nullptr, nullptr, /*resultFormat=*/1);
    std::string bytes;
    // A file may vanish between the listing and the read (a checkpoint
    // unlinks truncated files): it then holds nothing.
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
      bytes.assign(PQgetvalue(r, 0, 0), PQgetlength(r, 0, 0));
    }
    PQclear(r);
    return bytes;
  }

  // Every file of `dir` (relative to the data directory), by path.
  std::map<std::string, std::string> ReadDir(const std::string& dir) {
    std::map<std::string, std::string> files;
    for (const auto& row : Query("SELECT f FROM pg_ls_dir('" + dir + "') AS f ORDER BY f")) {
      const std::string path = dir + "/" + row[0];
      files[path] = Read(path);
    }
    return files;
  }

  // The files of the database's own directory (base/<oid>), named by the
  // relation that has them now where one does ("faces", "pg_toast_...",
  // "faces_pkey", ...; forks and segments included); files of no relation
  // (the old files of a rewritten table, until a checkpoint unlinks them)
  // keep their path.
  std::map<std::string, std::string> DatabaseFiles() {
    const std::string dir =
        "base/" + Query("SELECT oid FROM pg_database WHERE datname = current_database()")[0][0];
    std::map<std::string, std::string> by_relation;
    for (const auto& row :
         Query("SELECT pg_relation_filepath(oid), relname FROM pg_class"
               " WHERE pg_relation_filepath(oid) IS NOT NULL")) {
      by_relation[row[0]] = row[1];
    }
    std::map<std::string, std::string> files;
    for (auto& [path, bytes] : ReadDir(dir)) {
      // "base/1/123", "base/1/123_fsm", "base/1/123.1" -> "base/1/123"
      const std::string main_fork = path.substr(0, path.find_first_of("_.", dir.size() + 1));
      const auto relation = by_relation.find(main_fork);
      files[relation == by_relation.end() ? path
                                          : relation->second + path.substr(main_fork.size())] =
          std::move(bytes);
    }
    return files;
  }

  // The faces table's relations whose files must be scanned: the table, its
  // TOAST table and its TOAST index, and its indexes.
  std::set<std::string> FacesRelations() {
    std::set<std::string> names;
    for (const auto& row : Query(
             "SELECT c.relname FROM pg_class c WHERE c.oid = 'faces'::regclass"
             " OR c.oid = (SELECT reltoastrelid FROM pg_class WHERE oid = 'faces'::regclass)"
             " OR c.oid IN (SELECT indexrelid FROM pg_index WHERE indrelid = 'faces'::regclass"
             " OR indrelid = (SELECT reltoastrelid FROM pg_class WHERE oid = 'faces'::regclass))")) {
      names.insert(row[0]);
    }
    return names;
  }

  void Checkpoint() { Query("CHECKPOINT"); }

 private:
  std::unique_ptr<PGconn, PgConnDeleter> conn_;
};

// The files that hold all of `vector_bytes`, in runs of at most kToastChunk
// bytes (whole, when stored inline).
std::set<std::string> WithWhole(const std::map<std::string, std::string>& files,
                                const std::string& vector_bytes) {
  std::set<std::string> where;
  for (const auto& [name, bytes] : files) {
    bool all = true;
    for (size_t at = 0; at < vector_bytes.size() && all; at += kToastChunk) {
      all = bytes.find(vector_bytes.substr(at, kToastChunk)) != std::string::npos;
    }
    if (all) where.insert(name);
  }
  return where;
}

class ErasurePgTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    ASSERT_TRUE(db_.Create(&error)) << error;
    Reopen();
    ASSERT_NE(store_, nullptr);
    files_ = std::make_unique<ServerFiles>(db_.conninfo());
  }

  void Reopen() {
    store_.reset();
    auto store = OpenPostgresStore(db_.conninfo());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
  }

  // Faces n = first..first+count-1 of MakeFace, with no user, in `collection`;
  // returns their stored vectors (store/face_codec.h) by FaceId.
  std::map<std::string, std::string> Index(const std::string& collection, int first, int count) {
    std::vector<FaceRecord> faces;
    for (int n = first; n < first + count; ++n) {
      faces.push_back(MakeFace(n));
      faces.back().user_id = "";
    }
    EXPECT_TRUE(store_->InsertFaces(collection, &faces).ok());
    std::map<std::string, std::string> vectors;
    for (const FaceRecord& f : faces) vectors[f.face_id] = EncodeEmbedding(f.embedding);
    return vectors;
  }

  // Collection "c" with faces first..first+count-1, as Index.
  std::map<std::string, std::string> CollectionC(int first, int count) {
    EXPECT_TRUE(store_->CreateCollection(MakeCollection("c")).ok());
    return Index("c", first, count);
  }

  // Deletes one face through the store, which must report it deleted.
  void DeleteFace(const std::string& collection, const std::string& face_id) {
    auto r = store_->DeleteFaces(collection, {face_id});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(*r, std::vector<std::string>{face_id});
  }

  // The files of the database, after a CHECKPOINT when `checkpoint` (else as
  // the server left them); checks that the faces table's files are in it.
  std::map<std::string, std::string> Files(bool checkpoint) {
    if (checkpoint) files_->Checkpoint();
    auto files = files_->DatabaseFiles();
    for (const std::string& relation : files_->FacesRelations()) {
      EXPECT_TRUE(files.contains(relation)) << "no file of " << relation << " was read";
    }
    return files;
  }

  void ExpectPresent(const std::map<std::string, std::string>& files,
                     const std::string& vector_bytes, const std::string& what) {
    ASSERT_EQ(vector_bytes.size(), kEmbeddingBytes);
    EXPECT_FALSE(WithWhole(files, vector_bytes).empty())
        << "positive control: the vector of " << what << " is not found in any file";
  }

  void ExpectAbsent(const std::map<std::string, std::string>& files,
                    const std::string& vector_bytes, const std::string& what) {
    const std::set<std::string> where = FilesWithAnyPiece(files, vector_bytes);
    EXPECT_TRUE(where.empty()) << "bytes of the erased vector of " << what
                               << " remain in: " << JoinPlaces(where);
  }

  // Erased absent and kept present: as the server left the files, after a
  // CHECKPOINT, and after the store is opened again.
  void ExpectErasedAndKept(const std::vector<std::string>& erased,
                           const std::vector<std::string>& kept) {
    for (bool checkpoint : {false, true}) {
      SCOPED_TRACE(checkpoint ? "after a CHECKPOINT" : "as the erasure left them");
      const auto files = Files(checkpoint);
      for (const std::string& v : erased) ExpectAbsent(files, v, "an erased face");
      // The rewrite puts the TOAST table's new rows in the server's buffers:
      // they reach the files at the checkpoint.
      if (checkpoint) {
        for (const std::string& v : kept) ExpectPresent(files, v, "a kept face");
      }
    }
    Reopen();
    SCOPED_TRACE("store reopened");
    const auto files = Files(true);
    for (const std::string& v : erased) ExpectAbsent(files, v, "an erased face");
    for (const std::string& v : kept) ExpectPresent(files, v, "a kept face");
  }

  PgTestDatabase db_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<ServerFiles> files_;
};

// Why the store runs VACUUM FULL: a row deleted behind its back (plain SQL)
// stays readable in the table's files after the DELETE and after a plain
// VACUUM (the last row of a page: pruning moves no other row over it). The
// store's next deletion erases it with its own.
TEST_F(ErasurePgTest, PlainVacuumLeavesBytesAndTheStoresDeletionErasesThem) {
  auto vectors = CollectionC(0, 8);
  ASSERT_EQ(vectors.size(), 8u);
  const std::string behind_back = MakeFace(7).face_id;  // the last inserted
  const std::string deleted = MakeFace(2).face_id;
  const std::string kept = MakeFace(5).face_id;
  {
    const auto files = Files(true);
    for (const auto& [face_id, v] : vectors) ExpectPresent(files, v, "face " + face_id);
    EXPECT_FALSE(WithWhole(files, vectors[kept]).empty());
  }
  PgRawExec(db_.conninfo(), "DELETE FROM faces WHERE face_id = '" + behind_back + "'");
  EXPECT_FALSE(FilesWithAnyPiece(Files(true), vectors[behind_back]).empty())
      << "a deleted row's bytes are expected in the table's files after DELETE";
  PgRawExec(db_.conninfo(), "VACUUM faces");
  EXPECT_FALSE(FilesWithAnyPiece(Files(true), vectors[behind_back]).empty())
      << "a deleted row's bytes are expected in the table's files after a plain VACUUM";

  DeleteFace("c", deleted);
  ExpectErasedAndKept({vectors[behind_back], vectors[deleted]}, {vectors[kept]});
  EXPECT_EQ(store_->GetCollection("c")->face_count, 6);
}

TEST_F(ErasurePgTest, DeleteFacesErasesTheVector) {
  auto vectors = CollectionC(10, 6);
  const std::string erased = MakeFace(12).face_id;
  const std::string kept = MakeFace(13).face_id;
  {
    const auto files = Files(true);
    ExpectPresent(files, vectors[erased], "the face to erase");
    ExpectPresent(files, vectors[kept], "the kept face");
  }
  DeleteFace("c", erased);
  ExpectErasedAndKept({vectors[erased]}, {vectors[kept]});
  EXPECT_TRUE(store_->GetFaces("c", {erased}, true)->empty());
  EXPECT_EQ(store_->GetCollection("c")->face_count, 5);

  // The WAL still holds the vector (it logged the insert): the README says
  // what the store cannot do about that.
  const auto wal = files_->ReadDir("pg_wal");
  EXPECT_FALSE(FilesWithAnyPiece(wal, vectors[erased]).empty());
  std::cout << "the erased vector in pg_wal: " << JoinPlaces(FilesWithAnyPiece(wal, vectors[erased]))
            << "\n";
}

// DeleteUser disassociates (the face row is updated, its out-of-line
// vector shared by both versions); DeleteUnassociatedFaces then deletes it.
TEST_F(ErasurePgTest, DeleteUserThenDeleteUnassociatedFacesErasesTheVector) {
  auto vectors = CollectionC(20, 4);
  const std::string erased = MakeFace(21).face_id;
  const std::string kept = MakeFace(22).face_id;
  ASSERT_TRUE(store_->CreateUser("c", {.user_id = "u", .created_ms = 1}, nullptr).ok());
  ASSERT_TRUE(store_->UpdateUserFaces("c", "u", {erased}, {}, 100, nullptr).ok());
  auto refused = store_->DeleteUnassociatedFaces("c", {erased});
  ASSERT_TRUE(refused.ok()) << refused.status().ToString();
  EXPECT_TRUE(refused->deleted.empty());
  ExpectPresent(Files(true), vectors[erased], "a face of a user");
  ASSERT_TRUE(store_->DeleteUser("c", "u", nullptr).ok());
  ExpectPresent(Files(true), vectors[erased], "a face after DeleteUser");

  auto r = store_->DeleteUnassociatedFaces("c", {erased});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->deleted, std::vector<std::string>{erased});
  ExpectErasedAndKept({vectors[erased]}, {vectors[kept]});
}

TEST_F(ErasurePgTest, DeleteCollectionErasesItsVectors) {
  ASSERT_TRUE(store_->CreateCollection(MakeCollection("gone")).ok());
  ASSERT_TRUE(store_->CreateCollection(MakeCollection("keep")).ok());
  auto gone = Index("gone", 30, 3);
  auto keep = Index("keep", 40, 2);
  {
    const auto files = Files(true);
    for (const auto& [id, v] : gone) ExpectPresent(files, v, "a face of the collection to delete");
  }
  ASSERT_TRUE(store_->DeleteCollection("gone").ok());
  std::vector<std::string> erased, kept;
  for (const auto& [id, v] : gone) erased.push_back(v);
  for (const auto& [id, v] : keep) kept.push_back(v);
  ExpectErasedAndKept(erased, kept);
  EXPECT_EQ(store_->GetCollection("keep")->face_count, 2);
}

// When the rewrite cannot take its lock (another connection holds one on
// faces past the store's lock timeout) the deletion is still committed and
// acknowledged; a write soon after does not wait for the lock again, and the
// bytes go at the store's next deletion.
TEST_F(ErasurePgTest, AnErasureThatCannotLockWaitsForTheNextDeletion) {
  auto vectors = CollectionC(50, 3);
  const std::string erased = MakeFace(51).face_id;
  const std::string kept = MakeFace(52).face_id;
  PGconn* holder = PQconnectdb(db_.conninfo().c_str());
  ASSERT_EQ(PQstatus(holder), CONNECTION_OK) << PQerrorMessage(holder);
  PQclear(PQexec(holder, "BEGIN"));
  PGresult* locked = PQexec(holder, "LOCK TABLE faces IN ACCESS SHARE MODE");
  EXPECT_EQ(PQresultStatus(locked), PGRES_COMMAND_OK) << PQresultErrorMessage(locked);
  PQclear(locked);

  const auto started = std::chrono::steady_clock::now();
  DeleteFace("c", erased);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(30));
  EXPECT_FALSE(FilesWithAnyPiece(Files(true), vectors[erased]).empty())
      << "the lock was expected to keep the rewrite from running";

  PQclear(PQexec(holder, "COMMIT"));
  PQfinish(holder);
  const auto next_write = std::chrono::steady_clock::now();
  ASSERT_TRUE(store_->CreateCollection(MakeCollection("next")).ok());
  EXPECT_LT(std::chrono::steady_clock::now() - next_write, std::chrono::seconds(2))
      << "a write right after the failed rewrite retried it";
  EXPECT_FALSE(FilesWithAnyPiece(Files(true), vectors[erased]).empty());
  DeleteFace("c", MakeFace(50).face_id);
  ExpectErasedAndKept({vectors[erased], vectors[MakeFace(50).face_id]}, {vectors[kept]});
}

}  // namespace
}  // namespace candor::store
