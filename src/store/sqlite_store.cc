// The store on SQLite. With sqlite_users.cc and sqlite_policies.cc, the
// store's part of the SQLite adapter; what it shares with the audit log
// (statements, transactions, errors, opening a file) is in sqlite_util.h.
//
// Settings of every connection, and why:
//  - journal_mode=WAL: readers never block the writer, a commit appends to
//    one file, and a crash at any moment leaves the database at its last
//    commit (a torn tail of the log fails its checksums and is ignored).
//  - synchronous=FULL: the log is fsync'ed at every commit, so a commit that
//    returned survives power loss, not only a killed process. With NORMAL,
//    WAL mode fsyncs only at checkpoints and the last commits before a power
//    cut can vanish; DESIGN.md promises that no committed face is ever lost.
//  - secure_delete=ON: deleted rows are overwritten with zeros in their pages
//    (and freed pages zeroed) instead of lingering in free space: erasing a
//    face must erase its biometric vector. Old page images of the WAL are
//    removed by a TRUNCATE checkpoint after every delete (see
//    CheckpointForErasure). This is erasure at the level of files; blocks the
//    file system or the disk itself keeps are beyond a database's reach.
//  - foreign_keys=ON: deleting a collection cascades to its faces, users,
//    policy and tokens inside the same transaction.
//  - busy_timeout: another process on the same data directory (the CLI beside
//    the server) waits for a lock instead of failing at once.
#include "store/sqlite_store.h"

#include <sqlite3.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <mutex>
#include <set>
#include <string_view>
#include <utility>

#include "store/data_dir.h"
#include "store/face_codec.h"
#include "store/schema.h"
#include "store/sqlite_store_impl.h"
#include "store/statements.h"

namespace candor::store {
namespace {

constexpr char kDatabaseFileName[] = "candor.db";
// Beyond this the WAL file is truncated back after a checkpoint resets it.
constexpr int64_t kJournalSizeLimitBytes = 64 << 20;
// Page cache per connection (negative = KiB): the face_id indexes of 100k faces
// take about 10 MB.
constexpr int kCacheSizeKiB = 16 << 10;
// quick_check lists at most this many problems in an error message.
constexpr int kQuickCheckMaxMessages = 5;

}  // namespace

Status SqliteStore::InTransaction(bool write, std::string_view what,
                                  const std::function<Status()>& body) {
  if (!write) return db_.InTransaction(false, what, body);
  // A write also leaves its journal row (and takes resolved ones away) in
  // the same transaction: store/write_journal.h.
  std::vector<std::string> deleted;
  CANDOR_RETURN_IF_ERROR(db_.InTransaction(true, what, [&]() -> Status {
    ScopedChangeList changes;
    CANDOR_RETURN_IF_ERROR(body());
    return WriteJournal(what, changes.changes(), &deleted);
  }));
  if (!deleted.empty()) {
    std::lock_guard lock(resolved_mu_);
    std::erase_if(resolved_, [&](const std::string& id) {
      return std::find(deleted.begin(), deleted.end(), id) != deleted.end();
    });
  }
  if (erasure_pending_) CheckpointForErasure();
  return Status::Ok();
}

Status SqliteStore::CheckCollectionExists(const std::string& collection_id) {
  CANDOR_ASSIGN_OR_RETURN(Statement stmt, Prepare(kCollectionExists));
  stmt.Bind(1, collection_id);
  const int rc = stmt.Step();
  if (rc == SQLITE_ROW) return Status::Ok();
  if (rc == SQLITE_DONE) {
    return Status::NotFound("collection " + Quoted(collection_id) + " does not exist");
  }
  return Error(rc, "look up collection " + Quoted(collection_id));
}

Status SqliteStore::ReadFace(const Statement& stmt, bool with_embedding, FaceRecord* face) const {
  face->row_id = stmt.Int(0);
  face->face_id = stmt.Text(1);
  face->image_id = stmt.Text(2);
  face->external_image_id = stmt.Text(3);
  face->user_id = stmt.Text(4);
  face->box.left = static_cast<float>(stmt.Double(5));
  face->box.top = static_cast<float>(stmt.Double(6));
  face->box.width = static_cast<float>(stmt.Double(7));
  face->box.height = static_cast<float>(stmt.Double(8));
  face->confidence = static_cast<float>(stmt.Double(9));
  face->face_model_version = stmt.Text(10);
  face->indexed_ms = stmt.Int(11);
  face->embedding.clear();
  if (with_embedding) {
    const size_t size = stmt.IsBlob(kEmbeddingColumn) ? stmt.BlobSize(kEmbeddingColumn) : 0;
    if (!DecodeEmbedding(stmt.BlobData(kEmbeddingColumn), size, &face->embedding)) {
      return Status::Corruption("face " + Quoted(face->face_id) + " in " + db_.path() +
                                " has an embedding of " + std::to_string(size) +
                                " bytes, expected " + std::to_string(kEmbeddingBytes));
    }
  }
  return Status::Ok();
}

void SqliteStore::CheckpointForErasure() {
  const int rc = sqlite3_wal_checkpoint_v2(db_.handle(), nullptr, SQLITE_CHECKPOINT_TRUNCATE,
                                           nullptr, nullptr);
  // SQLITE_BUSY: a reader on another connection still uses old page images;
  // the delete itself is committed, only their removal from the WAL waits.
  erasure_pending_ = rc != SQLITE_OK;
}

Status SqliteStore::Migrate() {
  std::lock_guard lock(mutex_);
  for (;;) {
    bool done = false;
    // The version is read under the write lock: another process may have
    // migrated the file since it was inspected.
    CANDOR_RETURN_IF_ERROR(InTransaction(true, "migrate schema", [&]() -> Status {
      int64_t version = -1;
      {
        CANDOR_ASSIGN_OR_RETURN(Statement stmt, Prepare("PRAGMA user_version"));
        const int rc = stmt.Step();
        if (rc != SQLITE_ROW) return Error(rc, "read schema version");
        version = stmt.Int(0);
      }
      if (version < 0 || version > kSchemaVersion) {
        return Status::Unsupported(db_.path() + " changed to schema version " +
                                   std::to_string(version) + " while it was opened");
      }
      done = version == kSchemaVersion;
      if (done) return Status::Ok();
      const Migration& step = Migrations()[version];
      const std::string what = "migrate " + db_.path() + " to schema version " +
                               std::to_string(step.to_version) + " (" + step.description + ")";
      CANDOR_RETURN_IF_ERROR(Exec(step.sql, what));
      return Exec("PRAGMA application_id = " + std::to_string(kApplicationId) +
                      "; PRAGMA user_version = " + std::to_string(step.to_version),
                  what);
    }));
    if (done) return Status::Ok();
  }
}

Status SqliteStore::CreateCollection(const CollectionRecord& record) {
  if (record.collection_id.empty()) return Status::InvalidArgument("collection id is empty");
  std::lock_guard lock(mutex_);
  const std::string what = "create collection " + Quoted(record.collection_id);
  return InTransaction(true, what, [&]() -> Status {
    CANDOR_ASSIGN_OR_RETURN(Statement stmt, Prepare(kInsertCollection));
    stmt.Bind(1, record.collection_id);
    stmt.Bind(2, record.face_model_version);
    stmt.Bind(3, record.created_ms);
    const int rc = stmt.Step();
    if (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE) {
      return Status::AlreadyExists("collection " + Quoted(record.collection_id) +
                                   " already exists");
    }
    return rc == SQLITE_DONE ? Status::Ok() : Error(rc, what);
  });
}

StatusOr<CollectionRecord> SqliteStore::GetCollection(const std::string& collection_id) {
  std::lock_guard lock(mutex_);
  CANDOR_ASSIGN_OR_RETURN(Statement stmt, Prepare(kGetCollection));
  stmt.Bind(1, collection_id);
  const int rc = stmt.Step();
  if (rc == SQLITE_DONE) {
    return Status::NotFound("collection " + Quoted(collection_id) + " does not exist");
  }
  if (rc != SQLITE_ROW) return Error(rc, "read collection " + Quoted(collection_id));
  return CollectionRecord{stmt.Text(0), stmt.Text(1), stmt.Int(2), stmt.Int(3), stmt.Int(4)};
}

StatusOr<std::vector<CollectionRecord>> SqliteStore::ListCollections(const std::string& after,
                                                                     int limit) {
  CANDOR_RETURN_IF_ERROR(ValidateLimit(limit));
  std::lock_guard lock(mutex_);
  CANDOR_ASSIGN_OR_RETURN(Statement stmt, Prepare(kListCollections));
  stmt.Bind(1, after);
  stmt.Bind(2, static_cast<int64_t>(limit));
  std::vector<CollectionRecord> collections;
  int rc;
  while ((rc = stmt.Step()) == SQLITE_ROW) {
    collections.push_back({stmt.Text(0), stmt.Text(1), stmt.Int(2), stmt.Int(3), stmt.Int(4)});
  }
  if (rc != SQLITE_DONE) return Error(rc, "list collections");
  return collections;
}

Status SqliteStore::DeleteCollection(const std::string& collection_id) {
  std::lock_guard lock(mutex_);
  const std::string what = "delete collection " + Quoted(collection_id);
  CANDOR_RETURN_IF_ERROR(InTransaction(true, what, [&]() -> Status {
    CANDOR_ASSIGN_OR_RETURN(Statement stmt, Prepare(kDeleteCollection));
    stmt.Bind(1, collection_id);
    const int rc = stmt.Step();
    if (rc != SQLITE_DONE) return Error(rc, what);
    if (sqlite3_changes64(db_.handle()) == 0) {
      return Status::NotFound("collection " + Quoted(collection_id) + " does not exist");
    }
    return Status::Ok();
  }));
  CheckpointForErasure();
  return Status::Ok();
}

Status SqliteStore::InsertFaces(const std::string& collection_id, std::vector<FaceRecord>* faces) {
  if (faces == nullptr) return Status::InvalidArgument("no faces given");
  for (const FaceRecord& face : *faces) CANDOR_RETURN_IF_ERROR(ValidateFace(face));
  std::vector<std::string> embeddings;
  embeddings.reserve(faces->size());
  for (const FaceRecord& face : *faces) embeddings.push_back(EncodeEmbedding(face.embedding));

  std::lock_guard lock(mutex_);
  std::vector<int64_t> row_ids;
  const std::string what = "insert faces into collection " + Quoted(collection_id);
  CANDOR_RETURN_IF_ERROR(InTransaction(true, what, [&]() -> Status {
    CANDOR_RETURN_IF_ERROR(CheckCollectionExists(collection_id));
    for (size_t i = 0; i < faces->size(); ++i) {
      const FaceRecord& face = (*faces)[i];
      CANDOR_ASSIGN_OR_RETURN(Statement stmt, Prepare(kInsertFace));
      stmt.Bind(1, collection_id);
      stmt.Bind(2, face.face_id);
      stmt.Bind(3, face.image_id);
      stmt.Bind(4, face.external_image_id);
      stmt.Bind(5, face.user_id);
      stmt.Bind(6, static_cast<double>(face.box.left));
      stmt.Bind(7, static_cast<double>(face.box.top));
      stmt.Bind(8, static_cast<double>(face.box.width));
      stmt.Bind(9, static_cast<double>(face.box.height));
      stmt.Bind(10, static_cast<double>(face.confidence));
      stmt.Bind(11, face.face_model_version);
      stmt.Bind(12, face.indexed_ms);
      stmt.BindBlob(13, embeddings[i]);
      const int rc = stmt.Step();
      if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
        return Status::AlreadyExists("face " + Quoted(face.face_id) + " already exists");
      }
      if (rc != SQLITE_DONE) return Error(rc, what);
      row_ids.push_back(sqlite3_last_insert_rowid(db_.handle()));
    }
    nlohmann::json ids = nlohmann::json::array();
    for (const FaceRecord& face : *faces) ids.push_back(face.face_id);
    NoteChange({{"CollectionId", collection_id}, {"FaceIds", std::move(ids)}});
    return Status::Ok();
  }));
  // Only now, when all of them are committed.
  for (size_t i = 0; i < faces->size(); ++i) (*faces)[i].row_id = row_ids[i];
  return Status::Ok();
}

StatusOr<std::vector<FaceRecord>> SqliteStore::ListFaces(const std::string& collection_id,
                                                         const std::string& after_face_id,
                                                         int limit, bool with_embeddings) {
  CANDOR_RETURN_IF_ERROR(ValidateLimit(limit));
  std::lock_guard lock(mutex_);
  std::vector<FaceRecord> faces;
  const std::string what = "list faces of collection " + Quoted(collection_id);
  CANDOR_RETURN_IF_ERROR(InTransaction(false, what, [&]() -> Status {
    CANDOR_RETURN_IF_ERROR(CheckCollectionExists(collection_id));
    CANDOR_ASSIGN_OR_RETURN(Statement stmt,
                            Prepare(with_embeddings ? kListFacesWithEmbeddings : kListFaces));
    stmt.Bind(1, collection_id);
    stmt.Bind(2, after_face_id);
    stmt.Bind(3, static_cast<int64_t>(limit));
    int rc;
    while ((rc = stmt.Step()) == SQLITE_ROW) {
      CANDOR_RETURN_IF_ERROR(ReadFace(stmt, with_embeddings, &faces.emplace_back()));
    }
    return rc == SQLITE_DONE ? Status::Ok() : Error(rc, what);
  }));
  return faces;
}

StatusOr<std::vector<FaceRecord>> SqliteStore::GetFaces(const std::string& collection_id,
                                                        const std::vector<std::string>& face_ids,
                                                        bool with_embeddings) {
  std::lock_guard lock(mutex_);
  std::vector<FaceRecord> faces;
  const std::string what = "read faces of collection " + Quoted(collection_id);
  CANDOR_RETURN_IF_ERROR(InTransaction(false, what, [&]() -> Status {
    CANDOR_RETURN_IF_ERROR(CheckCollectionExists(collection_id));
    std::set<std::string_view> seen;
    for (const std::string& face_id : face_ids) {
      if (!seen.insert(face_id).second) continue;
      CANDOR_ASSIGN_OR_RETURN(Statement stmt,
                              Prepare(with_embeddings ? kGetFaceWithEmbedding : kGetFace));
      stmt.Bind(1, collection_id);
      stmt.Bind(2, face_id);
      const int rc = stmt.Step();
      if (rc == SQLITE_ROW) {
        CANDOR_RETURN_IF_ERROR(ReadFace(stmt, with_embeddings, &faces.emplace_back()));
      } else if (rc != SQLITE_DONE) {
        return Error(rc, what);
      }
    }
    return Status::Ok();
  }));
  return faces;
}

StatusOr<std::vector<std::string>> SqliteStore::DeleteFaces(
    const std::string& collection_id, const std::vector<std::string>& face_ids) {
  std::lock_guard lock(mutex_);
  std::vector<std::string> deleted;
  const std::string what = "delete faces of collection " + Quoted(collection_id);
  CANDOR_RETURN_IF_ERROR(InTransaction(true, what, [&]() -> Status {
    deleted.clear();
    CANDOR_RETURN_IF_ERROR(CheckCollectionExists(collection_id));
    for (const std::string& face_id : face_ids) {
      CANDOR_ASSIGN_OR_RETURN(Statement stmt, Prepare(kDeleteFace));
      stmt.Bind(1, collection_id);
      stmt.Bind(2, face_id);
      const int rc = stmt.Step();
      if (rc != SQLITE_DONE) return Error(rc, what);
      // A repeated id deletes nothing the second time, so it is listed once.
      if (sqlite3_changes64(db_.handle()) > 0) deleted.push_back(face_id);
    }
    NoteChange({{"CollectionId", collection_id}, {"DeletedFaceIds", deleted}});
    return Status::Ok();
  }));
  if (!deleted.empty()) CheckpointForErasure();
  return deleted;
}

StatusOr<std::vector<FaceRecord>> SqliteStore::ListFacesIndexedBefore(
    const std::string& collection_id, int64_t before_ms, int limit) {
  CANDOR_RETURN_IF_ERROR(ValidateLimit(limit));
  std::lock_guard lock(mutex_);
  std::vector<FaceRecord> faces;
  const std::string what = "list faces of collection " + Quoted(collection_id) +
                           " indexed before " + std::to_string(before_ms);
  CANDOR_RETURN_IF_ERROR(InTransaction(false, what, [&]() -> Status {
    CANDOR_RETURN_IF_ERROR(CheckCollectionExists(collection_id));
    CANDOR_ASSIGN_OR_RETURN(Statement stmt, Prepare(kListFacesIndexedBefore));
    stmt.Bind(1, collection_id);
    stmt.Bind(2, before_ms);
    stmt.Bind(3, static_cast<int64_t>(limit));
    int rc;
    while ((rc = stmt.Step()) == SQLITE_ROW) {
      CANDOR_RETURN_IF_ERROR(ReadFace(stmt, false, &faces.emplace_back()));
    }
    return rc == SQLITE_DONE ? Status::Ok() : Error(rc, what);
  }));
  return faces;
}

Status SqliteStore::ForEachFace(const std::string& collection_id,
                                const std::function<void(const FaceRecord&)>& fn) {
  std::lock_guard lock(mutex_);
  const std::string what = "read faces of collection " + Quoted(collection_id);
  return InTransaction(false, what, [&]() -> Status {
    CANDOR_RETURN_IF_ERROR(CheckCollectionExists(collection_id));
    CANDOR_ASSIGN_OR_RETURN(Statement stmt, Prepare(kForEachFace));
    stmt.Bind(1, collection_id);
    FaceRecord face;
    int rc;
    while ((rc = stmt.Step()) == SQLITE_ROW) {
      CANDOR_RETURN_IF_ERROR(ReadFace(stmt, true, &face));
      fn(face);
    }
    return rc == SQLITE_DONE ? Status::Ok() : Error(rc, what);
  });
}

StatusOr<std::optional<std::string>> SqliteStore::GetTokenResponse(const std::string& collection_id,
                                                                   const std::string& operation,
                                                                   const std::string& token) {
  std::lock_guard lock(mutex_);
  CANDOR_ASSIGN_OR_RETURN(Statement stmt, Prepare(kGetToken));
  stmt.Bind(1, collection_id);
  stmt.Bind(2, operation);
  stmt.Bind(3, token);
  const int rc = stmt.Step();
  if (rc == SQLITE_DONE) return std::optional<std::string>();
  if (rc != SQLITE_ROW) return Error(rc, "read request token");
  return std::optional<std::string>(stmt.Blob(0));
}

Status SqliteStore::PutTokenResponse(const std::string& collection_id, const std::string& operation,
                                     const std::string& token, const std::string& response) {
  std::lock_guard lock(mutex_);
  const std::string what = "store request token of collection " + Quoted(collection_id);
  const TokenWrite write{operation, token, response};
  return InTransaction(true, what, [&]() -> Status {
    CANDOR_RETURN_IF_ERROR(CheckCollectionExists(collection_id));
    return WriteToken(collection_id, &write);
  });
}

Status SqliteStore::WriteToken(const std::string& collection_id, const TokenWrite* token) {
  if (token == nullptr) return Status::Ok();
  CANDOR_ASSIGN_OR_RETURN(Statement stmt, Prepare(kPutToken));
  stmt.Bind(1, collection_id);
  stmt.Bind(2, token->operation);
  stmt.Bind(3, token->token);
  stmt.BindBlob(4, token->response);
  stmt.Bind(5, NowMs());
  const int rc = stmt.Step();
  if (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE) {
    return Status::AlreadyExists("token " + Quoted(token->token) + " of " + token->operation +
                                 " already has a response");
  }
  return rc == SQLITE_DONE ? Status::Ok() : Error(rc, "store request token");
}

StatusOr<FaceDeletion> SqliteStore::DeleteUnassociatedFaces(
    const std::string& collection_id, const std::vector<std::string>& face_ids) {
  std::lock_guard lock(mutex_);
  FaceDeletion deletion;
  const std::string what = "delete faces of collection " + Quoted(collection_id);
  CANDOR_RETURN_IF_ERROR(InTransaction(true, what, [&]() -> Status {
    deletion = FaceDeletion();
    CANDOR_RETURN_IF_ERROR(CheckCollectionExists(collection_id));
    for (const std::string& face_id : face_ids) {
      std::string user_id;
      {
        CANDOR_ASSIGN_OR_RETURN(Statement stmt, Prepare(kGetFaceUser));
        stmt.Bind(1, collection_id);
        stmt.Bind(2, face_id);
        const int rc = stmt.Step();
        if (rc == SQLITE_DONE) continue;  // absent, or deleted earlier in this call
        if (rc != SQLITE_ROW) return Error(rc, what);
        user_id = stmt.Text(0);
      }
      if (!user_id.empty()) {
        if (std::none_of(deletion.associated.begin(), deletion.associated.end(),
                         [&](const FaceDeletion::Kept& k) { return k.face_id == face_id; })) {
          deletion.associated.push_back({face_id, user_id});
        }
        continue;
      }
      CANDOR_ASSIGN_OR_RETURN(Statement stmt, Prepare(kDeleteFace));
      stmt.Bind(1, collection_id);
      stmt.Bind(2, face_id);
      const int rc = stmt.Step();
      if (rc != SQLITE_DONE) return Error(rc, what);
      if (sqlite3_changes64(db_.handle()) > 0) deletion.deleted.push_back(face_id);
    }
    NoteChange({{"CollectionId", collection_id}, {"DeletedFaceIds", deletion.deleted}});
    return Status::Ok();
  }));
  if (!deletion.deleted.empty()) CheckpointForErasure();
  return deletion;
}

namespace {

std::string Join(const std::vector<std::string>& values) {
  std::string joined;
  for (const std::string& v : values) joined += (joined.empty() ? "" : ", ") + v;
  return joined.empty() ? "none" : joined;
}

// Checks, reading only, that the file is empty or a Candor database that this
// build can use. Sets `*empty` when it has no pages yet.
Status InspectDatabase(sqlite3* db, const std::string& path, const SqliteStoreOptions& options,
                       bool* empty) {
  const std::string unchanged = "; it was left unchanged";
  // The first read of the file: a file SQLite cannot parse fails here.
  CANDOR_ASSIGN_OR_RETURN(const int64_t application_id,
                          QueryInt(db, "PRAGMA application_id", "read the database header", path));
  CANDOR_ASSIGN_OR_RETURN(const int64_t version,
                          QueryInt(db, "PRAGMA user_version", "read the schema version", path));
  CANDOR_ASSIGN_OR_RETURN(const std::vector<std::string> tables,
                          QueryColumn(db,
                                      "SELECT name FROM sqlite_schema WHERE type = 'table'"
                                      " AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
                                      "read the schema", path));
  CANDOR_ASSIGN_OR_RETURN(const int64_t pages,
                          QueryInt(db, "PRAGMA page_count", "read the page count", path));
  *empty = pages == 0;

  if (application_id != kApplicationId) {
    // Version 0 without tables: a new file, or SQLite's empty database.
    if (application_id != 0 || version != 0 || !tables.empty()) {
      return Status::Corruption(path + " is not a Candor database (application_id " +
                                std::to_string(application_id) + ", schema version " +
                                std::to_string(version) + ", tables: " + Join(tables) + ")" +
                                unchanged);
    }
  } else if (version > Store::kSchemaVersion) {
    return Status::Unsupported(path + " has schema version " + std::to_string(version) +
                               ", newer than version " + std::to_string(Store::kSchemaVersion) +
                               " that this build of Candor reads; use a newer Candor" + unchanged);
  } else if (version < 1) {
    return Status::Corruption(path + " is marked as Candor's but has schema version " +
                              std::to_string(version) + unchanged);
  } else if (version == Store::kSchemaVersion) {
    for (const char* table : RequiredTables()) {
      if (std::find(tables.begin(), tables.end(), table) == tables.end()) {
        return Status::Corruption(path + " has schema version " + std::to_string(version) +
                                  " but no table " + table + unchanged);
      }
    }
  }

  CANDOR_ASSIGN_OR_RETURN(const int64_t page_size,
                          QueryInt(db, "PRAGMA page_size", "read the page size", path));
  if (options.quick_check_on_open && !*empty &&
      pages * page_size <= options.quick_check_max_bytes) {
    CANDOR_ASSIGN_OR_RETURN(
        const std::vector<std::string> problems,
        QueryColumn(db, "PRAGMA quick_check(" + std::to_string(kQuickCheckMaxMessages) + ")",
                    "check the database", path));
    if (problems.size() != 1 || problems[0] != "ok") {
      return Status::Corruption(path + " fails SQLite's quick_check: " + Join(problems) +
                                unchanged);
    }
  }
  return Status::Ok();
}

// Sets the connection up as the comment at the top of this file explains.
Status ConfigureConnection(sqlite3* db, const std::string& path, const SqliteStoreOptions& options,
                           bool empty) {
  // The page size of a file is fixed once it has pages (and WAL mode is on).
  if (empty) {
    CANDOR_RETURN_IF_ERROR(
        ExecOn(db, "PRAGMA page_size = " + std::to_string(kPageSize), "set the page size", path));
  }
  CANDOR_ASSIGN_OR_RETURN(const std::vector<std::string> mode,
                          QueryColumn(db, "PRAGMA journal_mode = WAL", "enable WAL mode", path));
  if (mode.size() != 1 || mode[0] != "wal") {
    return Status::Unsupported(path + ": SQLite cannot use WAL mode here (journal mode " +
                               Join(mode) + "); the data directory must be on a local file system");
  }
  std::string settings =
      "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;"
      " PRAGMA secure_delete = ON; PRAGMA journal_size_limit = " +
      std::to_string(kJournalSizeLimitBytes) +
      "; PRAGMA cache_size = " + std::to_string(-kCacheSizeKiB) + ";";
  if (options.max_page_count_for_testing > 0) {
    settings += " PRAGMA max_page_count = " + std::to_string(options.max_page_count_for_testing);
  }
  CANDOR_RETURN_IF_ERROR(ExecOn(db, settings, "configure the connection", path));
  // Pragmas that a build of SQLite does not support are silently ignored:
  // make sure the ones that durability and erasure rest on took effect.
  const std::pair<const char*, int64_t> expected[] = {
      {"PRAGMA synchronous", 2}, {"PRAGMA foreign_keys", 1}, {"PRAGMA secure_delete", 1}};
  for (const auto& [pragma, value] : expected) {
    CANDOR_ASSIGN_OR_RETURN(const int64_t actual, QueryInt(db, pragma, pragma, path));
    if (actual != value) {
      return Status::Unsupported(std::string(pragma) + " is " + std::to_string(actual) +
                                 " instead of " + std::to_string(value) +
                                 " with this build of SQLite (" + path + ")");
    }
  }
  return Status::Ok();
}

}  // namespace

std::string SqliteDatabasePath(const std::string& data_dir) {
  return (std::filesystem::path(data_dir) / kDatabaseFileName).string();
}

StatusOr<std::unique_ptr<Store>> OpenSqliteStore(const std::string& data_dir,
                                                 const SqliteStoreOptions& options) {
  if (data_dir.empty()) return Status::InvalidArgument("the data directory is empty");
  CANDOR_RETURN_IF_ERROR(EnsureDataDirectory(data_dir));
  const std::string path = SqliteDatabasePath(data_dir);
  bool is_new = false;
  CANDOR_RETURN_IF_ERROR(CheckDatabaseFileHeader(path, &is_new));

  // Nothing may be written before the file is known to be ours and readable
  // (see OpenForInspection).
  CANDOR_ASSIGN_OR_RETURN(
      Connection db, OpenForInspection(path, false, options.busy_timeout_ms, "open the database"));
  bool empty = false;
  CANDOR_RETURN_IF_ERROR(InspectDatabase(db.get(), path, options, &empty));
  CANDOR_RETURN_IF_ERROR(AllowWrites(db.get(), path));
  CANDOR_RETURN_IF_ERROR(ConfigureConnection(db.get(), path, options, empty));

  auto store = std::make_unique<SqliteStore>(std::move(db), path);
  CANDOR_RETURN_IF_ERROR(store->Migrate());
  if (is_new) CANDOR_RETURN_IF_ERROR(FsyncDirectory(data_dir));
  return std::unique_ptr<Store>(std::move(store));
}

StatusOr<std::unique_ptr<Store>> Store::OpenSqlite(const std::string& data_dir) {
  return OpenSqliteStore(data_dir, SqliteStoreOptions());
}

}  // namespace candor::store
