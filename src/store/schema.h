// The SQLite schema of the store: file identity, constants of the format, and
// the migrations that bring a file of any earlier schema version to
// Store::kSchemaVersion. Plain data, no SQLite calls (those live in
// sqlite_store.cc, the module's one adapter around SQLite).
//
// Format of a Candor database file (`<data_dir>/candor.db`):
//  - PRAGMA application_id = kApplicationId marks it as Candor's;
//  - PRAGMA user_version is its schema version (0 = no Candor schema yet);
//  - embeddings are BLOBs of kEmbeddingDimension float32 values,
//    little-endian (see face_codec.h), whatever the host's byte order.
#ifndef CANDOR_STORE_SCHEMA_H_
#define CANDOR_STORE_SCHEMA_H_

#include <cstdint>
#include <span>

namespace candor::store {

// "Cand" in ASCII, written by the first migration into the database header so
// that a file of another application is never mistaken for (and migrated
// into) a Candor store.
inline constexpr int32_t kApplicationId = 0x43616e64;

// Components per stored embedding. The file format fixes it; it equals
// embed::kEmbeddingSize (MobileFaceNet's 512-d output). A model pack with
// another dimension needs a schema migration, not a silent change.
inline constexpr int kEmbeddingDimension = 512;
inline constexpr int kEmbeddingBytes = kEmbeddingDimension * 4;

// Page size of new files. A face row is about 2.2 KB (its embedding is 2 KB),
// so with SQLite's default 4 KiB pages only one row fits per page and the file
// is nearly half padding; 16 KiB pages hold seven. Measured with 100k faces:
// 246 MB at 16 KiB, 285 MB at 8 KiB, 422 MB at 4 KiB; a cold quick_check
// 1.4 s / 2.5 s / 6.2 s; batched inserts 46k / 39k / 26k faces/s. The price
// is more WAL bytes per single-face commit (~80 KB: the table leaf and three
// index leaves), 0.48 ms against 0.29 ms per call at 4 KiB on the same VM.
// Set only when a file is created: in WAL mode the page size of an existing
// file cannot change.
inline constexpr int kPageSize = 16384;

// One step of the schema: SQL that takes a file from version `to_version - 1`
// to `to_version`. Each step runs in its own transaction together with the
// update of PRAGMA user_version, so a crash leaves a file at a whole version.
struct Migration {
  int to_version;
  const char* description;
  const char* sql;  // one or more statements separated by ';'
};

// All steps in order: Migrations()[i].to_version == i + 1, and the last one is
// Store::kSchemaVersion.
std::span<const Migration> Migrations();

// Tables that a file at Store::kSchemaVersion must have.
std::span<const char* const> RequiredTables();

}  // namespace candor::store

#endif  // CANDOR_STORE_SCHEMA_H_
