#include "store/pg_components.h"

namespace candor::store::pg {
namespace {

// Serialises component migrations between processes ("candor-c" in ASCII;
// the face store's own migrations take "candor-s").
constexpr int64_t kComponentLockKey = 0x63616e646f722d63;

Status MigrateLocked(PgDb& db, std::string_view component, int64_t latest,
                     const std::vector<ComponentMigration>& steps,
                     const std::vector<std::string>& tables) {
  const std::string where = db.Describe() + " (" + std::string(component) + ")";
  for (;;) {
    bool done = false;
    CANDOR_RETURN_IF_ERROR(db.InTransaction(true, "migrate " + where, [&]() -> Status {
      CANDOR_RETURN_IF_ERROR(db.ExecScript(
          "CREATE TABLE IF NOT EXISTS candor_component_versions ("
          " component TEXT COLLATE \"C\" PRIMARY KEY, version BIGINT NOT NULL)",
          "create candor_component_versions"));
      CANDOR_ASSIGN_OR_RETURN(
          Result r, db.Exec("SELECT version FROM candor_component_versions WHERE component = $1",
                            {Param::Text(component)}, "read the schema version of " + where));
      int64_t version = 0;
      if (r.rows() == 1) {
        version = r.Int(0, 0);
      } else {
        for (const std::string& table : tables) {
          CANDOR_ASSIGN_OR_RETURN(Result t, db.Exec("SELECT to_regclass($1) IS NOT NULL",
                                                    {Param::Text(table)}, "read the schema"));
          if (t.Bool(0, 0)) {
            return Status::Corruption(where + ": a table " + table +
                                      " exists but no schema version: not made by Candor;"
                                      " it was left unchanged");
          }
        }
        CANDOR_RETURN_IF_ERROR(db.Exec("INSERT INTO candor_component_versions VALUES ($1, 0)",
                                       {Param::Text(component)}, "create the schema version")
                                   .status());
      }
      if (version > latest) {
        return Status::Unsupported(where + " has schema version " + std::to_string(version) +
                                   ", newer than version " + std::to_string(latest) +
                                   " that this build of Candor reads; use a newer Candor;"
                                   " it was left unchanged");
      }
      done = version == latest;
      if (done) return Status::Ok();
      const ComponentMigration* step = nullptr;
      for (const ComponentMigration& m : steps) {
        if (m.from_version == version) step = &m;
      }
      if (step == nullptr) {
        return Status::Unsupported(where + " has schema version " + std::to_string(version) +
                                   ", from which no migration exists");
      }
      const std::string what = "migrate " + where + " to schema version " +
                               std::to_string(step->to_version) + " (" + step->description + ")";
      CANDOR_RETURN_IF_ERROR(db.ExecScript(step->sql, what));
      return db
          .Exec("UPDATE candor_component_versions SET version = $2 WHERE component = $1",
                {Param::Text(component), Param::Int(step->to_version)}, what)
          .status();
    }));
    if (done) return Status::Ok();
  }
}

}  // namespace

Status MigrateComponent(PgDb& db, std::string_view component, int64_t latest,
                        const std::vector<ComponentMigration>& steps,
                        const std::vector<std::string>& tables) {
  // A session lock, taken before the transactions begin, so that their
  // snapshots see what the process before this one committed.
  CANDOR_RETURN_IF_ERROR(
      db.Exec("SELECT pg_advisory_lock($1)", {Param::Int(kComponentLockKey)}, "lock the schema")
          .status());
  const Status status = MigrateLocked(db, component, latest, steps, tables);
  (void)db.Exec("SELECT pg_advisory_unlock($1)", {Param::Int(kComponentLockKey)},
                "unlock the schema");
  return status;
}

}  // namespace candor::store::pg
