// The Store on PostgreSQL, for several API nodes on one database: the same
// interface and semantics as the SQLite store (store.h), through libpq
// (pg_util.h), plus the change log the nodes follow (store/change_feed.h).
#ifndef CANDOR_STORE_PG_STORE_H_
#define CANDOR_STORE_PG_STORE_H_

#include <memory>
#include <string>

#include "candor/status.h"
#include "store/store.h"

namespace candor::store {

// The schema version the PostgreSQL store writes: the SQLite store's
// Store::kSchemaVersion (5) and the change log (6; store/change_feed.h).
inline constexpr int kPgSchemaVersion = 6;

// Connects to the database named by `conninfo` (a libpq connection string,
// "host=... dbname=...", or a postgresql:// URI), creates Candor's tables in
// it if it has none, or migrates them forward from an older schema version.
// Errors: InvalidArgument for a malformed string; Throttling when the server
// cannot be reached (retry later); Unsupported when the database has a newer
// schema version than kPgSchemaVersion; Corruption when it has some of
// Candor's tables but no schema version (not a database this code made). The
// tables go in the connection's current schema (search_path), so several
// stores can share a database in different schemas.
StatusOr<std::unique_ptr<Store>> OpenPostgresStore(const std::string& conninfo);

}  // namespace candor::store

#endif  // CANDOR_STORE_PG_STORE_H_
