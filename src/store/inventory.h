// What a store holds, read from a data directory without opening it for
// writing (beside a running server too): the ids of its collections,
// faces, users and policies, and its audit journal. For `candor audit
// verify`'s cross-check of the store against the audit log
// (server/audit_crosscheck.h). One read transaction: a consistent snapshot.
#ifndef CANDOR_STORE_INVENTORY_H_
#define CANDOR_STORE_INVENTORY_H_

#include <string>
#include <vector>

#include "candor/status.h"
#include "store/write_journal.h"

namespace candor::store {

struct Inventory {
  struct Face {
    std::string collection_id;
    std::string face_id;
    std::string user_id;  // empty when not associated
  };
  struct User {
    std::string collection_id;
    std::string user_id;
  };
  std::vector<std::string> collections;
  std::vector<Face> faces;
  std::vector<User> users;
  std::vector<std::string> policies;   // collections that have a policy
  std::vector<JournalEntry> journal;   // every row, resolved or not
};

// NotFound when the data directory has no store.
StatusOr<Inventory> ReadInventory(const std::string& data_dir);
// The same of the PostgreSQL store at `uri` (pg_inventory.cc); NotFound when
// the database holds no store.
StatusOr<Inventory> ReadPgInventory(const std::string& uri);

}  // namespace candor::store

#endif  // CANDOR_STORE_INVENTORY_H_
