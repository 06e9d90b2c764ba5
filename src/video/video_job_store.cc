// Settings as the stream processors' file (stream_processor_store.cc): WAL,
// synchronous=FULL (a Start* that returned a JobId survives power loss),
// STRICT tables, and nothing written before the file is known to be ours.
#include "video/video_job_store.h"

#include <filesystem>

#include "store/data_dir.h"
#include "store/sqlite_util.h"

namespace candor::video {
namespace {

using nlohmann::json;

constexpr int kBusyTimeoutMs = 10000;
// "CVJb": marks the file as Candor's video-jobs file.
constexpr int32_t kApplicationId = 0x43564A62;
// 2: search_json (VideoSearchCalibration).
constexpr int kSchemaVersion = 2;

constexpr char kSchema[] = R"sql(
CREATE TABLE video_jobs (
  seq INTEGER PRIMARY KEY,
  job_id TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL CHECK (kind IN ('FaceDetection', 'FaceSearch')),
  request_json TEXT NOT NULL,
  caller_json TEXT NOT NULL,
  policy_json TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('IN_PROGRESS', 'SUCCEEDED', 'FAILED')),
  status_message TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  completed_ms INTEGER NOT NULL,
  metadata_json TEXT NOT NULL,
  results_json TEXT NOT NULL,
  search_json TEXT NOT NULL DEFAULT '{}'
) STRICT;
)sql";

// From format 1: the same table, without search_json.
constexpr char kUpgradeFrom1[] =
    "ALTER TABLE video_jobs ADD COLUMN search_json TEXT NOT NULL DEFAULT '{}'";


Status Configure(sqlite3* db, const std::string& path) {
  CANDOR_ASSIGN_OR_RETURN(const std::vector<std::string> mode,
                          store::QueryColumn(db, "PRAGMA journal_mode = WAL", "enable WAL", path));
  if (mode.size() != 1 || mode[0] != "wal") {
    return Status::Unsupported(path + ": SQLite cannot use WAL mode here");
  }
  return store::ExecOn(db, "PRAGMA synchronous = FULL", "configure the connection", path);
}

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

json RequestJson(const VideoJobRequest& r) {
  json j = r.Parameters();
  j["VideoPath"] = r.video_path;
  j["ClientRequestToken"] = r.client_request_token;
  return j;
}

json CallerJson(const SessionCaller& c) {
  return {{"Principal", c.principal},
          {"Source", c.source},
          {"RequestId", c.request_id},
          {"Reason", c.reason}};
}

json PolicyJson(const SessionPolicy& p) {
  return {{"Purpose", p.purpose},
          {"ThresholdRequested", p.threshold_requested},
          {"ThresholdApplied", p.threshold_applied},
          {"MaxMatches", p.max_matches}};
}

json SearchJson(const VideoSearchCalibration& s) {
  json j = json::object();
  if (!s.calibration_version.empty()) j["CalibrationVersion"] = s.calibration_version;
  if (s.collection_false_match_rate) {
    j["CollectionFalseMatchRate"] = *s.collection_false_match_rate;
  }
  return j;
}

json MetadataJson(const VideoMetadata& m) {
  return {
      {"Codec", m.codec},          {"Format", m.format},          {"DurationMillis", m.duration_ms},
      {"FrameRate", m.frame_rate}, {"FrameWidth", m.frame_width}, {"FrameHeight", m.frame_height}};
}

// Reading back: a field of the wrong type is Corruption, naming the job.
class Reader {
 public:
  Reader(const std::string& text, std::string where) : where_(std::move(where)) {
    j_ = json::parse(text, nullptr, false);
    if (!j_.is_object()) status_ = Status::Corruption(where_ + " is not a JSON object");
  }
  template <typename T>
  T Get(const char* key) {
    if (!status_.ok()) return T{};
    const auto it = j_.find(key);
    try {
      if (it != j_.end()) return it->get<T>();
    } catch (const json::exception&) {
    }
    status_ = Status::Corruption(where_ + "." + key + " is missing or of the wrong type");
    return T{};
  }
  const Status& status() const { return status_; }

 private:
  std::string where_;
  json j_;
  Status status_ = Status::Ok();
};

Status ReadRequest(const std::string& text, const std::string& where, VideoJobRequest* r) {
  Reader in(text, where);
  const auto kind = ParseVideoJobKind(in.Get<std::string>("Kind"));
  r->bucket = in.Get<std::string>("Bucket");
  r->name = in.Get<std::string>("Name");
  r->version = in.Get<std::string>("Version");
  r->video_path = in.Get<std::string>("VideoPath");
  r->client_request_token = in.Get<std::string>("ClientRequestToken");
  r->job_tag = in.Get<std::string>("JobTag");
  r->attributes =
      in.Get<std::string>("FaceAttributes") == "ALL" ? AttributeSet::kAll : AttributeSet::kDefault;
  r->collection_id = in.Get<std::string>("CollectionId");
  r->face_match_threshold = in.Get<float>("FaceMatchThreshold");
  CANDOR_RETURN_IF_ERROR(in.status());
  if (!kind) return Status::Corruption(where + " has an unknown Kind");
  r->kind = *kind;
  return Status::Ok();
}

Status ReadCaller(const std::string& text, const std::string& where, SessionCaller* c) {
  Reader in(text, where);
  c->principal = in.Get<std::string>("Principal");
  c->source = in.Get<std::string>("Source");
  c->request_id = in.Get<std::string>("RequestId");
  c->reason = in.Get<std::string>("Reason");
  return in.status();
}

Status ReadPolicy(const std::string& text, const std::string& where, SessionPolicy* p) {
  Reader in(text, where);
  p->purpose = in.Get<std::string>("Purpose");
  p->threshold_requested = in.Get<float>("ThresholdRequested");
  p->threshold_applied = in.Get<float>("ThresholdApplied");
  p->max_matches = in.Get<int>("MaxMatches");
  return in.status();
}

// Both members are optional: a job that searched nothing, or that ended
// before format 2, has neither.
Status ReadSearch(const std::string& text, const std::string& where, VideoSearchCalibration* s) {
  const json j = json::parse(text, nullptr, false);
  if (!j.is_object()) return Status::Corruption(where + " is not a JSON object");
  const auto version = j.find("CalibrationVersion");
  if (version != j.end()) {
    if (!version->is_string()) {
      return Status::Corruption(where + ".CalibrationVersion is not a string");
    }
    s->calibration_version = version->get<std::string>();
  }
  const auto rate = j.find("CollectionFalseMatchRate");
  if (rate != j.end()) {
    if (!rate->is_number()) {
      return Status::Corruption(where + ".CollectionFalseMatchRate is not a number");
    }
    s->collection_false_match_rate = rate->get<double>();
  }
  return Status::Ok();
}

Status ReadMetadata(const std::string& text, const std::string& where, VideoMetadata* m) {
  Reader in(text, where);
  m->codec = in.Get<std::string>("Codec");
  m->format = in.Get<std::string>("Format");
  m->duration_ms = in.Get<int64_t>("DurationMillis");
  m->frame_rate = in.Get<double>("FrameRate");
  m->frame_width = in.Get<int>("FrameWidth");
  m->frame_height = in.Get<int>("FrameHeight");
  return in.status();
}

}  // namespace

std::string_view VideoJobKindName(VideoJobKind kind) {
  return kind == VideoJobKind::kFaceSearch ? "FaceSearch" : "FaceDetection";
}

std::string_view VideoJobStatusName(VideoJobStatus status) {
  switch (status) {
    case VideoJobStatus::kInProgress:
      return "IN_PROGRESS";
    case VideoJobStatus::kSucceeded:
      return "SUCCEEDED";
    case VideoJobStatus::kFailed:
      return "FAILED";
  }
  return "FAILED";
}

std::optional<VideoJobKind> ParseVideoJobKind(std::string_view name) {
  if (name == "FaceDetection") return VideoJobKind::kFaceDetection;
  if (name == "FaceSearch") return VideoJobKind::kFaceSearch;
  return std::nullopt;
}

std::optional<VideoJobStatus> ParseVideoJobStatus(std::string_view name) {
  for (VideoJobStatus s :
       {VideoJobStatus::kInProgress, VideoJobStatus::kSucceeded, VideoJobStatus::kFailed}) {
    if (VideoJobStatusName(s) == name) return s;
  }
  return std::nullopt;
}

json VideoJobRequest::Parameters() const {
  return {{"Kind", VideoJobKindName(kind)},
          {"Bucket", bucket},
          {"Name", name},
          {"Version", version},
          {"JobTag", job_tag},
          {"FaceAttributes", attributes == AttributeSet::kAll ? "ALL" : "DEFAULT"},
          {"CollectionId", collection_id},
          {"FaceMatchThreshold", face_match_threshold}};
}

store::VideoJobRow EncodeVideoJob(const StoredVideoJob& job) {
  return {.job_id = job.job_id,
          .kind = std::string(VideoJobKindName(job.request.kind)),
          .client_request_token = job.request.client_request_token,
          .request_json = Dump(RequestJson(job.request)),
          .caller_json = Dump(CallerJson(job.caller)),
          .policy_json = Dump(PolicyJson(job.policy)),
          .status = std::string(VideoJobStatusName(job.status)),
          .status_message = job.status_message,
          .created_ms = job.created_ms,
          .completed_ms = job.completed_ms,
          .metadata_json = Dump(MetadataJson(job.metadata)),
          .results_json = Dump(job.results),
          .search_json = Dump(SearchJson(job.search))};
}

StatusOr<StoredVideoJob> DecodeVideoJob(const store::VideoJobRow& row, const std::string& where) {
  StoredVideoJob job;
  job.job_id = row.job_id;
  CANDOR_RETURN_IF_ERROR(ReadRequest(row.request_json, where + " request", &job.request));
  if (VideoJobKindName(job.request.kind) != row.kind) {
    return Status::Corruption(where + " has a kind other than its request's");
  }
  CANDOR_RETURN_IF_ERROR(ReadCaller(row.caller_json, where + " caller", &job.caller));
  CANDOR_RETURN_IF_ERROR(ReadPolicy(row.policy_json, where + " policy", &job.policy));
  const auto status = ParseVideoJobStatus(row.status);
  if (!status) return Status::Corruption(where + " has an unknown status");
  job.status = *status;
  job.status_message = row.status_message;
  job.created_ms = row.created_ms;
  job.completed_ms = row.completed_ms;
  CANDOR_RETURN_IF_ERROR(ReadMetadata(row.metadata_json, where + " metadata", &job.metadata));
  job.results = json::parse(row.results_json, nullptr, false);
  if (!job.results.is_array()) return Status::Corruption(where + " results are not a list");
  CANDOR_RETURN_IF_ERROR(ReadSearch(row.search_json, where + " search", &job.search));
  return job;
}

VideoJobStore::VideoJobStore(std::unique_ptr<store::SqliteDb> db) : db_(std::move(db)) {}

VideoJobStore::~VideoJobStore() = default;

StatusOr<std::unique_ptr<VideoJobStore>> VideoJobStore::Open(const std::string& path) {
  if (path.empty()) return Status::InvalidArgument("the video jobs file's path is empty");
  const std::string dir = std::filesystem::path(path).parent_path().string();
  if (!dir.empty()) CANDOR_RETURN_IF_ERROR(store::EnsureDataDirectory(dir));
  bool is_new = false;
  CANDOR_RETURN_IF_ERROR(store::CheckDatabaseFileHeader(path, &is_new));
  CANDOR_ASSIGN_OR_RETURN(
      store::Connection connection,
      store::OpenForInspection(path, false, kBusyTimeoutMs, "open the video jobs file"));
  bool empty = false;
  CANDOR_RETURN_IF_ERROR(store::InspectOwnedFile(connection.get(), path, kApplicationId,
                                                 kSchemaVersion, "video_jobs", "video jobs", &empty));
  CANDOR_RETURN_IF_ERROR(store::AllowWrites(connection.get(), path));
  CANDOR_RETURN_IF_ERROR(Configure(connection.get(), path));
  auto db = std::make_unique<store::SqliteDb>(std::move(connection), path,
                                              store::ConstraintErrors::kCallerInput);
  if (empty) {
    CANDOR_RETURN_IF_ERROR(db->InTransaction(true, "create the video jobs file", [&]() -> Status {
      CANDOR_ASSIGN_OR_RETURN(
          const int64_t version,
          store::QueryInt(db->handle(), "PRAGMA user_version", "read the version", path));
      if (version != 0) return Status::Ok();  // another process made it meanwhile
      CANDOR_RETURN_IF_ERROR(db->Exec(kSchema, "create the video jobs table"));
      return db->Exec("PRAGMA application_id = " + std::to_string(kApplicationId) +
                          "; PRAGMA user_version = " + std::to_string(kSchemaVersion),
                      "mark the video jobs file");
    }));
    if (is_new && !dir.empty()) CANDOR_RETURN_IF_ERROR(store::FsyncDirectory(dir));
  } else {
    CANDOR_RETURN_IF_ERROR(db->InTransaction(true, "upgrade the video jobs file", [&]() -> Status {
      CANDOR_ASSIGN_OR_RETURN(
          const int64_t version,
          store::QueryInt(db->handle(), "PRAGMA user_version", "read the version", path));
      if (version >= kSchemaVersion) return Status::Ok();  // current, or upgraded meanwhile
      CANDOR_RETURN_IF_ERROR(db->Exec(kUpgradeFrom1, "add search_json to the video jobs"));
      return db->Exec("PRAGMA user_version = " + std::to_string(kSchemaVersion),
                      "mark the video jobs file");
    }));
  }
  return std::unique_ptr<VideoJobStore>(new VideoJobStore(std::move(db)));
}

Status VideoJobStore::Insert(const StoredVideoJob& job) {
  std::lock_guard lock(mutex_);
  CANDOR_ASSIGN_OR_RETURN(
      store::Statement insert,
      db_->Prepare("INSERT INTO video_jobs (job_id, kind, request_json, caller_json, policy_json,"
                   " status, status_message, created_ms, completed_ms, metadata_json,"
                   " results_json, search_json)"
                   " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"));
  insert.Bind(1, job.job_id);
  insert.Bind(2, std::string(VideoJobKindName(job.request.kind)));
  insert.Bind(3, Dump(RequestJson(job.request)));
  insert.Bind(4, Dump(CallerJson(job.caller)));
  insert.Bind(5, Dump(PolicyJson(job.policy)));
  insert.Bind(6, std::string(VideoJobStatusName(job.status)));
  insert.Bind(7, job.status_message);
  insert.Bind(8, job.created_ms);
  insert.Bind(9, job.completed_ms);
  insert.Bind(10, Dump(MetadataJson(job.metadata)));
  insert.Bind(11, Dump(job.results));
  insert.Bind(12, Dump(SearchJson(job.search)));
  const int rc = insert.Step();
  if (rc != SQLITE_DONE) {
    Status s = db_->Error(rc, "record the video job");
    if (s.code() == StatusCode::kAlreadyExists) {
      return Status::AlreadyExists("a video job " + job.job_id + " already exists");
    }
    return s;
  }
  return Status::Ok();
}

Status VideoJobStore::Complete(const StoredVideoJob& job) {
  std::lock_guard lock(mutex_);
  CANDOR_ASSIGN_OR_RETURN(
      store::Statement update,
      db_->Prepare("UPDATE video_jobs SET status = ?2, status_message = ?3, completed_ms = ?4,"
                   " metadata_json = ?5, results_json = ?6, search_json = ?7 WHERE job_id = ?1"));
  update.Bind(1, job.job_id);
  update.Bind(2, std::string(VideoJobStatusName(job.status)));
  update.Bind(3, job.status_message);
  update.Bind(4, job.completed_ms);
  update.Bind(5, Dump(MetadataJson(job.metadata)));
  update.Bind(6, Dump(job.results));
  update.Bind(7, Dump(SearchJson(job.search)));
  const int rc = update.Step();
  if (rc != SQLITE_DONE) return db_->Error(rc, "record the video job's end");
  if (sqlite3_changes64(db_->handle()) == 0) return Status::NotFound("no video job " + job.job_id);
  return Status::Ok();
}

StatusOr<std::vector<StoredVideoJob>> VideoJobStore::LoadAll() {
  std::lock_guard lock(mutex_);
  CANDOR_ASSIGN_OR_RETURN(
      store::Statement select,
      db_->Prepare("SELECT job_id, request_json, caller_json, policy_json, status,"
                   " status_message, created_ms, completed_ms, metadata_json, results_json,"
                   " search_json FROM video_jobs ORDER BY seq"));
  std::vector<StoredVideoJob> out;
  int rc;
  while ((rc = select.Step()) == SQLITE_ROW) {
    StoredVideoJob job;
    job.job_id = select.Text(0);
    const std::string where = db_->path() + ": video job " + job.job_id;
    CANDOR_RETURN_IF_ERROR(ReadRequest(select.Text(1), where + " request", &job.request));
    CANDOR_RETURN_IF_ERROR(ReadCaller(select.Text(2), where + " caller", &job.caller));
    CANDOR_RETURN_IF_ERROR(ReadPolicy(select.Text(3), where + " policy", &job.policy));
    const auto status = ParseVideoJobStatus(select.Text(4));
    if (!status) return Status::Corruption(where + " has an unknown status");
    job.status = *status;
    job.status_message = select.Text(5);
    job.created_ms = select.Int(6);
    job.completed_ms = select.Int(7);
    CANDOR_RETURN_IF_ERROR(ReadMetadata(select.Text(8), where + " metadata", &job.metadata));
    job.results = json::parse(select.Text(9), nullptr, false);
    if (!job.results.is_array()) return Status::Corruption(where + " results are not a list");
    CANDOR_RETURN_IF_ERROR(ReadSearch(select.Text(10), where + " search", &job.search));
    out.push_back(std::move(job));
  }
  if (rc != SQLITE_DONE) return db_->Error(rc, "read the video jobs");
  return out;
}

}  // namespace candor::video
