// The SQLite store's internals, shared by the files of its one adapter
// around SQLite (sqlite_store.cc: connection, collections, faces, tokens;
// sqlite_users.cc: users; sqlite_policies.cc: collection policies). Nothing
// outside src/store includes this header.
#ifndef CANDOR_STORE_SQLITE_STORE_IMPL_H_
#define CANDOR_STORE_SQLITE_STORE_IMPL_H_

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "candor/status.h"
#include "store/store.h"

namespace candor::store {

inline int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Built by appending: GCC 12's -Wrestrict misfires on "'" + std::string
// once this is inlined.
inline std::string Quoted(std::string_view s) {
  std::string quoted;
  quoted.reserve(s.size() + 2);
  quoted += '\'';
  quoted += s;
  quoted += '\'';
  return quoted;
}

// Maps an SQLite result code (extended codes on) to a Status. `message` is
// sqlite3_errmsg at the time of the error.
Status StatusFromSqlite(int rc, std::string_view what, std::string_view message,
                        const std::string& path);

// A cached prepared statement lent out for one use: bind, step, and on
// destruction reset with bindings cleared, ready for the next use. Values are
// bound with SQLITE_TRANSIENT (copied), so temporaries are safe to bind.
class Statement {
 public:
  explicit Statement(sqlite3_stmt* stmt) : stmt_(stmt) {}
  Statement(Statement&& other) noexcept
      : stmt_(std::exchange(other.stmt_, nullptr)), bind_rc_(other.bind_rc_) {}
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement& operator=(Statement&&) = delete;
  ~Statement() {
    if (stmt_ != nullptr) {
      sqlite3_reset(stmt_);
      sqlite3_clear_bindings(stmt_);
    }
  }

  void Bind(int index, std::string_view text) {
    Check(
        sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
  }
  void BindBlob(int index, std::string_view bytes) {
    Check(sqlite3_bind_blob64(stmt_, index, bytes.data(), bytes.size(), SQLITE_TRANSIENT));
  }
  void Bind(int index, int64_t value) { Check(sqlite3_bind_int64(stmt_, index, value)); }
  void Bind(int index, double value) { Check(sqlite3_bind_double(stmt_, index, value)); }

  // SQLITE_ROW, SQLITE_DONE or an error code (the first failed bind's, if any).
  int Step() { return bind_rc_ != SQLITE_OK ? bind_rc_ : sqlite3_step(stmt_); }

  int64_t Int(int column) const { return sqlite3_column_int64(stmt_, column); }
  double Double(int column) const { return sqlite3_column_double(stmt_, column); }
  std::string Text(int column) const {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
    return text == nullptr ? std::string() : std::string(text, sqlite3_column_bytes(stmt_, column));
  }
  std::string Blob(int column) const {
    const void* data = sqlite3_column_blob(stmt_, column);
    return data == nullptr
               ? std::string()
               : std::string(static_cast<const char*>(data), sqlite3_column_bytes(stmt_, column));
  }
  bool IsBlob(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_BLOB; }
  const void* BlobData(int column) const { return sqlite3_column_blob(stmt_, column); }
  size_t BlobSize(int column) const { return sqlite3_column_bytes(stmt_, column); }

 private:
  void Check(int rc) {
    if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  }

  sqlite3_stmt* stmt_;
  int bind_rc_ = SQLITE_OK;
};

inline Status ValidateLimit(int limit) {
  if (limit <= 0)
    return Status::InvalidArgument("limit must be positive, got " + std::to_string(limit));
  return Status::Ok();
}

// The Store on one SQLite connection.
//
// Owns the connection (closed by the destructor, which also checkpoints the
// WAL into the database file) and its cached prepared statements.
//
// Thread safety: safe for concurrent use; every method holds mutex_ for its
// whole duration, so calls run one at a time on the single connection. SQLite
// serialises writers anyway, and reads here are short index lookups, so one
// connection costs little and keeps every read consistent with the writes
// that returned before it. ForEachFace calls `fn` with mutex_ held: `fn` must
// not call back into the Store.
class SqliteStore final : public Store {
 public:
  SqliteStore(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  ~SqliteStore() override {
    for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
    sqlite3_close_v2(db_);
  }

  // Brings the file to kSchemaVersion; see OpenSqliteStore.
  Status Migrate();

  Status CreateCollection(const CollectionRecord& record) override;
  StatusOr<CollectionRecord> GetCollection(const std::string& collection_id) override;
  StatusOr<std::vector<CollectionRecord>> ListCollections(const std::string& after,
                                                          int limit) override;
  Status DeleteCollection(const std::string& collection_id) override;
  Status InsertFaces(const std::string& collection_id, std::vector<FaceRecord>* faces) override;
  StatusOr<std::vector<FaceRecord>> ListFaces(const std::string& collection_id,
                                              const std::string& after_face_id, int limit,
                                              bool with_embeddings) override;
  StatusOr<std::vector<FaceRecord>> GetFaces(const std::string& collection_id,
                                             const std::vector<std::string>& face_ids,
                                             bool with_embeddings) override;
  StatusOr<std::vector<std::string>> DeleteFaces(const std::string& collection_id,
                                                 const std::vector<std::string>& face_ids) override;
  StatusOr<std::vector<FaceRecord>> ListFacesIndexedBefore(const std::string& collection_id,
                                                           int64_t before_ms, int limit) override;
  Status ForEachFace(const std::string& collection_id,
                     const std::function<void(const FaceRecord&)>& fn) override;
  StatusOr<std::optional<std::string>> GetTokenResponse(const std::string& collection_id,
                                                        const std::string& operation,
                                                        const std::string& token) override;
  Status PutTokenResponse(const std::string& collection_id, const std::string& operation,
                          const std::string& token, const std::string& response) override;
  StatusOr<FaceDeletion> DeleteUnassociatedFaces(const std::string& collection_id,
                                                 const std::vector<std::string>& face_ids) override;

  // Users: sqlite_users.cc.
  Status CreateUser(const std::string& collection_id, const UserRecord& user,
                    const TokenWrite* token) override;
  StatusOr<UserRecord> GetUser(const std::string& collection_id,
                               const std::string& user_id) override;
  StatusOr<std::vector<UserRecord>> ListUsers(const std::string& collection_id,
                                              const std::string& after_user_id, int limit) override;
  StatusOr<std::vector<std::string>> FacesOfUser(const std::string& collection_id,
                                                 const std::string& user_id) override;
  StatusOr<std::vector<std::string>> DeleteUser(const std::string& collection_id,
                                                const std::string& user_id,
                                                const TokenWrite* token) override;
  Status UpdateUserFaces(const std::string& collection_id, const std::string& user_id,
                         const std::vector<std::string>& associate,
                         const std::vector<std::string>& disassociate, int max_user_faces,
                         const TokenWrite* token) override;

  // Collection policies: sqlite_policies.cc.
  StatusOr<std::optional<PolicyRecord>> GetPolicy(const std::string& collection_id) override;
  Status PutPolicy(const std::string& collection_id, const PolicyRecord& policy) override;

 private:
  Status Error(int rc, std::string_view what) const {
    return StatusFromSqlite(rc, what, sqlite3_errmsg(db_), path_);
  }
  // A cached statement for `sql`, a string constant of this file.
  StatusOr<Statement> Prepare(std::string_view sql);
  // Runs `sql` (any number of statements, no results) uncached.
  Status Exec(const std::string& sql, std::string_view what);
  // Runs `body` in one transaction: BEGIN IMMEDIATE when `write` (so the
  // write lock is taken up front and a busy database fails before any work),
  // plain BEGIN otherwise (one consistent snapshot for a multi-statement read).
  // COMMIT when `body` returns Ok; ROLLBACK when it fails, throws or COMMIT
  // fails, so that nothing of a failed call is applied.
  Status InTransaction(bool write, std::string_view what, const std::function<Status()>& body);
  // NotFound unless the collection exists.
  Status CheckCollectionExists(const std::string& collection_id);
  // Inserts a token's response, inside a write transaction; nothing when
  // `token` is null. AlreadyExists when the token has a response already.
  Status WriteToken(const std::string& collection_id, const TokenWrite* token);
  // Within a transaction: NotFound unless the user exists; its face count.
  StatusOr<UserRecord> ReadUser(const std::string& collection_id, const std::string& user_id);
  StatusOr<std::vector<std::string>> ReadFacesOfUser(const std::string& collection_id,
                                                     const std::string& user_id);
  // Fills `face` from the current row of a face query.
  Status ReadFace(const Statement& stmt, bool with_embedding, FaceRecord* face) const;
  // Copies the WAL into the database file and truncates the WAL, so that the
  // page images that held deleted rows are gone from every file. Called after
  // a delete commits; when another connection's reader prevents it, it is
  // retried after the next write and at close.
  void CheckpointForErasure();

  std::mutex mutex_;
  sqlite3* const db_;  // owned
  const std::string path_;
  std::unordered_map<std::string_view, sqlite3_stmt*> statements_;  // owned
  bool erasure_pending_ = false;
};

}  // namespace candor::store

#endif  // CANDOR_STORE_SQLITE_STORE_IMPL_H_
