// The store on PostgreSQL, through libpq (pg_util.h). It mirrors the SQLite
// store (sqlite_store.cc, sqlite_users.cc, sqlite_policies.cc,
// sqlite_tags.cc, sqlite_journal.cc) call for call: the same checks in the
// same order, the same error codes and messages, the same NoteChange calls
// and journal rows, so that the conformance tests (tests/store_test.cc,
// tests/store_users_test.cc) hold for both.
//
// Where PostgreSQL differs, and what this file does about it:
//  - Transactions: writes run SERIALIZABLE, so concurrent writers (other
//    nodes on the same database) behave as if they ran one at a time, as
//    SQLite's BEGIN IMMEDIATE makes them; a transaction that loses is run
//    again (PgDb::InTransaction), then fails with Throttling. Reads that take
//    several statements run in one REPEATABLE READ snapshot.
//  - Ordering: ids are TEXT COLLATE "C" (byte order, as SQLite's BINARY
//    collation), whatever the database's locale, so pages are in the same
//    order on both.
//  - Bytes: text columns cannot hold a NUL byte or invalid UTF-8 (SQLite's
//    can). external_image_id, which the store keeps as given, is bytea; ids,
//    which callers validate to printable patterns, are text; a value
//    PostgreSQL refuses there is InvalidArgument (SQLSTATE 22xxx).
//  - row_id is a bigserial: a sequence never hands out a value twice (not
//    even after a rollback, which leaves a gap), as AUTOINCREMENT.
//  - Erasure: PostgreSQL has no secure_delete. A deleted row stays in its
//    heap page, and the embedding (2,048 bytes, stored out of line in the
//    faces table's TOAST table: over the 2 KB TOAST threshold, and pglz
//    cannot shrink float bytes) in its TOAST pages; plain VACUUM compacts a
//    page but leaves freed space unzeroed, so the bytes of a deleted row
//    survive it unless a later tuple happens to be moved over them
//    (tests/erasure_pg_test.cc shows both). After every committed deletion
//    of faces (DeleteFaces, DeleteUnassociatedFaces, DeleteCollection of a
//    collection with faces) the store runs VACUUM FULL faces, which writes
//    the live rows into new files of the table, its TOAST table and its
//    indexes and truncates the old ones at its commit (EraseDeletedFaces).
//    What it cannot reach: rows still visible to a snapshot open elsewhere
//    (another node's long read) are copied as they are; the WAL keeps the
//    bytes until its segments are overwritten (a checkpoint renames old
//    segments for reuse, it does not clear them); archives, base backups and
//    replicas have their own copies; and blocks the file system freed are
//    beyond a database's reach. The README's PostgreSQL section says so.
//  - Durability is the server's: a COMMIT that returned is flushed to its WAL
//    when it runs with fsync=on and synchronous_commit=on (the defaults).
//  - The connection can be lost (a restart, a failover): the call that finds
//    it so fails with Throttling, and the next one reconnects (pg_util.h).
//    A connection lost during COMMIT leaves the outcome unknown to the
//    caller, as a crash of the server would; idempotency tokens and the
//    audit journal (its row is in the same transaction) cover that case as
//    they cover a crash of this process.
#include "store/pg_store.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <mutex>
#include <unordered_map>
#include <string_view>
#include <utility>
#include <vector>

#include "store/face_codec.h"
#include "store/pg_statements.h"
#include "store/pg_store_impl.h"
#include "store/pg_util.h"
#include "store/schema.h"
#include "store/write_journal.h"

namespace candor::store::pg {

using namespace pg_sql;  // NOLINT: the statements, as sqlite_store.cc uses statements.h

namespace {

// The schema, version 5: the content of the SQLite store's versions 1 to 5
// (schema.cc explains each table and index) in one step, as no PostgreSQL
// database of an older version exists. Later versions add steps to
// kPgMigrations. faces_by_collection_indexed_ms names row_id (SQLite's index
// holds the rowid implicitly) so that it serves retention's ORDER BY
// indexed_ms, row_id without a sort.
constexpr char kPgVersion5[] = R"sql(
CREATE TABLE collections (
  collection_id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
  face_model_version TEXT NOT NULL,
  created_ms BIGINT NOT NULL
);
CREATE TABLE faces (
  row_id BIGSERIAL PRIMARY KEY,
  collection_id TEXT COLLATE "C" NOT NULL
      REFERENCES collections (collection_id) ON DELETE CASCADE,
  face_id TEXT COLLATE "C" NOT NULL UNIQUE,
  image_id TEXT NOT NULL,
  external_image_id BYTEA NOT NULL,
  user_id TEXT COLLATE "C" NOT NULL,
  box_left DOUBLE PRECISION NOT NULL,
  box_top DOUBLE PRECISION NOT NULL,
  box_width DOUBLE PRECISION NOT NULL,
  box_height DOUBLE PRECISION NOT NULL,
  confidence DOUBLE PRECISION NOT NULL,
  face_model_version TEXT NOT NULL,
  indexed_ms BIGINT NOT NULL,
  embedding BYTEA NOT NULL CHECK (length(embedding) = 2048)
);
CREATE INDEX faces_by_collection_face_id ON faces (collection_id, face_id);
CREATE INDEX faces_by_collection_row_id ON faces (collection_id, row_id);
CREATE INDEX faces_by_collection_user ON faces (collection_id, user_id);
CREATE INDEX faces_by_collection_indexed_ms ON faces (collection_id, indexed_ms, row_id);
CREATE TABLE users (
  collection_id TEXT COLLATE "C" NOT NULL
      REFERENCES collections (collection_id) ON DELETE CASCADE,
  user_id TEXT COLLATE "C" NOT NULL,
  created_ms BIGINT NOT NULL,
  PRIMARY KEY (collection_id, user_id)
);
CREATE TABLE tokens (
  collection_id TEXT COLLATE "C" NOT NULL
      REFERENCES collections (collection_id) ON DELETE CASCADE,
  operation TEXT COLLATE "C" NOT NULL,
  token TEXT COLLATE "C" NOT NULL,
  response BYTEA NOT NULL,
  created_ms BIGINT NOT NULL,
  PRIMARY KEY (collection_id, operation, token)
);
CREATE TABLE collection_policies (
  collection_id TEXT COLLATE "C" NOT NULL PRIMARY KEY
      REFERENCES collections (collection_id) ON DELETE CASCADE,
  purpose TEXT NOT NULL,
  threshold_floor DOUBLE PRECISION NOT NULL,
  refuse_below_floor BOOLEAN NOT NULL,
  max_faces BIGINT NOT NULL,
  reason_required BOOLEAN NOT NULL,
  retention_days BIGINT NOT NULL,
  updated_ms BIGINT NOT NULL
);
CREATE TABLE collection_tags (
  collection_id TEXT COLLATE "C" NOT NULL
      REFERENCES collections (collection_id) ON DELETE CASCADE,
  tag_key TEXT COLLATE "C" NOT NULL,
  tag_value TEXT NOT NULL,
  PRIMARY KEY (collection_id, tag_key)
);
CREATE TABLE audit_journal (
  id BIGSERIAL PRIMARY KEY,
  request_id TEXT COLLATE "C" NOT NULL,
  entry TEXT NOT NULL
);
CREATE INDEX audit_journal_by_request ON audit_journal (request_id);
)sql";

static_assert(kEmbeddingBytes == 2048, "kPgVersion5's CHECK on embedding length");

struct PgMigration {
  int from_version;
  int to_version;
  const char* description;
  const char* sql;
};
// Version 6: the change log (store/change_feed.h, pg_changes.cc). face_ids
// holds the FaceIds separated by newlines (ids never hold one: the callers
// validate them to UUIDs); change_log_pruned says through which number rows
// were pruned. The rows of one collection are found by
// change_log_by_collection (a node loading a collection replays them).
constexpr char kPgVersion6[] = R"sql(
CREATE TABLE change_log (
  seq BIGSERIAL PRIMARY KEY,
  collection_id TEXT COLLATE "C" NOT NULL,
  kind TEXT NOT NULL,
  face_ids TEXT NOT NULL,
  created_ms BIGINT NOT NULL
);
CREATE INDEX change_log_by_collection ON change_log (collection_id, seq);
CREATE INDEX change_log_by_created_ms ON change_log (created_ms);
CREATE TABLE change_log_pruned (through_seq BIGINT NOT NULL);
INSERT INTO change_log_pruned VALUES (0);
)sql";

constexpr PgMigration kPgMigrations[] = {
    {0, 5, "collections, faces, users, tokens, policies, tags and the audit journal",
     kPgVersion5},
    {5, 6, "the change log that nodes follow", kPgVersion6},
};
static_assert(std::size(kPgMigrations) == kPgSchemaVersion - 4,
              "a migration step for each PostgreSQL schema version");

constexpr const char* kRequiredTables[] = {"collections",     "faces",        "users",
                                           "tokens",          "collection_policies",
                                           "collection_tags", "audit_journal"};

// Serialises migrations of one database between processes (any 64-bit key
// that no other user of the database takes; "candor-s" in ASCII).
constexpr int64_t kMigrationLockKey = 0x63616e646f722d73;

}  // namespace


Status PostgresStore::InTransaction(bool write, std::string_view what,
                                    const std::function<Status()>& body) {
  if (!write) return db_.InTransaction(false, what, body);
  std::vector<std::string> deleted;
  int64_t seq = 0;
  SetLastCommittedChangeSeq(0);
  const Status committed = db_.InTransaction(true, what, [&]() -> Status {
    // Afresh at every attempt: a retried transaction notes its changes again.
    ScopedChangeList changes;
    pending_change_.reset();
    faces_deleted_ = false;
    CANDOR_RETURN_IF_ERROR(body());
    CANDOR_RETURN_IF_ERROR(WriteJournal(what, changes.changes(), &deleted));
    // Last: it holds the change log's lock until the commit (pg_changes.cc).
    return WriteChange(&seq);
  });
  if (!committed.ok()) {
    // A connection lost during COMMIT leaves a deletion's outcome unknown:
    // erase at the next write in case it was committed.
    if (faces_deleted_) erasure_pending_ = true;
    return committed;
  }
  SetLastCommittedChangeSeq(seq);
  // Once the deletion is committed, its bytes (see the top of this file).
  // A pending one is retried by a later write at most once every
  // kEraseRetryMs, so that a lock held for minutes elsewhere (a node loading
  // a large collection) does not add kEraseLockTimeout to every write.
  if (faces_deleted_ || (erasure_pending_ && NowMs() >= erase_retry_after_ms_)) {
    EraseDeletedFaces();
  }
  if (!deleted.empty()) {
    std::lock_guard lock(resolved_mu_);
    std::erase_if(resolved_, [&](const std::string& id) {
      return std::find(deleted.begin(), deleted.end(), id) != deleted.end();
    });
  }
  return Status::Ok();
}

void PostgresStore::EraseDeletedFaces() {
  erasure_pending_ = true;
  erase_retry_after_ms_ = NowMs() + kEraseRetryMs;
  // VACUUM FULL waits for every lock on faces, and while it waits every new
  // reader of faces (other nodes' searches) queues behind it: give up after
  // kEraseLockTimeout and try again later (InTransaction) rather than stall
  // the cluster behind one long transaction.
  if (!db_.ExecScript(std::string("SET lock_timeout = '") + kEraseLockTimeout + "'",
                      "erase deleted faces")
           .ok()) {
    return;
  }
  erasure_pending_ = !db_.ExecScript("VACUUM FULL faces", "erase deleted faces").ok();
  (void)db_.ExecScript("RESET lock_timeout", "erase deleted faces");
  if (erasure_pending_) erase_retry_after_ms_ = NowMs() + kEraseRetryMs;
}

Status PostgresStore::WriteJournal(std::string_view what, const nlohmann::json& changes,
                                   std::vector<std::string>* deleted) {
  {
    std::lock_guard lock(resolved_mu_);
    *deleted = resolved_;
  }
  for (const std::string& id : *deleted) {
    CANDOR_RETURN_IF_ERROR(
        Exec(kDeleteResolvedJournal, {Param::Text(id)}, "delete resolved audit journal rows")
            .status());
  }
  const WriteOrigin* origin = CurrentWriteOrigin();
  if (origin == nullptr) return Status::Ok();
  const std::string entry = JournalJson(*origin, std::string(what), changes)
                                .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  CANDOR_RETURN_IF_ERROR(Exec(kInsertJournal, {Param::Text(origin->request_id), Param::Text(entry)},
                              "write the audit journal")
                             .status());
  // Counted before the commit: a rollback leaves a row resolved that does
  // not exist, which costs nothing.
  ++origin->rows_written;
  return Status::Ok();
}

Status PostgresStore::CheckCollectionExists(const std::string& collection_id) {
  CANDOR_ASSIGN_OR_RETURN(Result r, Exec(kCollectionExists, {Param::Text(collection_id)},
                                         "look up collection " + Quoted(collection_id)));
  if (r.rows() == 0) {
    return Status::NotFound("collection " + Quoted(collection_id) + " does not exist");
  }
  return Status::Ok();
}

Status PostgresStore::ReadFace(const Result& r, int row, bool with_embedding,
                               FaceRecord* face) const {
  face->row_id = r.Int(row, 0);
  face->face_id = r.Bytes(row, 1);
  face->image_id = r.Bytes(row, 2);
  face->external_image_id = r.Bytes(row, 3);
  face->user_id = r.Bytes(row, 4);
  face->box.left = static_cast<float>(r.Double(row, 5));
  face->box.top = static_cast<float>(r.Double(row, 6));
  face->box.width = static_cast<float>(r.Double(row, 7));
  face->box.height = static_cast<float>(r.Double(row, 8));
  face->confidence = static_cast<float>(r.Double(row, 9));
  face->face_model_version = r.Bytes(row, 10);
  face->indexed_ms = r.Int(row, 11);
  face->embedding.clear();
  if (with_embedding) {
    const size_t size = r.IsNull(row, kEmbeddingColumn) ? 0 : r.Size(row, kEmbeddingColumn);
    if (!DecodeEmbedding(r.Data(row, kEmbeddingColumn), size, &face->embedding)) {
      return Status::Corruption("face " + Quoted(face->face_id) + " in " + db_.Describe() +
                                " has an embedding of " + std::to_string(size) +
                                " bytes, expected " + std::to_string(kEmbeddingBytes));
    }
  }
  return Status::Ok();
}

Status PostgresStore::Migrate() {
  std::lock_guard lock(mutex_);
  // Another process may be creating or migrating the same database: one at
  // a time. The lock is the session's, taken before the transactions begin,
  // so that their snapshots (taken at their first statement) see what the
  // process before this one committed.
  CANDOR_RETURN_IF_ERROR(
      Exec("SELECT pg_advisory_lock($1)", {Param::Int(kMigrationLockKey)}, "lock the schema")
          .status());
  const Status status = MigrateLocked();
  // (A lost connection releases the lock with the session.)
  (void)Exec("SELECT pg_advisory_unlock($1)", {Param::Int(kMigrationLockKey)}, "unlock the schema");
  return status;
}

Status PostgresStore::MigrateLocked() {
  const std::string where = db_.Describe();
  // Ids and text are stored as UTF-8 (what the API takes); a database in
  // another encoding would convert them, or refuse some.
  CANDOR_ASSIGN_OR_RETURN(
      Result encoding, Exec("SELECT pg_encoding_to_char(encoding) FROM pg_database"
                            " WHERE datname = current_database()",
                            {}, "read the database encoding"));
  if (encoding.rows() != 1 || encoding.Bytes(0, 0) != "UTF8") {
    return Status::Unsupported(
        where + " has the encoding " + (encoding.rows() == 1 ? encoding.Bytes(0, 0) : "?") +
        "; Candor needs a database created with ENCODING 'UTF8'; it was left unchanged");
  }
  for (;;) {
    bool done = false;
    CANDOR_RETURN_IF_ERROR(db_.InTransaction(true, "migrate schema", [&]() -> Status {
      CANDOR_ASSIGN_OR_RETURN(
          Result has_version,
          Exec("SELECT to_regclass('candor_schema_version') IS NOT NULL", {},
               "read the schema version"));
      int64_t version = 0;
      if (has_version.Bool(0, 0)) {
        CANDOR_ASSIGN_OR_RETURN(Result r, Exec("SELECT version FROM candor_schema_version", {},
                                               "read the schema version"));
        if (r.rows() != 1) {
          return Status::Corruption(where + ": candor_schema_version has " +
                                    std::to_string(r.rows()) +
                                    " rows instead of one; it was left unchanged");
        }
        version = r.Int(0, 0);
      } else {
        // No version: a new database, unless it holds tables of Candor's
        // names that this code did not make.
        for (const char* table : kRequiredTables) {
          CANDOR_ASSIGN_OR_RETURN(Result t, Exec("SELECT to_regclass($1) IS NOT NULL",
                                                 {Param::Text(table)}, "read the schema"));
          if (t.Bool(0, 0)) {
            return Status::Corruption(where + " has a table " + table +
                                      " but no candor_schema_version: not a Candor database;"
                                      " it was left unchanged");
          }
        }
        CANDOR_RETURN_IF_ERROR(db_.ExecScript(
            "CREATE TABLE candor_schema_version (version BIGINT NOT NULL);"
            " INSERT INTO candor_schema_version VALUES (0)",
            "create the schema version"));
      }
      if (version > kPgSchemaVersion) {
        return Status::Unsupported(where + " has schema version " + std::to_string(version) +
                                   ", newer than version " + std::to_string(kPgSchemaVersion) +
                                   " that this build of Candor reads; use a newer Candor;"
                                   " it was left unchanged");
      }
      if (version < 0) {
        return Status::Corruption(where + " has schema version " + std::to_string(version) +
                                  "; it was left unchanged");
      }
      done = version == kPgSchemaVersion;
      if (done) return Status::Ok();
      const PgMigration* step = nullptr;
      for (const PgMigration& m : kPgMigrations) {
        if (m.from_version == version) step = &m;
      }
      if (step == nullptr) {
        return Status::Unsupported(where + " has schema version " + std::to_string(version) +
                                   ", from which no migration of PostgreSQL stores exists");
      }
      const std::string what = "migrate " + where + " to schema version " +
                               std::to_string(step->to_version) + " (" + step->description + ")";
      CANDOR_RETURN_IF_ERROR(db_.ExecScript(step->sql, what));
      return Exec("UPDATE candor_schema_version SET version = $1", {Param::Int(step->to_version)},
                  what)
          .status();
    }));
    if (done) return Status::Ok();
  }
}

// ---------------------------------------------------------------------------
// Collections, faces and tokens (sqlite_store.cc).

Status PostgresStore::CreateCollection(const CollectionRecord& record) {
  if (record.collection_id.empty()) return Status::InvalidArgument("collection id is empty");
  std::lock_guard lock(mutex_);
  const std::string what = "create collection " + Quoted(record.collection_id);
  return InTransaction(true, what, [&]() -> Status {
    auto r = Exec(kInsertCollection,
                  {Param::Text(record.collection_id), Param::Text(record.face_model_version),
                   Param::Int(record.created_ms)},
                  what);
    if (r.status().code() == StatusCode::kAlreadyExists) {
      return Status::AlreadyExists("collection " + Quoted(record.collection_id) +
                                   " already exists");
    }
    CANDOR_RETURN_IF_ERROR(r.status());
    LogChange(ChangeKind::kCollectionCreated, record.collection_id);
    return Status::Ok();
  });
}

StatusOr<CollectionRecord> PostgresStore::GetCollection(const std::string& collection_id) {
  std::lock_guard lock(mutex_);
  CANDOR_ASSIGN_OR_RETURN(Result r, Exec(kGetCollection, {Param::Text(collection_id)},
                                         "read collection " + Quoted(collection_id)));
  if (r.rows() == 0) {
    return Status::NotFound("collection " + Quoted(collection_id) + " does not exist");
  }
  return CollectionRecord{r.Bytes(0, 0), r.Bytes(0, 1), r.Int(0, 2), r.Int(0, 3), r.Int(0, 4)};
}

StatusOr<std::vector<CollectionRecord>> PostgresStore::ListCollections(const std::string& after,
                                                                       int limit) {
  CANDOR_RETURN_IF_ERROR(ValidateLimit(limit));
  std::lock_guard lock(mutex_);
  CANDOR_ASSIGN_OR_RETURN(
      Result r,
      Exec(kListCollections, {Param::Text(after), Param::Int(limit)}, "list collections"));
  std::vector<CollectionRecord> collections;
  for (int i = 0; i < r.rows(); ++i) {
    collections.push_back({r.Bytes(i, 0), r.Bytes(i, 1), r.Int(i, 2), r.Int(i, 3), r.Int(i, 4)});
  }
  return collections;
}

Status PostgresStore::DeleteCollection(const std::string& collection_id) {
  std::lock_guard lock(mutex_);
  const std::string what = "delete collection " + Quoted(collection_id);
  // The rows go (with the cascade) in this transaction; their bytes, once
  // it is committed (see the top of this file).
  return InTransaction(true, what, [&]() -> Status {
    CANDOR_ASSIGN_OR_RETURN(Result f,
                            Exec(kCollectionHasFaces, {Param::Text(collection_id)}, what));
    faces_deleted_ = f.rows() > 0;
    CANDOR_ASSIGN_OR_RETURN(Result r, Exec(kDeleteCollection, {Param::Text(collection_id)}, what));
    if (r.affected() == 0) {
      return Status::NotFound("collection " + Quoted(collection_id) + " does not exist");
    }
    LogChange(ChangeKind::kCollectionDeleted, collection_id);
    return Status::Ok();
  });
}

Status PostgresStore::InsertFaces(const std::string& collection_id,
                                  std::vector<FaceRecord>* faces) {
  if (faces == nullptr) return Status::InvalidArgument("no faces given");
  for (const FaceRecord& face : *faces) CANDOR_RETURN_IF_ERROR(ValidateFace(face));
  std::vector<std::string> embeddings;
  embeddings.reserve(faces->size());
  for (const FaceRecord& face : *faces) embeddings.push_back(EncodeEmbedding(face.embedding));

  std::lock_guard lock(mutex_);
  std::vector<int64_t> row_ids;
  const std::string what = "insert faces into collection " + Quoted(collection_id);
  CANDOR_RETURN_IF_ERROR(InTransaction(true, what, [&]() -> Status {
    row_ids.clear();
    CANDOR_RETURN_IF_ERROR(CheckCollectionExists(collection_id));
    for (size_t i = 0; i < faces->size(); ++i) {
      const FaceRecord& face = (*faces)[i];
      auto r = Exec(kInsertFace,
                    {Param::Text(collection_id), Param::Text(face.face_id),
                     Param::Text(face.image_id), Param::Bytes(face.external_image_id),
                     Param::Text(face.user_id), Param::Double(face.box.left),
                     Param::Double(face.box.top), Param::Double(face.box.width),
                     Param::Double(face.box.height), Param::Double(face.confidence),
                     Param::Text(face.face_model_version), Param::Int(face.indexed_ms),
                     Param::Bytes(embeddings[i])},
                    what);
      if (r.status().code() == StatusCode::kAlreadyExists) {
        return Status::AlreadyExists("face " + Quoted(face.face_id) + " already exists");
      }
      CANDOR_RETURN_IF_ERROR(r.status());
      row_ids.push_back(r->Int(0, 0));
    }
    nlohmann::json ids = nlohmann::json::array();
    std::vector<std::string> face_ids;
    for (const FaceRecord& face : *faces) {
      ids.push_back(face.face_id);
      face_ids.push_back(face.face_id);
    }
    NoteChange({{"CollectionId", collection_id}, {"FaceIds", std::move(ids)}});
    if (!face_ids.empty()) LogChange(ChangeKind::kFacesAdded, collection_id, std::move(face_ids));
    return Status::Ok();
  }));
  // Only now, when all of them are committed.
  for (size_t i = 0; i < faces->size(); ++i) (*faces)[i].row_id = row_ids[i];
  return Status::Ok();
}

StatusOr<std::vector<FaceRecord>> PostgresStore::ListFaces(const std::string& collection_id,
                                                           const std::string& after_face_id,
                                                           int limit, bool with_embeddings) {
  CANDOR_RETURN_IF_ERROR(ValidateLimit(limit));
  std::lock_guard lock(mutex_);
  std::vector<FaceRecord> faces;
  const std::string what = "list faces of collection " + Quoted(collection_id);
  CANDOR_RETURN_IF_ERROR(InTransaction(false, what, [&]() -> Status {
    faces.clear();
    CANDOR_RETURN_IF_ERROR(CheckCollectionExists(collection_id));
    CANDOR_ASSIGN_OR_RETURN(
        Result r, Exec(with_embeddings ? kListFacesWithEmbeddings : kListFaces,
                       {Param::Text(collection_id), Param::Text(after_face_id), Param::Int(limit)},
                       what));
    for (int i = 0; i < r.rows(); ++i) {
      CANDOR_RETURN_IF_ERROR(ReadFace(r, i, with_embeddings, &faces.emplace_back()));
    }
    return Status::Ok();
  }));
  return faces;
}

StatusOr<std::vector<FaceRecord>> PostgresStore::GetFaces(const std::string& collection_id,
                                                          const std::vector<std::string>& face_ids,
                                                          bool with_embeddings) {
  std::lock_guard lock(mutex_);
  std::vector<FaceRecord> faces;
  const std::string what = "read faces of collection " + Quoted(collection_id);
  CANDOR_RETURN_IF_ERROR(InTransaction(false, what, [&]() -> Status {
    faces.clear();
    CANDOR_RETURN_IF_ERROR(CheckCollectionExists(collection_id));
    if (face_ids.empty()) return Status::Ok();
    // One statement for all of them (a node following another's batch of
    // 1,000 faces made 1,000 round trips), answered in the order asked,
    // each face once, as the SQLite store does.
    CANDOR_ASSIGN_OR_RETURN(Result r, Exec(with_embeddings ? kGetFacesWithEmbeddings : kGetFaces,
                                           {Param::Text(collection_id),
                                            Param::TextArray(face_ids)},
                                           what));
    std::unordered_map<std::string, FaceRecord> found;
    for (int i = 0; i < r.rows(); ++i) {
      FaceRecord face;
      CANDOR_RETURN_IF_ERROR(ReadFace(r, i, with_embeddings, &face));
      found.emplace(face.face_id, std::move(face));
    }
    for (const std::string& face_id : face_ids) {
      auto it = found.find(face_id);
      if (it == found.end()) continue;  // absent, or listed before
      faces.push_back(std::move(it->second));
      found.erase(it);
    }
    return Status::Ok();
  }));
  return faces;
}

StatusOr<std::vector<std::string>> PostgresStore::DeleteFaces(
    const std::string& collection_id, const std::vector<std::string>& face_ids) {
  std::lock_guard lock(mutex_);
  std::vector<std::string> deleted;
  const std::string what = "delete faces of collection " + Quoted(collection_id);
  CANDOR_RETURN_IF_ERROR(InTransaction(true, what, [&]() -> Status {
    deleted.clear();
    CANDOR_RETURN_IF_ERROR(CheckCollectionExists(collection_id));
    for (const std::string& face_id : face_ids) {
      CANDOR_ASSIGN_OR_RETURN(
          Result r, Exec(kDeleteFace, {Param::Text(collection_id), Param::Text(face_id)}, what));
      // A repeated id deletes nothing the second time, so it is listed once.
      if (r.affected() > 0) deleted.push_back(face_id);
    }
    NoteChange({{"CollectionId", collection_id}, {"DeletedFaceIds", deleted}});
    if (!deleted.empty()) LogChange(ChangeKind::kFacesDeleted, collection_id, deleted);
    faces_deleted_ = !deleted.empty();
    return Status::Ok();
  }));
  return deleted;
}

StatusOr<FaceDeletion> PostgresStore::DeleteUnassociatedFaces(
    const std::string& collection_id, const std::vector<std::string>& face_ids) {
  std::lock_guard lock(mutex_);
  FaceDeletion deletion;
  const std::string what = "delete faces of collection " + Quoted(collection_id);
  CANDOR_RETURN_IF_ERROR(InTransaction(true, what, [&]() -> Status {
    deletion = FaceDeletion();
    CANDOR_RETURN_IF_ERROR(CheckCollectionExists(collection_id));
    for (const std::string& face_id : face_ids) {
      CANDOR_ASSIGN_OR_RETURN(
          Result u, Exec(kGetFaceUser, {Param::Text(collection_id), Param::Text(face_id)}, what));
      if (u.rows() == 0) continue;  // absent, or deleted earlier in this call
      const std::string user_id = u.Bytes(0, 0);
      if (!user_id.empty()) {
        if (std::none_of(deletion.associated.begin(), deletion.associated.end(),
                         [&](const FaceDeletion::Kept& k) { return k.face_id == face_id; })) {
          deletion.associated.push_back({face_id, user_id});
        }
        continue;
      }
      CANDOR_ASSIGN_OR_RETURN(
          Result r, Exec(kDeleteFace, {Param::Text(collection_id), Param::Text(face_id)}, what));
      if (r.affected() > 0) deletion.deleted.push_back(face_id);
    }
    NoteChange({{"CollectionId", collection_id}, {"DeletedFaceIds", deletion.deleted}});
    if (!deletion.deleted.empty()) {
      LogChange(ChangeKind::kFacesDeleted, collection_id, deletion.deleted);
    }
    faces_deleted_ = !deletion.deleted.empty();
    return Status::Ok();
  }));
  return deletion;
}

StatusOr<std::vector<FaceRecord>> PostgresStore::ListFacesIndexedBefore(
    const std::string& collection_id, int64_t before_ms, int limit) {
  CANDOR_RETURN_IF_ERROR(ValidateLimit(limit));
  std::lock_guard lock(mutex_);
  std::vector<FaceRecord> faces;
  const std::string what = "list faces of collection " + Quoted(collection_id) +
                           " indexed before " + std::to_string(before_ms);
  CANDOR_RETURN_IF_ERROR(InTransaction(false, what, [&]() -> Status {
    faces.clear();
    CANDOR_RETURN_IF_ERROR(CheckCollectionExists(collection_id));
    CANDOR_ASSIGN_OR_RETURN(
        Result r, Exec(kListFacesIndexedBefore,
                       {Param::Text(collection_id), Param::Int(before_ms), Param::Int(limit)},
                       what));
    for (int i = 0; i < r.rows(); ++i) {
      CANDOR_RETURN_IF_ERROR(ReadFace(r, i, false, &faces.emplace_back()));
    }
    return Status::Ok();
  }));
  return faces;
}

Status PostgresStore::ForEachFace(const std::string& collection_id,
                                  const std::function<void(const FaceRecord&)>& fn) {
  std::lock_guard lock(mutex_);
  const std::string what = "read faces of collection " + Quoted(collection_id);
  // One snapshot and one query, whose rows are handed to `fn` as they arrive
  // (single-row mode): PostgreSQL reads and detoasts the next embeddings
  // while this process indexes the last ones, and memory holds one row
  // whatever the size of the collection. It replaced pages of 1,000 rows
  // by row_id, in which the two sides took turns (bench/join_bench, 1M
  // faces on a loaded 2-core machine: median 15.3 s before, 9.1 s after;
  // README). A read-only snapshot is never retried, so `fn` sees each face
  // once.
  return InTransaction(false, what, [&]() -> Status {
    CANDOR_RETURN_IF_ERROR(CheckCollectionExists(collection_id));
    FaceRecord face;
    return db_.ExecStreamed(kForEachFace, {Param::Text(collection_id)}, what,
                            [&](const Result& r, int row) -> Status {
                              CANDOR_RETURN_IF_ERROR(ReadFace(r, row, true, &face));
                              fn(face);
                              return Status::Ok();
                            });
  });
}

StatusOr<std::optional<std::string>> PostgresStore::GetTokenResponse(
    const std::string& collection_id, const std::string& operation, const std::string& token) {
  std::lock_guard lock(mutex_);
  CANDOR_ASSIGN_OR_RETURN(
      Result r, Exec(kGetToken,
                     {Param::Text(collection_id), Param::Text(operation), Param::Text(token)},
                     "read request token"));
  if (r.rows() == 0) return std::optional<std::string>();
  return std::optional<std::string>(r.Bytes(0, 0));
}

Status PostgresStore::PutTokenResponse(const std::string& collection_id,
                                       const std::string& operation, const std::string& token,
                                       const std::string& response) {
  std::lock_guard lock(mutex_);
  const std::string what = "store request token of collection " + Quoted(collection_id);
  const TokenWrite write{operation, token, response};
  return InTransaction(true, what, [&]() -> Status {
    CANDOR_RETURN_IF_ERROR(CheckCollectionExists(collection_id));
    return WriteToken(collection_id, &write);
  });
}

Status PostgresStore::WriteToken(const std::string& collection_id, const TokenWrite* token) {
  if (token == nullptr) return Status::Ok();
  auto r = Exec(kPutToken,
                {Param::Text(collection_id), Param::Text(token->operation),
                 Param::Text(token->token), Param::Bytes(token->response), Param::Int(NowMs())},
                "store request token");
  if (r.status().code() == StatusCode::kAlreadyExists) {
    return Status::AlreadyExists("token " + Quoted(token->token) + " of " + token->operation +
                                 " already has a response");
  }
  return r.status();
}

}  // namespace candor::store::pg

namespace candor::store {

StatusOr<std::unique_ptr<Store>> OpenPostgresStore(const std::string& conninfo) {
  CANDOR_ASSIGN_OR_RETURN(pg::Conn conn, pg::Connect(conninfo));
  auto store = std::make_unique<pg::PostgresStore>(pg::PgDb(std::move(conn)));
  CANDOR_RETURN_IF_ERROR(store->Migrate());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace candor::store
