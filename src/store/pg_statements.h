// The SQL of every statement the PostgreSQL store runs (pg_store.cc holds
// the tables), the twins of the SQLite store's statements.h with
// PostgreSQL's numbered parameters ($1, $2, ...), bound as in pg_store.cc.
// Internal to the store and its tests.
//
// Indexes used: as listed in statements.h; faces_by_collection_indexed_ms
// is (collection_id, indexed_ms, row_id) here, so that it serves
// kListFacesIndexedBefore's ORDER BY without a sort (tests/store_test.cc
// checks the plan).
#ifndef CANDOR_STORE_PG_STATEMENTS_H_
#define CANDOR_STORE_PG_STATEMENTS_H_

#include <cstdint>

namespace candor::store::pg_sql {

// The statements (PostgreSQL's numbered parameters; the SQLite store's
// statements.h holds their twins).
#define CANDOR_PG_FACE_COLUMNS                                                            \
  "row_id, face_id, image_id, external_image_id, user_id, box_left, box_top, box_width, " \
  "box_height, confidence, face_model_version, indexed_ms"
#define CANDOR_PG_USER_COLUMNS                                                    \
  "user_id, created_ms, (SELECT count(*) FROM faces WHERE faces.collection_id = " \
  "u.collection_id AND faces.user_id = u.user_id)"
#define CANDOR_PG_COLLECTION_COLUMNS                                           \
  "collection_id, face_model_version, created_ms, "                            \
  "(SELECT count(*) FROM faces WHERE faces.collection_id = c.collection_id), " \
  "(SELECT count(*) FROM users WHERE users.collection_id = c.collection_id)"

inline constexpr char kCollectionExists[] = "SELECT 1 FROM collections WHERE collection_id = $1";
inline constexpr char kInsertCollection[] =
    "INSERT INTO collections (collection_id, face_model_version, created_ms) VALUES ($1, $2, $3)";
inline constexpr char kGetCollection[] =
    "SELECT " CANDOR_PG_COLLECTION_COLUMNS " FROM collections AS c WHERE collection_id = $1";
inline constexpr char kListCollections[] = "SELECT " CANDOR_PG_COLLECTION_COLUMNS
                                    " FROM collections AS c WHERE collection_id > $1"
                                    " ORDER BY collection_id LIMIT $2";
inline constexpr char kCollectionHasFaces[] =
    "SELECT 1 FROM faces WHERE collection_id = $1 LIMIT 1";
inline constexpr char kDeleteCollection[] = "DELETE FROM collections WHERE collection_id = $1";
inline constexpr char kInsertFace[] =
    "INSERT INTO faces (collection_id, face_id, image_id, external_image_id, user_id, box_left,"
    " box_top, box_width, box_height, confidence, face_model_version, indexed_ms, embedding)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING row_id";
inline constexpr char kListFaces[] = "SELECT " CANDOR_PG_FACE_COLUMNS
                              " FROM faces WHERE collection_id = $1 AND face_id > $2"
                              " ORDER BY face_id LIMIT $3";
inline constexpr char kListFacesWithEmbeddings[] = "SELECT " CANDOR_PG_FACE_COLUMNS
                                            ", embedding FROM faces"
                                            " WHERE collection_id = $1 AND face_id > $2"
                                            " ORDER BY face_id LIMIT $3";
// GetFaces: every face asked for in one statement (faces_by_collection_face_id
// serves `= ANY`).
inline constexpr char kGetFaces[] = "SELECT " CANDOR_PG_FACE_COLUMNS
                             " FROM faces WHERE collection_id = $1 AND face_id = ANY($2)";
inline constexpr char kGetFacesWithEmbeddings[] = "SELECT " CANDOR_PG_FACE_COLUMNS
                                           ", embedding FROM faces"
                                           " WHERE collection_id = $1 AND face_id = ANY($2)";
// ForEachFace reads a collection in one streamed query (PgDb::ExecStreamed),
// in row_id order (the index faces_by_collection_row_id).
inline constexpr char kForEachFace[] = "SELECT " CANDOR_PG_FACE_COLUMNS
                                ", embedding FROM faces WHERE collection_id = $1"
                                " ORDER BY row_id";
inline constexpr char kListFacesIndexedBefore[] =
    "SELECT " CANDOR_PG_FACE_COLUMNS
    " FROM faces WHERE collection_id = $1 AND indexed_ms < $2"
    " ORDER BY indexed_ms, row_id LIMIT $3";
inline constexpr char kDeleteFace[] = "DELETE FROM faces WHERE collection_id = $1 AND face_id = $2";
inline constexpr char kGetToken[] =
    "SELECT response FROM tokens WHERE collection_id = $1 AND operation = $2 AND token = $3";
inline constexpr char kPutToken[] =
    "INSERT INTO tokens (collection_id, operation, token, response, created_ms)"
    " VALUES ($1, $2, $3, $4, $5)";
inline constexpr char kGetFaceUser[] =
    "SELECT user_id FROM faces WHERE collection_id = $1 AND face_id = $2";
inline constexpr char kInsertUser[] =
    "INSERT INTO users (collection_id, user_id, created_ms) VALUES ($1, $2, $3)";
inline constexpr char kGetUser[] =
    "SELECT " CANDOR_PG_USER_COLUMNS " FROM users AS u WHERE collection_id = $1 AND user_id = $2";
inline constexpr char kListUsers[] = "SELECT " CANDOR_PG_USER_COLUMNS
                              " FROM users AS u WHERE collection_id = $1 AND user_id > $2"
                              " ORDER BY user_id LIMIT $3";
inline constexpr char kDeleteUser[] = "DELETE FROM users WHERE collection_id = $1 AND user_id = $2";
inline constexpr char kFacesOfUser[] =
    "SELECT face_id FROM faces WHERE collection_id = $1 AND user_id = $2 ORDER BY face_id";
inline constexpr char kClearUserOfFaces[] =
    "UPDATE faces SET user_id = '' WHERE collection_id = $1 AND user_id = $2";
inline constexpr char kAssociateFace[] =
    "UPDATE faces SET user_id = $3 WHERE collection_id = $1 AND face_id = $2 AND user_id = ''";
inline constexpr char kDisassociateFace[] =
    "UPDATE faces SET user_id = '' WHERE collection_id = $1 AND face_id = $2 AND user_id = $3";
inline constexpr char kGetTags[] =
    "SELECT tag_key, tag_value FROM collection_tags WHERE collection_id = $1 ORDER BY tag_key";
inline constexpr char kPutTag[] =
    "INSERT INTO collection_tags (collection_id, tag_key, tag_value) VALUES ($1, $2, $3)"
    " ON CONFLICT (collection_id, tag_key) DO UPDATE SET tag_value = excluded.tag_value";
inline constexpr char kDeleteTag[] =
    "DELETE FROM collection_tags WHERE collection_id = $1 AND tag_key = $2";
inline constexpr char kCountTags[] =
    "SELECT count(*) FROM collection_tags WHERE collection_id = $1";
inline constexpr char kGetPolicy[] =
    "SELECT purpose, threshold_floor, refuse_below_floor, max_faces, reason_required,"
    " retention_days, updated_ms FROM collection_policies WHERE collection_id = $1";
inline constexpr char kPutPolicy[] =
    "INSERT INTO collection_policies (collection_id, purpose, threshold_floor,"
    " refuse_below_floor, max_faces, reason_required, retention_days, updated_ms)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    " ON CONFLICT (collection_id) DO UPDATE SET purpose = excluded.purpose,"
    " threshold_floor = excluded.threshold_floor,"
    " refuse_below_floor = excluded.refuse_below_floor, max_faces = excluded.max_faces,"
    " reason_required = excluded.reason_required, retention_days = excluded.retention_days,"
    " updated_ms = excluded.updated_ms";
inline constexpr char kDeleteResolvedJournal[] = "DELETE FROM audit_journal WHERE request_id = $1";
inline constexpr char kInsertJournal[] =
    "INSERT INTO audit_journal (request_id, entry) VALUES ($1, $2)";
inline constexpr char kListJournal[] =
    "SELECT id, request_id, entry FROM audit_journal ORDER BY id";
inline constexpr int kEmbeddingColumn = 12;  // after the CANDOR_PG_FACE_COLUMNS
// How long the VACUUM FULL after a deletion waits for its lock on faces
// before it gives up until the next write (PostgreSQL's lock_timeout).
inline constexpr char kEraseLockTimeout[] = "5s";
// How soon after a rewrite that could not run a write that deletes nothing
// tries it again (a deletion always tries).
inline constexpr int64_t kEraseRetryMs = 30'000;

#undef CANDOR_PG_FACE_COLUMNS
#undef CANDOR_PG_USER_COLUMNS
#undef CANDOR_PG_COLLECTION_COLUMNS

}  // namespace candor::store::pg_sql

#endif  // CANDOR_STORE_PG_STATEMENTS_H_
