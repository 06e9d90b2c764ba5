// The one file that uses cpp-httplib.
#include "server/http_server.h"

#include <httplib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <deque>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "server/credentials.h"
#include "server/metrics.h"
#include "server/replay_cache.h"
#include "policy/roles.h"
#include "server/operations.h"
#include "server/retention.h"
#include "server/sigv4.h"
#include "server/wire.h"

namespace candor::server {
namespace {

using Clock = std::chrono::steady_clock;

// Connection threads with a bounded backlog: when every thread is busy and
// `max_pending` accepted connections wait, the accept loop blocks here, and
// further clients wait in the kernel's listen queue instead of in memory.
class BoundedPool : public httplib::TaskQueue {
 public:
  BoundedPool(size_t threads, size_t max_pending) : max_pending_(max_pending) {
    for (size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { Work(); });
  }

  void enqueue(std::function<void()> fn) override {
    std::unique_lock lock(mu_);
    space_.wait(lock, [&] { return pending_.size() < max_pending_ || stopping_; });
    pending_.push_back(std::move(fn));
    ready_.notify_one();
  }

  // Runs what was accepted, then joins.
  void shutdown() override {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    ready_.notify_all();
    space_.notify_all();
    for (std::thread& t : threads_) t.join();
  }

 private:
  void Work() {
    for (;;) {
      std::function<void()> fn;
      {
        std::unique_lock lock(mu_);
        ready_.wait(lock, [&] { return !pending_.empty() || stopping_; });
        if (pending_.empty()) return;
        fn = std::move(pending_.front());
        pending_.pop_front();
      }
      space_.notify_one();
      fn();
    }
  }

  const size_t max_pending_;
  std::mutex mu_;
  std::condition_variable ready_, space_;
  std::deque<std::function<void()>> pending_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

// One JSON object per line: time, request id, remote address, principal,
// operation, HTTP status, error type, milliseconds, bytes in and out.
class AccessLog {
 public:
  static StatusOr<std::unique_ptr<AccessLog>> Open(const std::string& path) {
    auto log = std::make_unique<AccessLog>();
    if (path.empty()) return log;
    if (path == "-") {
      log->file_ = stderr;
      return log;
    }
    log->file_ = std::fopen(path.c_str(), "a");
    if (log->file_ == nullptr) return Status::IOError("cannot open the access log " + path);
    log->owned_ = true;
    return log;
  }
  ~AccessLog() {
    if (owned_) std::fclose(file_);
  }

  void Write(const nlohmann::ordered_json& entry) {
    if (file_ == nullptr) return;
    const std::string line =
        entry.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
    std::lock_guard lock(mu_);
    std::fwrite(line.data(), 1, line.size(), file_);
    std::fflush(file_);
  }

 private:
  std::mutex mu_;
  std::FILE* file_ = nullptr;
  bool owned_ = false;
};

std::string IsoTime(std::chrono::system_clock::time_point t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

double ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE));
}

// The credentials file with each principal's roles, replaced as a whole when
// keys are created or deleted through the API.
struct KeyRing {
  CredentialStore store;
  std::map<std::string, std::vector<policy::Role>> roles;  // by principal
};

StatusOr<std::shared_ptr<const KeyRing>> LoadKeyRing(const std::string& path) {
  auto ring = std::make_shared<KeyRing>();
  if (path.empty()) return std::shared_ptr<const KeyRing>(ring);
  CANDOR_ASSIGN_OR_RETURN(ring->store, CredentialStore::Load(path));
  for (const Credential& c : ring->store.credentials()) {
    auto it = c.attributes.find("role");
    if (it == c.attributes.end()) {
      return Status::InvalidArgument(path + ": principal [" + c.principal +
                                     "] has no role (add a line `role = searcher`, or admin, "
                                     "enroller, analyst, auditor; several with commas)");
    }
    auto roles = policy::ParseRoles(it->second);
    if (!roles.ok()) {
      return Status::InvalidArgument(path + ": principal [" + c.principal +
                                     "]: " + roles.status().message());
    }
    ring->roles[c.principal] = *roles;
    if (auto reason = c.attributes.find("reason"); reason != c.attributes.end()) {
      CANDOR_RETURN_IF_ERROR(ValidateReason(reason->second));
    }
  }
  return std::shared_ptr<const KeyRing>(ring);
}

class HttpServerImpl : public HttpServer {
 public:
  HttpServerImpl(Engine* engine, Collections* collections, audit::AuditLog* audit,
                 const ServerOptions& options, std::shared_ptr<const KeyRing> keys,
                 std::unique_ptr<AccessLog> log, std::unique_ptr<httplib::Server> http)
      : options_(options), keys_(std::move(keys)), log_(std::move(log)), http_(std::move(http)) {
    service_.engine = engine;
    service_.collections = collections;
    service_.audit = audit;
    service_.request_options.s3_root = options.s3_root;
    service_.stream_processors = options.stream_processors;
    service_.video_jobs = options.video_jobs;
    if (!options.credentials_path.empty()) {
      key_admin_.create = [this](const nlohmann::json& b) { return CreateKey(b); };
      key_admin_.list = [this](const nlohmann::json& b) { return ListKeys(b); };
      key_admin_.remove = [this](const nlohmann::json& b) { return DeleteKey(b); };
      service_.keys = &key_admin_;
    }
    const int workers = std::max(1, options.engine_workers);
    capacity_ = workers + (options.max_waiting > 0 ? options.max_waiting : 4 * workers);
    workers_ = workers;
    Configure();
  }

  Status Bind() override {
    if (options_.port == 0) {
      port_ = http_->bind_to_any_port(options_.host);
      if (port_ < 0) return Status::IOError("cannot listen on " + options_.host);
    } else {
      if (!http_->bind_to_port(options_.host, options_.port)) {
        return Status::IOError("cannot listen on " + options_.host + ":" +
                               std::to_string(options_.port) + " (in use, or not an address here)");
      }
      port_ = options_.port;
    }
    return Status::Ok();
  }

  Status Serve() override {
    if (port_ < 0) CANDOR_RETURN_IF_ERROR(Bind());
    std::thread retention;
    if (options_.retention_interval_seconds > 0) retention = std::thread([this] { Retain(); });
    const bool listened = http_->listen_after_bind();
    {
      std::lock_guard lock(stop_mu_);
      stopped_ = true;
    }
    stop_cv_.notify_all();
    if (retention.joinable()) retention.join();
    if (!listened && !stop_requested_) return Status::IOError("the listening socket failed");
    return Status::Ok();
  }

  void Stop() override {
    stop_requested_ = true;
    http_->stop();
  }
  int port() const override { return port_; }
  bool tls() const override { return !options_.tls_cert_path.empty(); }

 private:
  void Configure() {
    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    const size_t threads =
        options_.connection_threads > 0 ? options_.connection_threads : 16 * cores;
    http_->new_task_queue = [threads] { return new BoundedPool(threads, 4 * threads); };
    http_->set_read_timeout(options_.read_timeout_seconds, 0);
    http_->set_write_timeout(options_.write_timeout_seconds, 0);
    http_->set_keep_alive_max_count(1000);
    http_->set_keep_alive_timeout(10);
    http_->set_payload_max_length(options_.max_body_bytes);
    http_->set_tcp_nodelay(true);

    http_->set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
      // Compressed bodies would be inflated by the HTTP library past every
      // limit; the AWS SDKs never compress Rekognition requests.
      const std::string encoding = req.get_header_value("Content-Encoding");
      if (!encoding.empty() && encoding != "identity") {
        Reply(res, 400, "SerializationException",
              "Content-Encoding " + encoding + " is not accepted", "");
        res.set_header("Connection", "close");
        LogRefused(req, res, "SerializationException");
        return httplib::Server::HandlerResponse::Handled;
      }
      return httplib::Server::HandlerResponse::Unhandled;
    });
    http_->Post("/", [this](const httplib::Request& req, httplib::Response& res) {
      HandleRekognition(req, res);
    });
    http_->Get("/health", [this](const httplib::Request&, httplib::Response& res) {
      nlohmann::json j = {{"status", "ok"}};
      if (options_.public_details) {
        j["face_model_version"] = service_.engine->face_model_version();
        j["requests_in_flight"] = metrics_.in_flight.load();
      }
      res.set_content(j.dump(), "application/json");
    });
    http_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content(RenderMetrics(), "text/plain; version=0.0.4");
    });
    http_->set_error_handler([this](const httplib::Request& req, httplib::Response& res) {
      if (!res.body.empty()) return;
      struct LogAfter {
        HttpServerImpl* self;
        const httplib::Request& req;
        httplib::Response& res;
        ~LogAfter() {
          auto j = nlohmann::json::parse(res.body, nullptr, false);
          self->LogRefused(req, res, j.is_object() ? j.value("__type", "-") : "-");
        }
      } log_after{this, req, res};
      if (res.status == 413) {
        Reply(res, 413, "ImageTooLargeException",
              "the request body is larger than " + std::to_string(options_.max_body_bytes) +
                  " bytes",
              "");
      } else if (res.status == 404 || res.status == 405) {
        Reply(res, res.status, "UnknownOperationException",
              "Rekognition operations are POST /; health is GET /health, metrics GET /metrics",
              "");
      } else {
        Reply(res, res.status, "SerializationException", "malformed HTTP request", "");
      }
    });
    http_->set_exception_handler(
        [this](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
          Reply(res, 500, "InternalServerError", "internal error", "");
        });
  }

  // A request answered before it reached an operation (too large, malformed
  // HTTP, compressed, no such path): still one access-log line and metric.
  void LogRefused(const httplib::Request& req, const httplib::Response& res,
                  const std::string& outcome) {
    std::string operation = "-";
    auto op = OperationFromTarget(req.get_header_value("X-Amz-Target"));
    if (op.ok()) operation = *op;
    metrics_.Record("(refused)", outcome, 0);
    log_->Write(nlohmann::ordered_json{{"time", IsoTime(std::chrono::system_clock::now())},
                                       {"request_id", "-"},
                                       {"remote", req.remote_addr},
                                       {"principal", "-"},
                                       {"operation", operation},
                                       {"status", res.status},
                                       {"outcome", outcome},
                                       {"ms", 0},
                                       {"bytes_in", req.body.size()},
                                       {"bytes_out", res.body.size()}});
  }

  void Reply(httplib::Response& res, int status, std::string_view type, std::string_view message,
             const std::string& request_id) {
    res.status = status;
    if (!request_id.empty()) res.set_header("x-amzn-RequestId", request_id);
    res.set_content(ErrorBody(type, message), std::string(kJsonContentType));
  }

  void HandleRekognition(const httplib::Request& req, httplib::Response& res) {
    const auto started = Clock::now();
    const auto wall = std::chrono::system_clock::now();
    const std::string request_id = NewRequestId();
    std::string operation = "-", principal = "-", outcome = "ok";
    int status = 200;

    CallContext call;
    std::string signature;  // of a signed request
    int64_t signed_at = 0;
    auto fail = [&](int http_status, std::string_view type, std::string_view message) {
      status = http_status;
      outcome = std::string(type);
      Reply(res, http_status, type, message, request_id);
    };

    [&] {
      auto op = OperationFromTarget(req.get_header_value("X-Amz-Target"));
      if (!op.ok()) return fail(400, WireErrorName(op.status().code()), op.status().message());
      operation = *op;

      // Authentication first: nothing about the request is trusted before.
      if (req.has_header("Authorization") || !options_.allow_anonymous) {
        HttpRequestView view;
        view.method = req.method;
        view.path = req.path;
        const size_t q = req.target.find('?');
        if (q != std::string::npos) view.query = req.target.substr(q + 1);
        for (const auto& [k, v] : req.headers) view.headers.emplace_back(k, v);
        view.body = req.body;
        VerifyOptions verify;
        verify.region = options_.region;
        std::shared_ptr<const KeyRing> keys = Keys();
        const AuthResult auth = VerifySigV4(view, keys->store, verify, std::time(nullptr));
        if (!auth.ok) return fail(auth.http_status, auth.error_type, auth.message);
        signature = auth.signature;
        signed_at = auth.signed_at;
        principal = auth.credential->principal;
        call.roles = keys->roles.at(principal);
        if (auto r = auth.credential->attributes.find("reason");
            r != auth.credential->attributes.end()) {
          call.reason = r->second;
        }
      } else {
        principal = "anonymous";
        call.roles = policy::AllRoles();
      }
      if (req.has_header("X-Candor-Reason")) {
        call.reason = req.get_header_value("X-Candor-Reason");
        Status valid = ValidateReason(call.reason);
        if (!valid.ok()) return fail(400, WireErrorName(valid.code()), "X-Candor-Reason: " + valid.message());
      }

      if (!IsKnownOperation(operation)) {
        return fail(400, "UnknownOperationException",
                    "operation " + operation + " is not supported by this service");
      }
      const std::string content_type = req.get_header_value("Content-Type");
      if (content_type.rfind("application/x-amz-json", 0) != 0 &&
          content_type.rfind("application/json", 0) != 0) {
        return fail(400, "SerializationException",
                    "Content-Type must be application/x-amz-json-1.1");
      }

      // Admission: a bounded number of requests may hold or wait for an
      // engine worker; the rest are told to retry.
      const int64_t admitted = metrics_.in_flight.fetch_add(1) + 1;
      struct Release {
        Metrics& m;
        ~Release() { m.in_flight.fetch_sub(1); }
      } release{metrics_};
      if (admitted > capacity_) {
        return fail(400, "ThrottlingException",
                    "the service is at capacity (" + std::to_string(capacity_) +
                        " requests in flight); retry with backoff");
      }
      const bool waits = admitted > workers_;
      if (waits) metrics_.waiting.fetch_add(1);
      struct Unwait {
        Metrics& m;
        bool active;
        ~Unwait() {
          if (active) m.waiting.fetch_sub(1);
        }
      } unwait{metrics_, waits};

      auto body = ParseRequestBody(req.body, options_.max_json_depth);
      if (!body.ok()) {
        return fail(HttpStatusFor(body.status().code()), WireErrorName(body.status().code()),
                    body.status().message());
      }
      // A signed write is done once: the same signature again (a captured
      // request, sent while SigV4 would still accept it) is refused. Checked
      // last, so that a request refused above (throttled, malformed) may be
      // sent again as it was.
      if (!signature.empty() && IsWriteOperation(operation) &&
          !replays_.Accept(signature, signed_at, std::time(nullptr))) {
        return fail(403, "InvalidSignatureException",
                    "this signed request was received before; a write is done once per "
                    "signature (sign the request again)");
      }
      call.principal = principal;
      call.source = req.remote_addr;
      call.request_id = request_id;
      StatusOr<nlohmann::json> result = RunOperation(operation, *body, service_, call);
      if (!result.ok()) {
        return fail(HttpStatusFor(result.status().code()), WireErrorName(result.status().code()),
                    result.status().message());
      }
      res.status = 200;
      res.set_header("x-amzn-RequestId", request_id);
      res.set_content(result->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                      std::string(kJsonContentType));
    }();

    const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
    // Labels come from known operations only: an unauthenticated client
    // naming a new X-Amz-Target each time must not grow /metrics.
    metrics_.Record(IsKnownOperation(operation) ? operation : "(unknown)", outcome, seconds);
    log_->Write(nlohmann::ordered_json{{"time", IsoTime(wall)},
                 {"request_id", request_id},
                 {"remote", req.remote_addr},
                 {"principal", principal},
                 {"operation", operation},
                 {"status", status},
                 {"outcome", outcome},
                 {"ms", std::round(seconds * 1e4) / 10},
                 {"bytes_in", req.body.size()},
                 {"bytes_out", res.body.size()}});
  }

  std::string RenderMetrics() {
    std::vector<std::pair<std::string, int64_t>> faces;
    auto page = service_.collections->ListCollections("", 1000);
    if (page.ok() && options_.public_details) {
      for (const std::string& id : page->collection_ids) {
        // Counts only: a scrape must not measure galleries.
        auto d = service_.collections->DescribeCollection(id, false);
        if (d.ok()) faces.emplace_back(id, d->face_count);
      }
    }
    return metrics_.Render(faces, {{"candor_process_resident_memory_bytes", ResidentBytes()},
                                   {"candor_admission_capacity", static_cast<double>(capacity_)}});
  }

  // The key ring; the credentials file is looked at again at most once a
  // second, so that a key added or deleted with `candor keys` takes effect
  // without a restart (a file that no longer parses keeps the old keys, and
  // says so).
  std::shared_ptr<const KeyRing> Keys() {
    std::unique_lock lock(keys_mu_);
    if (options_.credentials_path.empty()) return keys_;
    const auto now = Clock::now();
    if (now - keys_checked_ < std::chrono::seconds(1)) return keys_;
    keys_checked_ = now;
    struct stat st {};
    if (::stat(options_.credentials_path.c_str(), &st) != 0) return keys_;
    const auto stamp = std::make_pair(static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 +
                                          st.st_mtim.tv_nsec,
                                      static_cast<int64_t>(st.st_size));
    if (stamp == keys_stamp_) return keys_;
    keys_stamp_ = stamp;
    lock.unlock();
    Status reloaded = ReloadKeys();
    if (!reloaded.ok()) {
      std::fprintf(stderr, "candor: keeping the previous keys: %s\n", reloaded.ToString().c_str());
    }
    lock.lock();
    return keys_;
  }

  Status ReloadKeys() {
    CANDOR_ASSIGN_OR_RETURN(auto ring, LoadKeyRing(options_.credentials_path));
    std::lock_guard lock(keys_mu_);
    keys_ = std::move(ring);
    return Status::Ok();
  }

  // Candor.CreateAccessKey {"Principal", "Roles": [...], "Reason"}: the new
  // key, its secret shown this once.
  StatusOr<nlohmann::json> CreateKey(const nlohmann::json& body) {
    const auto principal = body.find("Principal");
    const auto roles = body.find("Roles");
    if (principal == body.end() || !principal->is_string()) {
      return Status::InvalidArgument("Principal (a string) is required");
    }
    if (roles == body.end() || !roles->is_array() || roles->empty()) {
      return Status::InvalidArgument("Roles (a list of role names) is required");
    }
    std::string role_text;
    for (const auto& r : *roles) {
      if (!r.is_string()) return Status::Serialization("Roles must be strings");
      role_text += (role_text.empty() ? "" : ",") + r.get<std::string>();
    }
    CANDOR_ASSIGN_OR_RETURN(auto parsed, policy::ParseRoles(role_text));
    Credential c = GenerateCredential(principal->get<std::string>());
    c.attributes["role"] = policy::RolesText(parsed);
    if (auto reason = body.find("Reason"); reason != body.end() && !reason->is_null()) {
      if (!reason->is_string()) return Status::Serialization("Reason must be a string");
      CANDOR_RETURN_IF_ERROR(ValidateReason(reason->get<std::string>()));
      if (!reason->get<std::string>().empty()) c.attributes["reason"] = reason->get<std::string>();
    }
    CANDOR_RETURN_IF_ERROR(AppendCredential(options_.credentials_path, c));
    CANDOR_RETURN_IF_ERROR(ReloadKeys());
    nlohmann::json role_list = nlohmann::json::array();
    for (policy::Role r : parsed) role_list.push_back(policy::RoleName(r));
    return nlohmann::json{{"Principal", c.principal},
                          {"AccessKeyId", c.access_key_id},
                          {"SecretAccessKey", c.secret_access_key},
                          {"Roles", role_list}};
  }

  StatusOr<nlohmann::json> ListKeys(const nlohmann::json&) {
    nlohmann::json keys = nlohmann::json::array();
    for (const Credential& c : Keys()->store.credentials()) {
      nlohmann::json k = {{"Principal", c.principal}, {"AccessKeyId", c.access_key_id}};
      if (auto r = c.attributes.find("role"); r != c.attributes.end()) k["Roles"] = r->second;
      if (auto r = c.attributes.find("reason"); r != c.attributes.end()) k["Reason"] = r->second;
      keys.push_back(k);
    }
    return nlohmann::json{{"AccessKeys", keys}};
  }

  StatusOr<nlohmann::json> DeleteKey(const nlohmann::json& body) {
    const auto id = body.find("AccessKeyId");
    if (id == body.end() || !id->is_string()) {
      return Status::InvalidArgument("AccessKeyId (a string) is required");
    }
    CANDOR_RETURN_IF_ERROR(RemoveCredential(options_.credentials_path, id->get<std::string>()));
    CANDOR_RETURN_IF_ERROR(ReloadKeys());
    return nlohmann::json{{"AccessKeyId", id->get<std::string>()}, {"Deleted", true}};
  }

  // The retention thread: a sweep now, then every interval, until Serve ends.
  void Retain() {
    std::unique_lock lock(stop_mu_);
    while (!stopped_) {
      lock.unlock();
      const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
      auto sweep = RunRetention(*service_.collections, service_.audit, now_ms);
      if (!sweep.ok()) {
        std::fprintf(stderr, "candor: retention sweep failed: %s\n",
                     sweep.status().ToString().c_str());
      } else if (sweep->faces_erased > 0) {
        std::fprintf(stderr, "candor: retention erased %lld faces\n",
                     static_cast<long long>(sweep->faces_erased));
      }
      lock.lock();
      stop_cv_.wait_for(lock, std::chrono::seconds(options_.retention_interval_seconds),
                        [&] { return stopped_; });
    }
  }

  const ServerOptions options_;
  std::mutex keys_mu_;
  std::shared_ptr<const KeyRing> keys_;
  Clock::time_point keys_checked_ = Clock::now();
  std::pair<int64_t, int64_t> keys_stamp_{-1, -1};
  ServiceContext::KeyAdmin key_admin_;
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopped_ = false;
  std::unique_ptr<AccessLog> log_;
  std::unique_ptr<httplib::Server> http_;
  ServiceContext service_;
  Metrics metrics_;
  // Signatures of writes seen within SigV4's 15 minutes; 200,000 is more
  // writes than a 2-core service takes in that time (about 220 a second).
  ReplayCache replays_{VerifyOptions{}.max_skew_seconds, 200000};
  int64_t capacity_ = 0;
  int64_t workers_ = 0;
  int port_ = -1;
  std::atomic<bool> stop_requested_{false};
};

}  // namespace

StatusOr<std::unique_ptr<HttpServer>> HttpServer::Create(Engine* engine, Collections* collections,
                                                         audit::AuditLog* audit,
                                                         const ServerOptions& options) {
  CANDOR_ASSIGN_OR_RETURN(auto keys, LoadKeyRing(options.credentials_path));
  if (keys->store.empty() && !options.allow_anonymous) {
    return Status::InvalidArgument(
        "no access keys: create some with `candor keys create --credentials FILE --principal "
        "NAME` and pass --credentials FILE (or --allow-anonymous for local development)");
  }
  if (options.tls_cert_path.empty() != options.tls_key_path.empty()) {
    return Status::InvalidArgument("TLS needs both --tls-cert and --tls-key");
  }
  std::unique_ptr<httplib::Server> http;
  if (!options.tls_cert_path.empty()) {
    auto tls = std::make_unique<httplib::SSLServer>(options.tls_cert_path.c_str(),
                                                    options.tls_key_path.c_str());
    if (!tls->is_valid()) {
      return Status::InvalidArgument("cannot load the TLS certificate " + options.tls_cert_path +
                                     " and key " + options.tls_key_path);
    }
    http = std::move(tls);
  } else {
    http = std::make_unique<httplib::Server>();
  }
  CANDOR_ASSIGN_OR_RETURN(auto log, AccessLog::Open(options.access_log_path));
  return std::unique_ptr<HttpServer>(new HttpServerImpl(
      engine, collections, audit, options, std::move(keys), std::move(log), std::move(http)));
}

}  // namespace candor::server
