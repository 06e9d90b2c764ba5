// Versioned schemas of the cluster state that lives in the PostgreSQL store's
// database beside the faces: the access keys (pg_keys.h), the video jobs and
// the stream processors (pg_jobs.h). Each is a component with its own
// version in the table candor_component_versions (component, version), so
// that each migrates forward on its own, apart from the face store's
// candor_schema_version (pg_store.cc), and a later component adds a row
// rather than a step to everyone's sequence.
//
// Thread safety: as pg::PgDb's (the caller serialises the calls).
#ifndef CANDOR_STORE_PG_COMPONENTS_H_
#define CANDOR_STORE_PG_COMPONENTS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "candor/status.h"
#include "store/pg_util.h"

namespace candor::store::pg {

// One step of a component's schema: run `sql` on a database at
// `from_version` to get `to_version` (0: the component has no tables yet).
struct ComponentMigration {
  int64_t from_version;
  int64_t to_version;
  const char* description;
  const char* sql;
};

// Brings `component` to `latest` with `steps`, one SERIALIZABLE transaction
// per step, under a session advisory lock (several nodes starting at once
// migrate one at a time). Unsupported when the database holds a newer
// version than `latest` (a newer Candor wrote it) or one from which no step
// leads; Corruption when the component has no version but one of
// `tables` exists (not tables this code made). Nothing is changed then.
Status MigrateComponent(PgDb& db, std::string_view component, int64_t latest,
                        const std::vector<ComponentMigration>& steps,
                        const std::vector<std::string>& tables);

}  // namespace candor::store::pg

#endif  // CANDOR_STORE_PG_COMPONENTS_H_
