// The durable store of collections, faces (embeddings and metadata, never
// images), users, collection policies and idempotency tokens.
//
// A Store is safe for concurrent use from multiple threads without external
// synchronization. Every mutating call is one transaction: when it returns
// Ok, the change is durable (it survives kill -9 and power loss); when it
// returns an error, nothing of it was applied.
#ifndef CANDOR_STORE_STORE_H_
#define CANDOR_STORE_STORE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "candor/status.h"
#include "candor/types.h"
#include "store/change_feed.h"
#include "store/write_journal.h"

namespace candor::store {

struct CollectionRecord {
  std::string collection_id;
  std::string face_model_version;
  int64_t created_ms = 0;  // Unix epoch milliseconds
  int64_t face_count = 0;  // filled by reads
  int64_t user_count = 0;  // filled by reads
};

struct FaceRecord {
  int64_t row_id = 0;  // assigned by the store on insert; the index label
  std::string face_id;            // UUID
  std::string image_id;           // UUID, shared by faces indexed from one image
  std::string external_image_id;  // may be empty
  std::string user_id;            // empty when not associated
  BoundingBox box;                // ratios of the image, as in Rekognition
  float confidence = 0;           // detector, percent
  std::string face_model_version;
  int64_t indexed_ms = 0;
  std::vector<float> embedding;   // unit length; empty when not asked for
};

struct UserRecord {
  std::string user_id;
  int64_t created_ms = 0;
  int64_t face_count = 0;  // filled by reads
};

// The response to a request with a ClientRequestToken, written in the same
// transaction as the change it answers: a retry after a crash finds both the
// change and the response, or neither. A token already stored for the
// operation fails the whole call with AlreadyExists.
struct TokenWrite {
  std::string operation;
  std::string token;
  std::string response;
};

// A collection's policy as stored (the fields of candor::CollectionPolicy;
// their meaning, limits and defaults are documented there). The store keeps
// what it is given: validating it is the caller's job.
struct PolicyRecord {
  std::string purpose;
  float threshold_floor = 0;  // percent
  bool refuse_below_floor = false;
  int64_t max_faces = 0;
  bool reason_required = false;
  int64_t retention_days = 0;
  int64_t updated_ms = 0;  // set by PutPolicy to the time of the write
};

// What DeleteUnassociatedFaces did.
struct FaceDeletion {
  std::vector<std::string> deleted;
  struct Kept {
    std::string face_id;
    std::string user_id;
  };
  std::vector<Kept> associated;  // left in place: they belong to a user
};

class Store {
 public:
  // Opens (creating if needed) the SQLite store `<data_dir>/candor.db` in WAL
  // mode, migrating an older schema forward. A file from a newer schema, or
  // one that is not a Candor database or is corrupt, is an error that names
  // the file; nothing is changed in it.
  static StatusOr<std::unique_ptr<Store>> OpenSqlite(const std::string& data_dir);
  virtual ~Store() = default;

  // The schema version this build writes.
  static constexpr int kSchemaVersion = 5;

  virtual Status CreateCollection(const CollectionRecord& record) = 0;  // AlreadyExists
  virtual StatusOr<CollectionRecord> GetCollection(const std::string& collection_id) = 0;
  // Collections in id order, after `after` (exclusive; empty = from the start).
  virtual StatusOr<std::vector<CollectionRecord>> ListCollections(const std::string& after,
                                                                 int limit) = 0;
  // Deletes the collection with its faces, users, policy and tokens, in one
  // transaction. NotFound.
  virtual Status DeleteCollection(const std::string& collection_id) = 0;

  // Inserts faces into a collection in one transaction and sets their row_id.
  // NotFound when the collection does not exist.
  virtual Status InsertFaces(const std::string& collection_id, std::vector<FaceRecord>* faces) = 0;
  // Faces in face_id order after `after_face_id` (exclusive), at most `limit`.
  virtual StatusOr<std::vector<FaceRecord>> ListFaces(const std::string& collection_id,
                                                      const std::string& after_face_id, int limit,
                                                      bool with_embeddings) = 0;
  virtual StatusOr<std::vector<FaceRecord>> GetFaces(const std::string& collection_id,
                                                     const std::vector<std::string>& face_ids,
                                                     bool with_embeddings) = 0;
  // Deletes the faces that exist; returns the ids that were deleted.
  virtual StatusOr<std::vector<std::string>> DeleteFaces(
      const std::string& collection_id, const std::vector<std::string>& face_ids) = 0;
  // Deletes the faces that exist and belong to no user, in one transaction;
  // a face associated with a user is kept and reported (Rekognition's
  // ASSOCIATED_TO_AN_EXISTING_USER). Ids that do not exist are in neither list.
  virtual StatusOr<FaceDeletion> DeleteUnassociatedFaces(
      const std::string& collection_id, const std::vector<std::string>& face_ids) = 0;
  // Faces indexed before `before_ms` (indexed_ms < before_ms), oldest first
  // (then in row_id order), at most `limit`, without embeddings. NotFound
  // when the collection does not exist.
  virtual StatusOr<std::vector<FaceRecord>> ListFacesIndexedBefore(const std::string& collection_id,
                                                                   int64_t before_ms,
                                                                   int limit) = 0;
  // Calls `fn` for every face of the collection with its embedding, in
  // row_id order (for building the in-memory index at start).
  virtual Status ForEachFace(const std::string& collection_id,
                             const std::function<void(const FaceRecord&)>& fn) = 0;

  // Users. `token` (may be null) is written in the same transaction.
  // CreateUser: NotFound (collection), AlreadyExists (user or token).
  virtual Status CreateUser(const std::string& collection_id, const UserRecord& user,
                            const TokenWrite* token) = 0;
  // NotFound when the collection or the user does not exist.
  virtual StatusOr<UserRecord> GetUser(const std::string& collection_id,
                                       const std::string& user_id) = 0;
  // Users in user_id order after `after_user_id` (exclusive), at most `limit`.
  virtual StatusOr<std::vector<UserRecord>> ListUsers(const std::string& collection_id,
                                                      const std::string& after_user_id,
                                                      int limit) = 0;
  // The face ids associated with a user, in face_id order (the user need not
  // exist in the users table).
  virtual StatusOr<std::vector<std::string>> FacesOfUser(const std::string& collection_id,
                                                         const std::string& user_id) = 0;
  // Deletes the user and disassociates its faces (they stay in the
  // collection); returns their ids. NotFound (collection or user).
  virtual StatusOr<std::vector<std::string>> DeleteUser(const std::string& collection_id,
                                                        const std::string& user_id,
                                                        const TokenWrite* token) = 0;
  // Associates `associate` with the user and disassociates `disassociate`
  // from it, in one transaction. Each face to associate must belong to no
  // user now, and each face to disassociate to this user: otherwise the state
  // changed since the caller read it, and the call fails with Conflict,
  // changing nothing. So does a user left with more than `max_user_faces`.
  // NotFound (collection or user).
  virtual Status UpdateUserFaces(const std::string& collection_id, const std::string& user_id,
                                 const std::vector<std::string>& associate,
                                 const std::vector<std::string>& disassociate,
                                 int max_user_faces, const TokenWrite* token) = 0;

  // Collection policies. The policy last put for the collection, or nullopt
  // when none was ever put (the caller then applies the defaults). NotFound
  // when the collection does not exist.
  virtual StatusOr<std::optional<PolicyRecord>> GetPolicy(const std::string& collection_id) = 0;
  // Stores `policy` as the collection's, replacing any earlier one, with
  // updated_ms set to now (policy.updated_ms is ignored). NotFound when the
  // collection does not exist; InvalidArgument for a floor that is not finite.
  virtual Status PutPolicy(const std::string& collection_id, const PolicyRecord& policy) = 0;

  // Collection tags (schema version 4). NotFound when the collection does
  // not exist.
  virtual StatusOr<std::map<std::string, std::string>> GetTags(
      const std::string& collection_id) = 0;
  // Sets `set` (replacing the values of keys already there) and removes
  // `remove` in one transaction; ServiceQuotaExceeded, and nothing changed,
  // when the collection would then hold more than `max_tags`.
  virtual Status UpdateTags(const std::string& collection_id,
                            const std::map<std::string, std::string>& set,
                            const std::vector<std::string>& remove, size_t max_tags) = 0;

  // The audit journal (store/write_journal.h): the rows of calls whose
  // audit record may not be written yet, oldest first (resolved ones that
  // wait for the next write to go are left out).
  virtual StatusOr<std::vector<JournalEntry>> ListJournal() = 0;
  // The call's audit record is written: its rows are deleted with the next
  // write transaction (not at once: that would cost a commit per call).
  virtual void ResolveJournal(const std::string& request_id) = 0;
  // Deletes the resolved rows now, in a transaction of its own.
  virtual Status FlushJournal() = 0;

  // Idempotency (Rekognition's ClientRequestToken): the stored response of an
  // earlier request with this token, if any.
  virtual StatusOr<std::optional<std::string>> GetTokenResponse(const std::string& collection_id,
                                                                const std::string& operation,
                                                                const std::string& token) = 0;
  virtual Status PutTokenResponse(const std::string& collection_id, const std::string& operation,
                                  const std::string& token, const std::string& response) = 0;

  // The change feed (store/change_feed.h), of stores that several nodes
  // share; the SQLite store has none (Unsupported). Rows after `after_seq`
  // and at most `through_seq` (0: no bound), of one collection or, when
  // `collection_id` is empty, of all, at most `limit`, in order.
  virtual StatusOr<ChangeBatch> ReadChanges(int64_t after_seq, int64_t through_seq,
                                            const std::string& collection_id, int limit) {
    (void)after_seq, (void)through_seq, (void)collection_id, (void)limit;
    return Status::Unsupported("this store keeps no change log");
  }
  // The number of the last committed change row (0 when none).
  virtual StatusOr<int64_t> LatestChangeSeq() {
    return Status::Unsupported("this store keeps no change log");
  }
  // Deletes the change rows written before `before_ms` (writer's clock);
  // returns how many. Readers behind them then rebuild (ChangeBatch).
  virtual StatusOr<int64_t> PruneChanges(int64_t before_ms) {
    (void)before_ms;
    return Status::Unsupported("this store keeps no change log");
  }
};

}  // namespace candor::store

#endif  // CANDOR_STORE_STORE_H_
