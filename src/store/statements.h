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
//  - kDeleteFace: the UNIQUE index on face_id.
#ifndef CANDOR_STORE_STATEMENTS_H_
#define CANDOR_STORE_STATEMENTS_H_

namespace candor::store {

#define CANDOR_FACE_COLUMNS                                                               \
  "row_id, face_id, image_id, external_image_id, user_id, box_left, box_top, box_width, " \
  "box_height, confidence, face_model_version, indexed_ms"
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
inline constexpr char kDeleteFace[] = "DELETE FROM faces WHERE collection_id = ?1 AND face_id = ?2";
inline constexpr char kGetToken[] =
    "SELECT response FROM tokens WHERE collection_id = ?1 AND operation = ?2 AND token = ?3";
inline constexpr char kPutToken[] =
    "INSERT INTO tokens (collection_id, operation, token, response, created_ms)"
    " VALUES (?1, ?2, ?3, ?4, ?5)";
inline constexpr int kEmbeddingColumn = 12;  // after the CANDOR_FACE_COLUMNS

#undef CANDOR_FACE_COLUMNS
#undef CANDOR_COLLECTION_COLUMNS

}  // namespace candor::store

#endif  // CANDOR_STORE_STATEMENTS_H_
