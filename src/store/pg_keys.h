// The cluster's access keys in the PostgreSQL database of `candor serve
// --store`: one key ring that every node reads, instead of a credentials file
// per node (server/key_ring.h turns the rows into the service's keys).
//
// Table access_keys (component "access_keys", version 1): one row per
// principal, with its key id, secret, roles and case binding, as a section of
// the credentials file holds them; the secret is stored as the file stores it
// (SigV4 needs it to verify), so the database is as secret as that file was.
// Table access_keys_version: one number that each change raises in the same
// transaction, so that a node polls one row to know whether to read the
// keys again.
//
// Thread safety: safe for concurrent use (one connection behind a mutex).
#ifndef CANDOR_STORE_PG_KEYS_H_
#define CANDOR_STORE_PG_KEYS_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "candor/status.h"

namespace candor::store {

namespace pg {
class PgDb;
}

struct AccessKeyRecord {
  std::string principal;
  std::string access_key_id;
  std::string secret_access_key;
  std::string roles;   // "admin,searcher", as the file's `role` line
  std::string reason;  // the case the key is bound to; empty: none
  int64_t created_ms = 0;
};

class PgAccessKeys {
 public:
  // Connects (a connection of its own) and creates or migrates the tables.
  // Errors as OpenPostgresStore's.
  static StatusOr<std::unique_ptr<PgAccessKeys>> Open(const std::string& conninfo);
  ~PgAccessKeys();

  // AlreadyExists when the principal or the key id has a row already;
  // InvalidArgument for text PostgreSQL cannot hold (NUL, invalid UTF-8).
  Status Insert(const AccessKeyRecord& key);
  // NotFound when no row has this id.
  Status Delete(const std::string& access_key_id);
  // Every key, by principal.
  StatusOr<std::vector<AccessKeyRecord>> List();
  // The number every change raises (0 before the first).
  StatusOr<int64_t> Version();

 private:
  explicit PgAccessKeys(std::unique_ptr<pg::PgDb> db);

  std::mutex mutex_;
  std::unique_ptr<pg::PgDb> db_;
};

}  // namespace candor::store

#endif  // CANDOR_STORE_PG_KEYS_H_
