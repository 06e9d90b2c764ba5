// The SQLite implementation of Store, with the options that Store::OpenSqlite
// leaves at their defaults. Internal to the store module and its tests: the
// rest of Candor opens a store through Store::OpenSqlite.
#ifndef CANDOR_STORE_SQLITE_STORE_H_
#define CANDOR_STORE_SQLITE_STORE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "candor/status.h"
#include "store/store.h"

namespace candor::store {

struct SqliteStoreOptions {
  // Runs SQLite's `PRAGMA quick_check` at open (every page and b-tree of the
  // file is read and checked, with NOT NULL and CHECK constraints; indexes
  // are not compared with their tables) and refuses a file that fails it with
  // Corruption. It reads the whole file. Measured on the development VM with
  // 100k faces (246 MB): 0.11 s with the file in the page cache, 1.4 s from
  // a cold cache, against 0.15 s / 0.48 s for ForEachFace, which start-up
  // runs anyway to build the index. On by default: a damaged file is found
  // at start rather than in the middle of a request.
  bool quick_check_on_open = true;
  // ...but only for files up to this size (about 850,000 faces). The check
  // reads pages in b-tree order, which on the development VM's disk ran at
  // ~40 MB/s: a 10M-face store (25 GB) would take over ten minutes at every
  // start before the load began. Larger files are still refused if their
  // header, schema or version is wrong, and a damaged page is reported
  // (Corruption) when a read reaches it, as SQLite does.
  int64_t quick_check_max_bytes = int64_t{2} << 30;

  // How long a call waits for a lock held by another connection (another
  // process with the same data directory) before failing with
  // ResourceExhausted ("database busy").
  int busy_timeout_ms = 5000;

  // For tests only: caps the database file at this many pages (SQLite's
  // `PRAGMA max_page_count`), so that a full disk can be simulated without a
  // small file system. SQLite then fails writes with SQLITE_FULL exactly as on
  // ENOSPC. 0 leaves SQLite's default (no practical limit).
  int64_t max_page_count_for_testing = 0;
};

// Opens (creating if needed) `<data_dir>/candor.db`; see Store::OpenSqlite.
StatusOr<std::unique_ptr<Store>> OpenSqliteStore(const std::string& data_dir,
                                                 const SqliteStoreOptions& options);

// The path of the database file in a data directory.
std::string SqliteDatabasePath(const std::string& data_dir);

}  // namespace candor::store

#endif  // CANDOR_STORE_SQLITE_STORE_H_
