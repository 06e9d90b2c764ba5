// ReadPgInventory (inventory.h): the inventory of a PostgreSQL store, read
// in one snapshot (REPEATABLE READ, READ ONLY) beside running nodes.
#include <utility>

#include "store/inventory.h"
#include "store/pg_util.h"

namespace candor::store {

StatusOr<Inventory> ReadPgInventory(const std::string& uri) {
  CANDOR_ASSIGN_OR_RETURN(pg::Conn conn, pg::Connect(uri));
  pg::PgDb db(std::move(conn));
  Inventory inv;
  CANDOR_RETURN_IF_ERROR(db.InTransaction(false, "read the store", [&]() -> Status {
    inv = Inventory();  // afresh at each attempt
    CANDOR_ASSIGN_OR_RETURN(
        pg::Result has, db.Exec("SELECT to_regclass('candor_schema_version') IS NOT NULL", {},
                                "read the store's schema version"));
    if (!has.Bool(0, 0)) return Status::NotFound(db.Describe() + " holds no Candor store");
    CANDOR_ASSIGN_OR_RETURN(pg::Result c,
                            db.Exec("SELECT collection_id FROM collections", {}, "read the store"));
    for (int i = 0; i < c.rows(); ++i) inv.collections.push_back(c.Bytes(i, 0));
    CANDOR_ASSIGN_OR_RETURN(
        pg::Result f,
        db.Exec("SELECT collection_id, face_id, user_id FROM faces", {}, "read the store"));
    for (int i = 0; i < f.rows(); ++i) {
      inv.faces.push_back({f.Bytes(i, 0), f.Bytes(i, 1), f.Bytes(i, 2)});
    }
    CANDOR_ASSIGN_OR_RETURN(
        pg::Result u, db.Exec("SELECT collection_id, user_id FROM users", {}, "read the store"));
    for (int i = 0; i < u.rows(); ++i) inv.users.push_back({u.Bytes(i, 0), u.Bytes(i, 1)});
    CANDOR_ASSIGN_OR_RETURN(pg::Result p, db.Exec("SELECT collection_id FROM collection_policies",
                                                  {}, "read the store"));
    for (int i = 0; i < p.rows(); ++i) inv.policies.push_back(p.Bytes(i, 0));
    CANDOR_ASSIGN_OR_RETURN(
        pg::Result j, db.Exec("SELECT id, request_id, entry FROM audit_journal ORDER BY id", {},
                              "read the store's audit journal"));
    for (int i = 0; i < j.rows(); ++i) {
      JournalEntry e;
      e.id = j.Int(i, 0);
      e.request_id = j.Bytes(i, 1);
      e.entry = nlohmann::json::parse(j.Bytes(i, 2), nullptr, false);
      if (!e.entry.is_object()) e.entry = nlohmann::json::object();
      inv.journal.push_back(std::move(e));
    }
    return Status::Ok();
  }));
  return inv;
}

}  // namespace candor::store
