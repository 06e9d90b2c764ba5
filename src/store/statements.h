// The SQL of every statement the SQLite store runs (schema.cc holds the
// tables), kept in one place so that a query and the index serving it can be
// read side by side. Parameters are numbered (?1, ?2, ...) as bound in
// sqlite_store.cc.
//
// Face queries return the columns of CANDOR_FACE_COLUMNS in that order,
// followed by the embedding (column kEmbeddingColumn) in the variants that
// ask for it. Indexes used (checked with EXPLAIN QUERY PLAN):
//  - kListFaces*, kGetFace*: faces_by_collection_face_id;
//  - kForEachFace and the face counts: faces_by_collection_row_id;
//  - kListFacesIndexedBefore: faces_by_collection_indexed_ms (version 3),
//    whose order (collection_id, indexed_ms, row_id) is the ORDER BY;
//  - kDeleteFace, kGetFaceUser, kAssociateFace, kDisassociateFace: the
//    UNIQUE index on face_id;
//  - users by (collection_id, user_id): the users table's primary key;
//  - policies by collection_id: the collection_policies table's primary key.
#ifndef CANDOR_STORE_STATEMENTS_H_
#define CANDOR_STORE_STATEMENTS_H_

namespace candor::store {

#define CANDOR_FACE_COLUMNS                                                               \
  "row_id, face_id, image_id, external_image_id, user_id, box_left, box_top, box_width, " \
  "box_height, confidence, face_model_version, indexed_ms"
#define CANDOR_USER_COLUMNS                                                       \
  "user_id, created_ms, (SELECT count(*) FROM faces WHERE faces.collection_id = " \
  "u.collection_id AND faces.user_id = u.user_id)"
#define CANDOR_COLLECTION_COLUMNS                                              \
  "collection_id, face_model_version, created_ms, "                            \
  "(SELECT count(*) FROM faces WHERE faces.collection_id = c.collection_id), " \
  "(SELECT count(*) FROM users WHERE users.collection_id = c.collection_id)"

inline constexpr char kCollectionExists[] = "SELECT 1 FROM collections WHERE collection_id = ?1";
inline constexpr char kInsertCollection[] =
    "INSERT INTO collections (collection_id, face_model_version, created_ms) VALUES (?1, ?2, ?3)";
inline constexpr char kGetCollection[] =
    "SELECT " CANDOR_COLLECTION_COLUMNS " FROM collections AS c WHERE collection_id = ?1";
inline constexpr char kListCollections[] = "SELECT " CANDOR_COLLECTION_COLUMNS
                                           " FROM collections AS c WHERE collection_id > ?1"
                                           " ORDER BY collection_id LIMIT ?2";
inline constexpr char kDeleteCollection[] = "DELETE FROM collections WHERE collection_id = ?1";
inline constexpr char kInsertFace[] =
    "INSERT INTO faces (collection_id, face_id, image_id, external_image_id, user_id, box_left,"
    " box_top, box_width, box_height, confidence, face_model_version, indexed_ms, embedding)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)";
inline constexpr char kListFaces[] = "SELECT " CANDOR_FACE_COLUMNS
                                     " FROM faces WHERE collection_id = ?1 AND face_id > ?2"
                                     " ORDER BY face_id LIMIT ?3";
inline constexpr char kListFacesWithEmbeddings[] = "SELECT " CANDOR_FACE_COLUMNS
                                                   ", embedding FROM faces"
                                                   " WHERE collection_id = ?1 AND face_id > ?2"
                                                   " ORDER BY face_id LIMIT ?3";
inline constexpr char kGetFace[] =
    "SELECT " CANDOR_FACE_COLUMNS " FROM faces WHERE collection_id = ?1 AND face_id = ?2";
inline constexpr char kGetFaceWithEmbedding[] = "SELECT " CANDOR_FACE_COLUMNS
                                                ", embedding FROM faces"
                                                " WHERE collection_id = ?1 AND face_id = ?2";
inline constexpr char kForEachFace[] = "SELECT " CANDOR_FACE_COLUMNS
                                       ", embedding FROM faces WHERE collection_id = ?1"
                                       " ORDER BY row_id";
inline constexpr char kListFacesIndexedBefore[] =
    "SELECT " CANDOR_FACE_COLUMNS
    " FROM faces WHERE collection_id = ?1 AND indexed_ms < ?2"
    " ORDER BY indexed_ms, row_id LIMIT ?3";
inline constexpr char kDeleteFace[] = "DELETE FROM faces WHERE collection_id = ?1 AND face_id = ?2";
inline constexpr char kGetToken[] =
    "SELECT response FROM tokens WHERE collection_id = ?1 AND operation = ?2 AND token = ?3";
inline constexpr char kPutToken[] =
    "INSERT INTO tokens (collection_id, operation, token, response, created_ms)"
    " VALUES (?1, ?2, ?3, ?4, ?5)";
inline constexpr char kGetFaceUser[] =
    "SELECT user_id FROM faces WHERE collection_id = ?1 AND face_id = ?2";
// Users. The face counts and kFacesOfUser, kClearUserOfFaces use
// faces_by_collection_user (schema version 2).
inline constexpr char kInsertUser[] =
    "INSERT INTO users (collection_id, user_id, created_ms) VALUES (?1, ?2, ?3)";
inline constexpr char kGetUser[] =
    "SELECT " CANDOR_USER_COLUMNS " FROM users AS u WHERE collection_id = ?1 AND user_id = ?2";
inline constexpr char kListUsers[] = "SELECT " CANDOR_USER_COLUMNS
                                     " FROM users AS u WHERE collection_id = ?1 AND user_id > ?2"
                                     " ORDER BY user_id LIMIT ?3";
inline constexpr char kDeleteUser[] = "DELETE FROM users WHERE collection_id = ?1 AND user_id = ?2";
inline constexpr char kFacesOfUser[] =
    "SELECT face_id FROM faces WHERE collection_id = ?1 AND user_id = ?2 ORDER BY face_id";
inline constexpr char kClearUserOfFaces[] =
    "UPDATE faces SET user_id = '' WHERE collection_id = ?1 AND user_id = ?2";
// Conditional on the face's current user, so that a change that raced with
// another one updates no row and is detected.
inline constexpr char kAssociateFace[] =
    "UPDATE faces SET user_id = ?3 WHERE collection_id = ?1 AND face_id = ?2 AND user_id = ''";
inline constexpr char kDisassociateFace[] =
    "UPDATE faces SET user_id = '' WHERE collection_id = ?1 AND face_id = ?2 AND user_id = ?3";
// Collection tags (schema version 4).
inline constexpr char kGetTags[] =
    "SELECT tag_key, tag_value FROM collection_tags WHERE collection_id = ?1 ORDER BY tag_key";
inline constexpr char kPutTag[] =
    "INSERT INTO collection_tags (collection_id, tag_key, tag_value) VALUES (?1, ?2, ?3)"
    " ON CONFLICT (collection_id, tag_key) DO UPDATE SET tag_value = excluded.tag_value";
inline constexpr char kDeleteTag[] =
    "DELETE FROM collection_tags WHERE collection_id = ?1 AND tag_key = ?2";
inline constexpr char kCountTags[] = "SELECT count(*) FROM collection_tags WHERE collection_id = ?1";
// Collection policies (schema version 3).
inline constexpr char kGetPolicy[] =
    "SELECT purpose, threshold_floor, refuse_below_floor, max_faces, reason_required,"
    " retention_days, updated_ms FROM collection_policies WHERE collection_id = ?1";
inline constexpr char kPutPolicy[] =
    "INSERT INTO collection_policies (collection_id, purpose, threshold_floor,"
    " refuse_below_floor, max_faces, reason_required, retention_days, updated_ms)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
    " ON CONFLICT (collection_id) DO UPDATE SET purpose = excluded.purpose,"
    " threshold_floor = excluded.threshold_floor,"
    " refuse_below_floor = excluded.refuse_below_floor, max_faces = excluded.max_faces,"
    " reason_required = excluded.reason_required, retention_days = excluded.retention_days,"
    " updated_ms = excluded.updated_ms";
inline constexpr int kEmbeddingColumn = 12;  // after the CANDOR_FACE_COLUMNS

#undef CANDOR_FACE_COLUMNS
#undef CANDOR_COLLECTION_COLUMNS
#undef CANDOR_USER_COLUMNS

}  // namespace candor::store

#endif  // CANDOR_STORE_STATEMENTS_H_
