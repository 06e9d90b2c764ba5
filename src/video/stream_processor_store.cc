// Settings as the audit log's (src/audit/audit_db.cc): WAL, synchronous=FULL
// (a CreateStreamProcessor that returned survives power loss), STRICT tables,
// a busy timeout, and nothing written before the file is known to be ours.
#include "video/stream_processor_store.h"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "store/data_dir.h"
#include "store/sqlite_util.h"

namespace candor::video {
namespace {

using nlohmann::json;

constexpr int kBusyTimeoutMs = 10000;
// "CSPr": marks the file as Candor's stream-processor file.
constexpr int32_t kApplicationId = 0x43535072;
// Version 2: extras_json, the definition's Tags, NotificationChannel,
// KmsKeyId and DataSharingPreference (a version 1 file gains it at open).
constexpr int kSchemaVersion = 2;

constexpr char kSchema[] = R"sql(
CREATE TABLE stream_processors (
  name TEXT PRIMARY KEY,
  arn TEXT NOT NULL,
  input_url TEXT NOT NULL,
  output_url TEXT NOT NULL,
  role_arn TEXT NOT NULL,
  collection_id TEXT NOT NULL,
  face_match_threshold REAL NOT NULL,
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('STOPPED', 'RUNNING', 'FAILED')),
  status_message TEXT NOT NULL,
  caller_json TEXT NOT NULL,
  session_json TEXT NOT NULL DEFAULT '',
  extras_json TEXT NOT NULL DEFAULT '{}'
) STRICT;
)sql";
constexpr char kVersion2[] =
    "ALTER TABLE stream_processors ADD COLUMN extras_json TEXT NOT NULL DEFAULT '{}'";


Status Configure(sqlite3* db, const std::string& path) {
  CANDOR_ASSIGN_OR_RETURN(const std::vector<std::string> mode,
                          store::QueryColumn(db, "PRAGMA journal_mode = WAL", "enable WAL", path));
  if (mode.size() != 1 || mode[0] != "wal") {
    return Status::Unsupported(path + ": SQLite cannot use WAL mode here");
  }
  return store::ExecOn(db, "PRAGMA synchronous = FULL", "configure the connection", path);
}

std::string CallerJson(const SessionCaller& c) {
  return json{{"Principal", c.principal},
              {"Source", c.source},
              {"RequestId", c.request_id},
              {"Reason", c.reason}}
      .dump();
}

StatusOr<SessionCaller> ParseCaller(const std::string& text, const std::string& path) {
  const json j = json::parse(text, nullptr, false);
  if (!j.is_object()) return Status::Corruption(path + ": a processor's caller is not JSON");
  SessionCaller c;
  for (auto [key, field] :
       {std::pair{"Principal", &c.principal}, std::pair{"Source", &c.source},
        std::pair{"RequestId", &c.request_id}, std::pair{"Reason", &c.reason}}) {
    const auto it = j.find(key);
    if (it != j.end() && it->is_string()) *field = it->get<std::string>();
  }
  return c;
}

std::string ExtrasJson(const StreamProcessorDefinition& d) {
  json extras = {{"Tags", d.tags}};
  if (!d.notification_channel_json.empty()) {
    extras["NotificationChannel"] = d.notification_channel_json;
  }
  if (!d.data_sharing_preference_json.empty()) {
    extras["DataSharingPreference"] = d.data_sharing_preference_json;
  }
  if (!d.kms_key_id.empty()) extras["KmsKeyId"] = d.kms_key_id;
  return extras.dump();
}

Status ParseExtras(const std::string& text, const std::string& path,
                   StreamProcessorDefinition* d) {
  const json j = json::parse(text, nullptr, false);
  const auto bad = [&] {
    return Status::Corruption(path + ": stream processor " + d->name + "'s extras are not valid");
  };
  if (!j.is_object()) return bad();
  for (auto [key, field] : {std::pair{"NotificationChannel", &d->notification_channel_json},
                            std::pair{"DataSharingPreference", &d->data_sharing_preference_json},
                            std::pair{"KmsKeyId", &d->kms_key_id}}) {
    const auto it = j.find(key);
    if (it == j.end()) continue;
    if (!it->is_string()) return bad();
    *field = it->get<std::string>();
  }
  if (const auto it = j.find("Tags"); it != j.end()) {
    if (!it->is_object()) return bad();
    for (const auto& [key, value] : it->items()) {
      if (!value.is_string()) return bad();
      d->tags[key] = value.get<std::string>();
    }
  }
  return Status::Ok();
}

}  // namespace

store::StreamProcessorRow EncodeStreamProcessor(const StoredStreamProcessor& p) {
  const StreamProcessorDefinition& d = p.definition;
  return {.name = d.name,
          .arn = d.arn,
          .input_url = d.input_url,
          .output_url = d.output_url,
          .role_arn = d.role_arn,
          .collection_id = d.collection_id,
          .face_match_threshold = static_cast<double>(d.face_match_threshold),
          .created_ms = d.created_ms,
          .updated_ms = d.updated_ms,
          .status = std::string(StatusName(p.status)),
          .status_message = p.status_message,
          .caller_json = CallerJson(p.caller),
          .session_json = p.open_session,
          .extras_json = ExtrasJson(d),
          .node = ""};
}

StatusOr<StoredStreamProcessor> DecodeStreamProcessor(const store::StreamProcessorRow& row,
                                                      const std::string& where) {
  StoredStreamProcessor p;
  StreamProcessorDefinition& d = p.definition;
  d.name = row.name;
  d.arn = row.arn;
  d.input_url = row.input_url;
  d.output_url = row.output_url;
  d.role_arn = row.role_arn;
  d.collection_id = row.collection_id;
  d.face_match_threshold = static_cast<float>(row.face_match_threshold);
  d.created_ms = row.created_ms;
  d.updated_ms = row.updated_ms;
  const auto status = ParseStatusName(row.status);
  if (!status) return Status::Corruption(where + ": stream processor " + d.name +
                                         " has an unknown status");
  p.status = *status;
  p.status_message = row.status_message;
  CANDOR_ASSIGN_OR_RETURN(p.caller, ParseCaller(row.caller_json, where));
  p.open_session = row.session_json;
  CANDOR_RETURN_IF_ERROR(ParseExtras(row.extras_json, where, &d));
  return p;
}

StreamProcessorStore::StreamProcessorStore(std::unique_ptr<store::SqliteDb> db)
    : db_(std::move(db)) {}

StreamProcessorStore::~StreamProcessorStore() = default;

StatusOr<std::unique_ptr<StreamProcessorStore>> StreamProcessorStore::Open(
    const std::string& path) {
  if (path.empty()) return Status::InvalidArgument("the stream processors file's path is empty");
  const std::string dir = std::filesystem::path(path).parent_path().string();
  if (!dir.empty()) CANDOR_RETURN_IF_ERROR(store::EnsureDataDirectory(dir));
  bool is_new = false;
  CANDOR_RETURN_IF_ERROR(store::CheckDatabaseFileHeader(path, &is_new));
  CANDOR_ASSIGN_OR_RETURN(
      store::Connection connection,
      store::OpenForInspection(path, false, kBusyTimeoutMs, "open the stream processors file"));
  bool empty = false;
  CANDOR_RETURN_IF_ERROR(store::InspectOwnedFile(connection.get(), path, kApplicationId,
                                                 kSchemaVersion, "stream_processors",
                                                 "stream processors", &empty));
  CANDOR_RETURN_IF_ERROR(store::AllowWrites(connection.get(), path));
  CANDOR_RETURN_IF_ERROR(Configure(connection.get(), path));
  auto db = std::make_unique<store::SqliteDb>(std::move(connection), path,
                                              store::ConstraintErrors::kCallerInput);
  if (empty) {
    CANDOR_RETURN_IF_ERROR(
        db->InTransaction(true, "create the stream processors file", [&]() -> Status {
          CANDOR_ASSIGN_OR_RETURN(
              const int64_t version,
              store::QueryInt(db->handle(), "PRAGMA user_version", "read the version", path));
          if (version != 0) return Status::Ok();  // another process made it meanwhile
          CANDOR_RETURN_IF_ERROR(db->Exec(kSchema, "create the stream processors table"));
          return db->Exec("PRAGMA application_id = " + std::to_string(kApplicationId) +
                              "; PRAGMA user_version = " + std::to_string(kSchemaVersion),
                          "mark the stream processors file");
        }));
    if (is_new && !dir.empty()) CANDOR_RETURN_IF_ERROR(store::FsyncDirectory(dir));
  } else {
    CANDOR_RETURN_IF_ERROR(db->InTransaction(true, "upgrade the stream processors file", [&]() -> Status {
      CANDOR_ASSIGN_OR_RETURN(
          const int64_t version,
          store::QueryInt(db->handle(), "PRAGMA user_version", "read the version", path));
      if (version >= 2) return Status::Ok();
      CANDOR_RETURN_IF_ERROR(db->Exec(kVersion2, "add the extras column"));
      return db->Exec("PRAGMA user_version = 2", "mark the stream processors file");
    }));
  }
  return std::unique_ptr<StreamProcessorStore>(new StreamProcessorStore(std::move(db)));
}

Status StreamProcessorStore::Insert(const StoredStreamProcessor& p) {
  std::lock_guard lock(mutex_);
  const StreamProcessorDefinition& d = p.definition;
  CANDOR_ASSIGN_OR_RETURN(
      store::Statement insert,
      db_->Prepare("INSERT INTO stream_processors (name, arn, input_url, output_url, role_arn,"
                   " collection_id, face_match_threshold, created_ms, updated_ms, status,"
                   " status_message, caller_json, extras_json)"
                   " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"));
  insert.Bind(1, d.name);
  insert.Bind(2, d.arn);
  insert.Bind(3, d.input_url);
  insert.Bind(4, d.output_url);
  insert.Bind(5, d.role_arn);
  insert.Bind(6, d.collection_id);
  insert.Bind(7, static_cast<double>(d.face_match_threshold));
  insert.Bind(8, d.created_ms);
  insert.Bind(9, d.updated_ms);
  insert.Bind(10, StatusName(p.status));
  insert.Bind(11, p.status_message);
  insert.Bind(12, CallerJson(p.caller));
  insert.Bind(13, ExtrasJson(d));
  const int rc = insert.Step();
  if (rc != SQLITE_DONE) {
    Status s = db_->Error(rc, "record the stream processor");
    if (s.code() == StatusCode::kAlreadyExists) {
      return Status::ResourceInUse("a stream processor named " + d.name + " already exists");
    }
    return s;
  }
  return Status::Ok();
}

Status StreamProcessorStore::UpdateStatus(const std::string& name, StreamProcessorStatus status,
                                          const std::string& message, const SessionCaller& caller,
                                          int64_t updated_ms) {
  std::lock_guard lock(mutex_);
  CANDOR_ASSIGN_OR_RETURN(
      store::Statement update,
      db_->Prepare("UPDATE stream_processors SET status = ?2, status_message = ?3,"
                   " caller_json = ?4, updated_ms = ?5 WHERE name = ?1"));
  update.Bind(1, name);
  update.Bind(2, StatusName(status));
  update.Bind(3, message);
  update.Bind(4, CallerJson(caller));
  update.Bind(5, updated_ms);
  const int rc = update.Step();
  if (rc != SQLITE_DONE) return db_->Error(rc, "record the stream processor's status");
  if (sqlite3_changes64(db_->handle()) == 0) {
    return Status::NotFound("no stream processor named " + name);
  }
  return Status::Ok();
}

Status StreamProcessorStore::SaveExtras(const StreamProcessorDefinition& d) {
  std::lock_guard lock(mutex_);
  CANDOR_ASSIGN_OR_RETURN(
      store::Statement update,
      db_->Prepare("UPDATE stream_processors SET extras_json = ?2 WHERE name = ?1"));
  update.Bind(1, d.name);
  update.Bind(2, ExtrasJson(d));
  const int rc = update.Step();
  if (rc != SQLITE_DONE) return db_->Error(rc, "record the stream processor's tags");
  if (sqlite3_changes64(db_->handle()) == 0) {
    return Status::NotFound("no stream processor named " + d.name);
  }
  return Status::Ok();
}

Status StreamProcessorStore::SaveSession(const std::string& name, const std::string& session_json) {
  std::lock_guard lock(mutex_);
  CANDOR_ASSIGN_OR_RETURN(
      store::Statement update,
      db_->Prepare("UPDATE stream_processors SET session_json = ?2 WHERE name = ?1"));
  update.Bind(1, name);
  update.Bind(2, session_json);
  const int rc = update.Step();
  if (rc != SQLITE_DONE) return db_->Error(rc, "record the stream processor's session");
  if (sqlite3_changes64(db_->handle()) == 0) {
    return Status::NotFound("no stream processor named " + name);
  }
  return Status::Ok();
}

Status StreamProcessorStore::Delete(const std::string& name) {
  std::lock_guard lock(mutex_);
  CANDOR_ASSIGN_OR_RETURN(store::Statement remove,
                          db_->Prepare("DELETE FROM stream_processors WHERE name = ?1"));
  remove.Bind(1, name);
  const int rc = remove.Step();
  if (rc != SQLITE_DONE) return db_->Error(rc, "delete the stream processor");
  if (sqlite3_changes64(db_->handle()) == 0) {
    return Status::NotFound("no stream processor named " + name);
  }
  return Status::Ok();
}

StatusOr<std::vector<StoredStreamProcessor>> StreamProcessorStore::LoadAll() {
  std::lock_guard lock(mutex_);
  CANDOR_ASSIGN_OR_RETURN(
      store::Statement select,
      db_->Prepare("SELECT name, arn, input_url, output_url, role_arn, collection_id,"
                   " face_match_threshold, created_ms, updated_ms, status, status_message,"
                   " caller_json, session_json, extras_json FROM stream_processors"
                   " ORDER BY name"));
  std::vector<StoredStreamProcessor> out;
  int rc;
  while ((rc = select.Step()) == SQLITE_ROW) {
    StoredStreamProcessor p;
    StreamProcessorDefinition& d = p.definition;
    d.name = select.Text(0);
    d.arn = select.Text(1);
    d.input_url = select.Text(2);
    d.output_url = select.Text(3);
    d.role_arn = select.Text(4);
    d.collection_id = select.Text(5);
    d.face_match_threshold = static_cast<float>(select.Double(6));
    d.created_ms = select.Int(7);
    d.updated_ms = select.Int(8);
    const auto status = ParseStatusName(select.Text(9));
    if (!status) {
      return Status::Corruption(db_->path() + ": stream processor " + d.name +
                                " has an unknown status");
    }
    p.status = *status;
    p.status_message = select.Text(10);
    CANDOR_ASSIGN_OR_RETURN(p.caller, ParseCaller(select.Text(11), db_->path()));
    p.open_session = select.Text(12);
    CANDOR_RETURN_IF_ERROR(ParseExtras(select.Text(13), db_->path(), &d));
    out.push_back(std::move(p));
  }
  if (rc != SQLITE_DONE) return db_->Error(rc, "read the stream processors");
  return out;
}

}  // namespace candor::video
