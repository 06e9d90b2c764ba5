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
// missing, and syncs the parent so the new entry survives a power cut; a
// file of that name is InvalidArgument. An existing directory is made 0700,
// and every file below it 0600 (directories 0700), where they allowed group
// or others more: the fix is said on stderr, one line a path. Symbolic links
// are left alone.
Status EnsureDataDirectory(const std::string& data_dir);

// Creates `path` empty with mode 0600 if it does not exist, so that SQLite
// (which gives its -wal and -shm files the mode of the database file) never
// makes a database readable by others.
Status CreatePrivateFile(const std::string& path);

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
