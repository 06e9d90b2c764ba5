#include "store/schema.h"

#include <array>
#include <iterator>

#include "store/store.h"

namespace candor::store {
namespace {

// Version 1: the first schema.
//  - faces.row_id is AUTOINCREMENT so that an id is never reused, not even the
//    largest one after it was deleted: row_id is the in-memory index's label,
//    and a stale label must never name another face.
//  - users and tokens go with their collection (ON DELETE CASCADE; the store
//    turns foreign keys on for every connection).
//  - faces(collection_id, face_id) serves ListFaces' pages and lookups by id;
//    faces(collection_id, row_id) serves ForEachFace's row_id order and the
//    cascade on collection delete.
constexpr const char kVersion1[] = R"sql(
CREATE TABLE collections (
  collection_id TEXT NOT NULL PRIMARY KEY,
  face_model_version TEXT NOT NULL,
  created_ms INTEGER NOT NULL
);
CREATE TABLE faces (
  row_id INTEGER PRIMARY KEY AUTOINCREMENT,
  collection_id TEXT NOT NULL REFERENCES collections (collection_id) ON DELETE CASCADE,
  face_id TEXT NOT NULL UNIQUE,
  image_id TEXT NOT NULL,
  external_image_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  box_left REAL NOT NULL,
  box_top REAL NOT NULL,
  box_width REAL NOT NULL,
  box_height REAL NOT NULL,
  confidence REAL NOT NULL,
  face_model_version TEXT NOT NULL,
  indexed_ms INTEGER NOT NULL,
  embedding BLOB NOT NULL CHECK (length(embedding) = 2048)
);
CREATE INDEX faces_by_collection_face_id ON faces (collection_id, face_id);
CREATE INDEX faces_by_collection_row_id ON faces (collection_id, row_id);
CREATE TABLE users (
  collection_id TEXT NOT NULL REFERENCES collections (collection_id) ON DELETE CASCADE,
  user_id TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  PRIMARY KEY (collection_id, user_id)
);
CREATE TABLE tokens (
  collection_id TEXT NOT NULL REFERENCES collections (collection_id) ON DELETE CASCADE,
  operation TEXT NOT NULL,
  token TEXT NOT NULL,
  response BLOB NOT NULL,
  created_ms INTEGER NOT NULL,
  PRIMARY KEY (collection_id, operation, token)
);
)sql";

// Version 2: users. Their face counts, ListUsers' UserStatus, DeleteUser and
// the grouping of search results by user read faces by (collection_id,
// user_id); without an index each of those scans the collection's faces.
constexpr const char kVersion2[] = R"sql(
CREATE INDEX faces_by_collection_user ON faces (collection_id, user_id);
)sql";

// Version 3: collection policies (candor/collections.h, CollectionPolicy).
//  - One row per collection that has had a policy put; a collection without
//    a row has the defaults, which live in CollectionPolicy, not here, so
//    that changing a default needs no migration. The row goes with its
//    collection (ON DELETE CASCADE, in DeleteCollection's transaction).
//  - The limits of each field (purpose length, floor 0..100, ...) are
//    checked by ValidateCollectionPolicy before a write, not by CHECKs here,
//    for the same reason; the file only insists on booleans being 0 or 1.
//  - faces(collection_id, indexed_ms) serves retention
//    (ListFacesIndexedBefore: the faces indexed before a time, oldest first):
//    without it, finding them reads every row of the collection, embeddings
//    included (2 KB a face). Building it reads the faces table once, at
//    migration.
constexpr const char kVersion3[] = R"sql(
CREATE TABLE collection_policies (
  collection_id TEXT NOT NULL PRIMARY KEY
      REFERENCES collections (collection_id) ON DELETE CASCADE,
  purpose TEXT NOT NULL,
  threshold_floor REAL NOT NULL,
  refuse_below_floor INTEGER NOT NULL CHECK (refuse_below_floor IN (0, 1)),
  max_faces INTEGER NOT NULL,
  reason_required INTEGER NOT NULL CHECK (reason_required IN (0, 1)),
  retention_days INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL
);
CREATE INDEX faces_by_collection_indexed_ms ON faces (collection_id, indexed_ms);
)sql";

// Version 4: tags of collections (Rekognition's CreateCollection Tags,
// TagResource, UntagResource, ListTagsForResource). Not biometric data; they
// go with their collection (ON DELETE CASCADE). Limits (keys of 1..128
// characters, values of 0..256, at most kMaxTagsPerResource a collection)
// are checked before a write (collections/validation.h).
constexpr const char kVersion4[] = R"sql(
CREATE TABLE collection_tags (
  collection_id TEXT NOT NULL REFERENCES collections (collection_id) ON DELETE CASCADE,
  tag_key TEXT NOT NULL,
  tag_value TEXT NOT NULL,
  PRIMARY KEY (collection_id, tag_key)
);
)sql";

// The audit journal (store/write_journal.h): one row per write transaction
// of an audited call, deleted once the call's audit record is written.
constexpr const char kVersion5[] = R"sql(
CREATE TABLE audit_journal (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  request_id TEXT NOT NULL,
  entry TEXT NOT NULL
);
CREATE INDEX audit_journal_by_request ON audit_journal (request_id);
)sql";

static_assert(kEmbeddingBytes == 2048, "kVersion1's CHECK on embedding length");

constexpr std::array<Migration, 5> kMigrations = {{
    {1, "collections, faces, users and idempotency tokens", kVersion1},
    {2, "index of faces by user", kVersion2},
    {3, "collection policies and the index of faces by time indexed", kVersion3},
    {4, "tags of collections", kVersion4},
    {5, "the audit journal", kVersion5},
}};
static_assert(kMigrations.size() == Store::kSchemaVersion,
              "every schema version needs exactly one migration step");

constexpr std::array<const char*, 7> kRequiredTables = {
    "collections", "faces",           "users",        "tokens", "collection_policies",
    "collection_tags", "audit_journal"};

}  // namespace

std::span<const Migration> Migrations() { return kMigrations; }

std::span<const char* const> RequiredTables() { return kRequiredTables; }

}  // namespace candor::store
