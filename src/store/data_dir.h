// The data directory on disk: creating it, making new entries in it durable,
// and recognising the database file before SQLite opens it. Plain POSIX, no
// SQLite calls.
//
// Thread safety: functions without shared state.
#ifndef CANDOR_STORE_DATA_DIR_H_
#define CANDOR_STORE_DATA_DIR_H_

#include <string>

#include "candor/status.h"

namespace candor::store {

// Creates `data_dir` (mode 0700: it holds biometric data) and its parents if
// missing, and syncs the parent so the new entry survives a power cut. An
// existing directory is used as it is; a file of that name is InvalidArgument.
Status EnsureDataDirectory(const std::string& data_dir);

// fsync of a directory: makes the entries created in it durable. Without it a
// power cut right after a file is created can lose the file although its own
// data was synced.
Status FsyncDirectory(const std::string& dir);

// Refuses, with Corruption naming the file, a database file that is neither
// empty nor starts with SQLite's 100-byte header, before SQLite sees it. Sets
// `*is_new` when there is no file yet or it is empty.
Status CheckDatabaseFileHeader(const std::string& path, bool* is_new);

}  // namespace candor::store

#endif  // CANDOR_STORE_DATA_DIR_H_
