// The SQLite store's internals, shared by the files of its adapter around
// SQLite (sqlite_store.cc: connection, collections, faces, tokens;
// sqlite_users.cc: users; sqlite_policies.cc: collection policies). Nothing
// outside src/store includes this header. What the store shares with the
// audit log's SQLite file (statements, transactions, the mapping of SQLite
// errors, opening a file for inspection) is in sqlite_util.h, which audit
// includes instead.
#ifndef CANDOR_STORE_SQLITE_STORE_IMPL_H_
#define CANDOR_STORE_SQLITE_STORE_IMPL_H_

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "candor/status.h"
#include "store/sqlite_util.h"
#include "store/store.h"
#include "store/store_impl_common.h"
#include "store/write_journal.h"

namespace candor::store {

// The Store on one SQLite connection.
//
// Owns the connection and its cached prepared statements (in db_; closing
// the connection also checkpoints the WAL into the database file).
//
// Thread safety: safe for concurrent use; every method holds mutex_ for its
// whole duration, so calls run one at a time on the single connection. SQLite
// serialises writers anyway, and reads here are short index lookups, so one
// connection costs little and keeps every read consistent with the writes
// that returned before it. ForEachFace calls `fn` with mutex_ held: `fn` must
// not call back into the Store.
class SqliteStore final : public Store {
 public:
  SqliteStore(Connection db, std::string path)
      : db_(std::move(db), std::move(path), ConstraintErrors::kCallerInput) {}

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
  StatusOr<std::map<std::string, std::string>> GetTags(const std::string& collection_id) override;
  Status UpdateTags(const std::string& collection_id, const std::map<std::string, std::string>& set,
                    const std::vector<std::string>& remove, size_t max_tags) override;

  // The audit journal: sqlite_journal.cc.
  StatusOr<std::vector<JournalEntry>> ListJournal() override;
  void ResolveJournal(const std::string& request_id) override;
  Status FlushJournal() override;

 private:
  // Within a write transaction: the journal row of `what` (when this
  // thread's call has an origin), and the deletion of resolved rows.
  Status WriteJournal(std::string_view what, const nlohmann::json& changes,
                      std::vector<std::string>* deleted);

  Status Error(int rc, std::string_view what) const { return db_.Error(rc, what); }
  // A cached statement for `sql`, a string constant of statements.h.
  StatusOr<Statement> Prepare(std::string_view sql) { return db_.Prepare(sql); }
  Status Exec(const std::string& sql, std::string_view what) { return db_.Exec(sql, what); }
  // SqliteDb::InTransaction, and after a committed write the checkpoint that
  // an earlier delete still waits for (see CheckpointForErasure).
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
  SqliteDb db_;  // the connection and its cached statements
  std::mutex resolved_mu_;
  std::vector<std::string> resolved_;  // request ids whose journal rows may go
  bool erasure_pending_ = false;
};

}  // namespace candor::store

#endif  // CANDOR_STORE_SQLITE_STORE_IMPL_H_
