// The PostgreSQL store's internals, shared by the files of its adapter
// around libpq: pg_store.cc (schema, migrations, collections, faces,
// tokens), pg_users.cc (users, policies, tags, the audit journal) and
// pg_changes.cc (the change log of store/change_feed.h). Nothing outside
// src/store includes this header.
#ifndef CANDOR_STORE_PG_STORE_IMPL_H_
#define CANDOR_STORE_PG_STORE_IMPL_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "candor/status.h"
#include "store/change_feed.h"
#include "store/pg_util.h"
#include "store/store.h"
#include "store/store_impl_common.h"
#include "store/write_journal.h"

namespace candor::store::pg {

// The Store on one PostgreSQL connection.
//
// Thread safety: safe for concurrent use; every method holds mutex_ for its
// whole duration, so calls of one PostgresStore run one at a time on its one
// connection. That is enough for this first step (one API node per store
// object, as with SQLite); a pool of connections, so that the reads of one
// node run in parallel, is a later one. Other processes on the same database
// are other connections, and the SERIALIZABLE write transactions keep them
// apart. ForEachFace calls `fn` with mutex_ held: `fn` must not call back
// into the Store.
class PostgresStore final : public Store {
 public:
  explicit PostgresStore(PgDb db) : db_(std::move(db)) {}

  // Creates or migrates the tables; see OpenPostgresStore.
  Status Migrate();
  Status MigrateLocked();  // Migrate's work, under its lock

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
  StatusOr<FaceDeletion> DeleteUnassociatedFaces(const std::string& collection_id,
                                                 const std::vector<std::string>& face_ids) override;
  StatusOr<std::vector<FaceRecord>> ListFacesIndexedBefore(const std::string& collection_id,
                                                           int64_t before_ms, int limit) override;
  Status ForEachFace(const std::string& collection_id,
                     const std::function<void(const FaceRecord&)>& fn) override;

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

  StatusOr<std::optional<PolicyRecord>> GetPolicy(const std::string& collection_id) override;
  Status PutPolicy(const std::string& collection_id, const PolicyRecord& policy) override;
  StatusOr<std::map<std::string, std::string>> GetTags(const std::string& collection_id) override;
  Status UpdateTags(const std::string& collection_id, const std::map<std::string, std::string>& set,
                    const std::vector<std::string>& remove, size_t max_tags) override;

  StatusOr<std::vector<JournalEntry>> ListJournal() override;
  void ResolveJournal(const std::string& request_id) override;
  Status FlushJournal() override;

  StatusOr<std::optional<std::string>> GetTokenResponse(const std::string& collection_id,
                                                        const std::string& operation,
                                                        const std::string& token) override;
  Status PutTokenResponse(const std::string& collection_id, const std::string& operation,
                          const std::string& token, const std::string& response) override;

  // The change log (pg_changes.cc).
  StatusOr<ChangeBatch> ReadChanges(int64_t after_seq, int64_t through_seq,
                                    const std::string& collection_id, int limit) override;
  StatusOr<int64_t> LatestChangeSeq() override;
  StatusOr<int64_t> PruneChanges(int64_t before_ms) override;

 private:
  StatusOr<Result> Exec(std::string_view sql, const std::vector<Param>& params,
                        std::string_view what) {
    return db_.Exec(sql, params, what);
  }
  // A write also leaves its journal row (and takes resolved ones away) in
  // the same transaction, as SqliteStore::InTransaction.
  Status InTransaction(bool write, std::string_view what, const std::function<Status()>& body);
  Status WriteJournal(std::string_view what, const nlohmann::json& changes,
                      std::vector<std::string>* deleted);
  // Within a write transaction's body: the change-log row it will write
  // (the last call wins; the body starts afresh at each attempt).
  void LogChange(ChangeKind kind, const std::string& collection_id,
                 std::vector<std::string> face_ids = {});
  // Writes the row LogChange noted, as the transaction's last statement
  // (pg_changes.cc); sets *seq to its number (0 when none was noted).
  Status WriteChange(int64_t* seq);
  Status CheckCollectionExists(const std::string& collection_id);
  Status WriteToken(const std::string& collection_id, const TokenWrite* token);
  StatusOr<UserRecord> ReadUser(const std::string& collection_id, const std::string& user_id);
  StatusOr<std::vector<std::string>> ReadFacesOfUser(const std::string& collection_id,
                                                     const std::string& user_id);
  Status ReadFace(const Result& r, int row, bool with_embedding, FaceRecord* face) const;
  // After a committed deletion of faces (InTransaction): rewrites the faces table, its TOAST
  // table and its indexes (VACUUM FULL) so that no file of them keeps the
  // deleted embeddings (see the top of pg_store.cc). Outside any
  // transaction, with mutex_ held. When it cannot run now (a lock held by
  // another connection past kEraseLockTimeout, a lost connection) the
  // deletion stays committed and erasure_pending_ makes the next deletion,
  // or a write kEraseRetryMs later, try again.
  void EraseDeletedFaces();

  std::mutex mutex_;
  PgDb db_;
  // The change-log row of the write transaction in progress (guarded by
  // mutex_, as the transaction).
  std::optional<ChangeRecord> pending_change_;
  // Set by a write transaction's body that deleted faces (afresh at each
  // attempt): once it commits, InTransaction calls EraseDeletedFaces.
  bool faces_deleted_ = false;
  // A deletion whose bytes EraseDeletedFaces has not yet rewritten away
  // (guarded by mutex_).
  bool erasure_pending_ = false;
  int64_t erase_retry_after_ms_ = 0;  // NowMs() before which a write does not retry
  std::mutex resolved_mu_;
  std::vector<std::string> resolved_;  // request ids whose journal rows may go
};

}  // namespace candor::store::pg

#endif  // CANDOR_STORE_PG_STORE_IMPL_H_
