#include "store/pg_keys.h"

#include "store/pg_components.h"
#include "store/pg_util.h"

namespace candor::store {
namespace {

using pg::Param;
using pg::Result;

constexpr int64_t kKeysSchemaVersion = 1;

const std::vector<pg::ComponentMigration> kKeysMigrations = {
    {0, 1, "the cluster's access keys", R"sql(
CREATE TABLE access_keys (
  access_key_id TEXT COLLATE "C" PRIMARY KEY,
  principal TEXT COLLATE "C" NOT NULL UNIQUE,
  secret_access_key TEXT NOT NULL,
  roles TEXT NOT NULL,
  reason TEXT NOT NULL,
  created_ms BIGINT NOT NULL,
  CHECK (access_key_id <> '' AND principal <> '' AND secret_access_key <> '' AND roles <> '')
);
CREATE TABLE access_keys_version (version BIGINT NOT NULL);
INSERT INTO access_keys_version VALUES (0);
)sql"}};

constexpr char kBumpVersion[] = "UPDATE access_keys_version SET version = version + 1";

}  // namespace

PgAccessKeys::PgAccessKeys(std::unique_ptr<pg::PgDb> db) : db_(std::move(db)) {}
PgAccessKeys::~PgAccessKeys() = default;

StatusOr<std::unique_ptr<PgAccessKeys>> PgAccessKeys::Open(const std::string& conninfo) {
  CANDOR_ASSIGN_OR_RETURN(pg::Conn conn, pg::Connect(conninfo));
  auto db = std::make_unique<pg::PgDb>(std::move(conn));
  CANDOR_RETURN_IF_ERROR(pg::MigrateComponent(*db, "access_keys", kKeysSchemaVersion,
                                              kKeysMigrations,
                                              {"access_keys", "access_keys_version"}));
  return std::unique_ptr<PgAccessKeys>(new PgAccessKeys(std::move(db)));
}

Status PgAccessKeys::Insert(const AccessKeyRecord& key) {
  std::lock_guard lock(mutex_);
  const std::string what = "add the access key of [" + key.principal + "]";
  return db_->InTransaction(true, what, [&]() -> Status {
    // The unique constraints answer AlreadyExists; which one, for the message.
    CANDOR_ASSIGN_OR_RETURN(
        Result taken, db_->Exec("SELECT 1 FROM access_keys WHERE principal = $1",
                                {Param::Text(key.principal)}, what));
    if (taken.rows() > 0) {
      return Status::AlreadyExists("principal [" + key.principal + "] already has a key");
    }
    auto inserted = db_->Exec(
        "INSERT INTO access_keys (access_key_id, principal, secret_access_key, roles, reason,"
        " created_ms) VALUES ($1, $2, $3, $4, $5, $6)",
        {Param::Text(key.access_key_id), Param::Text(key.principal),
         Param::Text(key.secret_access_key), Param::Text(key.roles), Param::Text(key.reason),
         Param::Int(key.created_ms)},
        what);
    if (inserted.status().code() == StatusCode::kAlreadyExists) {
      return Status::AlreadyExists("access key id " + key.access_key_id + " is already in use");
    }
    CANDOR_RETURN_IF_ERROR(inserted.status());
    return db_->Exec(kBumpVersion, {}, what).status();
  });
}

Status PgAccessKeys::Delete(const std::string& access_key_id) {
  std::lock_guard lock(mutex_);
  const std::string what = "delete the access key " + access_key_id;
  return db_->InTransaction(true, what, [&]() -> Status {
    CANDOR_ASSIGN_OR_RETURN(Result r,
                            db_->Exec("DELETE FROM access_keys WHERE access_key_id = $1",
                                      {Param::Text(access_key_id)}, what));
    if (r.affected() == 0) return Status::NotFound("no access key " + access_key_id);
    return db_->Exec(kBumpVersion, {}, what).status();
  });
}

StatusOr<std::vector<AccessKeyRecord>> PgAccessKeys::List() {
  std::lock_guard lock(mutex_);
  std::vector<AccessKeyRecord> keys;
  CANDOR_RETURN_IF_ERROR(db_->InTransaction(false, "read the access keys", [&]() -> Status {
    keys.clear();
    CANDOR_ASSIGN_OR_RETURN(
        Result r, db_->Exec("SELECT principal, access_key_id, secret_access_key, roles, reason,"
                            " created_ms FROM access_keys ORDER BY principal",
                            {}, "read the access keys"));
    for (int i = 0; i < r.rows(); ++i) {
      keys.push_back({.principal = r.Bytes(i, 0),
                      .access_key_id = r.Bytes(i, 1),
                      .secret_access_key = r.Bytes(i, 2),
                      .roles = r.Bytes(i, 3),
                      .reason = r.Bytes(i, 4),
                      .created_ms = r.Int(i, 5)});
    }
    return Status::Ok();
  }));
  return keys;
}

StatusOr<int64_t> PgAccessKeys::Version() {
  std::lock_guard lock(mutex_);
  CANDOR_ASSIGN_OR_RETURN(Result r, db_->Exec("SELECT version FROM access_keys_version", {},
                                              "read the access keys' version"));
  if (r.rows() != 1) {
    return Status::Corruption(db_->Describe() + ": access_keys_version has " +
                              std::to_string(r.rows()) + " rows instead of one");
  }
  return r.Int(0, 0);
}

}  // namespace candor::store
