// The one file that speaks HTTP: Boost.Beast over Boost.Asio (Debian's
// libboost1.74-dev, header-only).
//
// Why not a thread per connection (cpp-httplib, which served until
// 2026-12): a thread per connection lets a client hold a thread by sending
// nothing, or one byte a second, and the pool is gone with a few dozen
// such clients. Here the sockets are served by an event loop (a few
// threads, one per core), so an open connection costs a few KiB and no
// thread; what a client may hold is bounded by limits checked as the bytes
// arrive:
//   - headers: at most max_header_bytes, complete within header_timeout of
//     their first byte (a deadline for all of them, not per read);
//   - body: its Content-Length is checked against max_body_bytes before a
//     byte of it is read (413 at once, then the connection is closed); a
//     chunked body is counted as it arrives and refused the moment it
//     passes the limit; the whole body must arrive within its deadline
//     (header_timeout + size / min_body_rate);
//   - memory: the bodies being read or handled may hold at most
//     max_buffered_bytes together; a request that would pass it is answered
//     ThrottlingException before its body is read;
//   - connections: at most max_connections; when full, the connection idle
//     the longest (or else the oldest still sending its headers) is closed
//     to make room, and if every connection is busy with a request the new
//     one is answered 503 and closed;
//   - idle keep-alive connections are closed after idle_timeout.
// Complete requests are handled on a separate pool of threads (SigV4, then
// engine admission as before, then the operation), so slow sockets never
// hold a thread that the engine's work needs, and the event loop never
// waits for the engine.
#include "server/http_server.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <deque>
#include <fstream>
#include <functional>
#include <limits>
#include <list>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "policy/roles.h"
#include "server/console_assets.h"
#include "server/credentials.h"
#include "server/metrics.h"
#include "server/operations.h"
#include "server/replay_cache.h"
#include "server/retention.h"
#include "server/sigv4.h"
#include "server/wire.h"

namespace candor::server {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = boost::asio::ssl;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

// A request as the handlers see it, read in full and within the limits.
struct Incoming {
  std::string method;
  std::string target;  // raw: path and query
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string remote;  // the peer's address

  // The first header of that name (any case), or "".
  std::string Header(std::string_view name) const {
    for (const auto& [k, v] : headers) {
      if (beast::iequals(k, name)) return v;
    }
    return "";
  }
  bool HasHeader(std::string_view name) const {
    for (const auto& [k, v] : headers) {
      if (beast::iequals(k, name)) return true;
    }
    return false;
  }
};

// A response: status, body, extra headers; `close` ends the connection
// after it.
struct Outgoing {
  int status = 200;
  std::string content_type = std::string(kJsonContentType);
  std::string body;
  std::string request_id;
  bool close = false;
  std::vector<std::pair<std::string, std::string>> headers;  // more of them
  std::optional<size_t> head_length;  // a HEAD's Content-Length (its body is empty)
};

// A fixed pool of threads running handlers in arrival order.
class HandlerPool {
 public:
  explicit HandlerPool(size_t threads) {
    for (size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { Work(); });
  }
  ~HandlerPool() { Join(); }

  void Post(std::function<void()> fn) {
    {
      std::lock_guard lock(mu_);
      tasks_.push_back(std::move(fn));
    }
    ready_.notify_one();
  }

  // Runs what was posted, then joins.
  void Join() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    ready_.notify_all();
    for (std::thread& t : threads_) {
      if (t.joinable()) t.join();
    }
  }

 private:
  void Work() {
    for (;;) {
      std::function<void()> fn;
      {
        std::unique_lock lock(mu_);
        ready_.wait(lock, [&] { return !tasks_.empty() || stopping_; });
        if (tasks_.empty()) return;
        fn = std::move(tasks_.front());
        tasks_.pop_front();
      }
      fn();
    }
  }

  std::mutex mu_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> tasks_;
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

// What the server knows of each open connection, for eviction and for
// Stop(): its phase and since when. Shared between the server's registry and
// the connection, so that looking at it never touches a connection's
// lifetime.
enum class Phase { kOpening, kIdle, kHeader, kBody, kHandling, kWriting, kClosing };

class Connection {
 public:
  virtual ~Connection() = default;
  // Closes the connection at once (from any thread).
  virtual void Evict() = 0;
};

struct ConnectionInfo {
  std::atomic<Phase> phase{Phase::kOpening};
  std::atomic<int64_t> since{0};  // steady clock, nanoseconds
  std::atomic<bool> evicted{false};  // being closed to make room
  std::weak_ptr<Connection> connection;
};

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

constexpr int kMaxRequestsPerConnection = 1000;
constexpr size_t kReadChunk = 16 * 1024;
constexpr size_t kMaxDrainBytes = 1 << 20;  // read and dropped after a refusal
constexpr auto kLingerTime = std::chrono::seconds(2);

class HttpServerImpl : public HttpServer {
 public:
  HttpServerImpl(Engine* engine, Collections* collections, audit::AuditLog* audit,
                 const ServerOptions& options, std::shared_ptr<const KeyRing> keys,
                 std::unique_ptr<AccessLog> log, std::unique_ptr<ssl::context> tls)
      : options_(options),
        keys_(std::move(keys)),
        log_(std::move(log)),
        tls_(std::move(tls)),
        ioc_(IoThreads(options)),
        acceptor_(net::make_strand(ioc_)),
        accept_pause_(acceptor_.get_executor()) {
    service_.engine = engine;
    service_.collections = collections;
    service_.audit = audit;
    service_.request_options.s3_root = options.s3_root;
    service_.stream_processors = options.stream_processors;
    service_.video_jobs = options.video_jobs;
    if (!options.credentials_path.empty()) {
      key_admin_.create = [this](const nlohmann::json& b, const ServiceContext::KeyAdmin::Record& r) {
        return CreateKey(b, r);
      };
      key_admin_.list = [this](const nlohmann::json& b) { return ListKeys(b); };
      key_admin_.remove = [this](const nlohmann::json& b, const ServiceContext::KeyAdmin::Record& r) {
        return DeleteKey(b, r);
      };
      service_.keys = &key_admin_;
    }
    const int workers = std::max(1, options.engine_workers);
    capacity_ = workers + (options.max_waiting > 0 ? options.max_waiting : 4 * workers);
    workers_ = workers;
    max_connections_ = MaxConnections(options.max_connections);
    const size_t handlers = options.handler_threads > 0
                                ? static_cast<size_t>(options.handler_threads)
                                : static_cast<size_t>(capacity_ + 4);
    pool_ = std::make_unique<HandlerPool>(handlers);
  }

  ~HttpServerImpl() override {
    pool_->Join();  // before the event loop's handlers (and the sessions) go
  }

  Status Bind() override {
    try {
      tcp::resolver resolver(ioc_);
      auto endpoints = resolver.resolve(options_.host, std::to_string(options_.port),
                                        tcp::resolver::passive | tcp::resolver::numeric_service);
      if (endpoints.empty()) return Status::IOError("cannot resolve " + options_.host);
      const tcp::endpoint endpoint = endpoints.begin()->endpoint();
      acceptor_.open(endpoint.protocol());
      acceptor_.set_option(net::socket_base::reuse_address(true));
      acceptor_.bind(endpoint);
      acceptor_.listen(net::socket_base::max_listen_connections);
      port_ = acceptor_.local_endpoint().port();
    } catch (const boost::system::system_error& e) {
      if (acceptor_.is_open()) {
        beast::error_code ignored;
        acceptor_.close(ignored);
      }
      return Status::IOError("cannot listen on " + options_.host + ":" +
                             std::to_string(options_.port) + ": " + e.code().message());
    }
    return Status::Ok();
  }

  Status Serve() override {
    if (port_ < 0) CANDOR_RETURN_IF_ERROR(Bind());
    std::thread retention;
    if (options_.retention_interval_seconds > 0) retention = std::thread([this] { Retain(); });
    if (!stop_requested_) {
      net::dispatch(acceptor_.get_executor(), [this] { Accept(); });
      std::vector<std::thread> io;
      for (int i = 1; i < IoThreads(options_); ++i) io.emplace_back([this] { RunLoop(); });
      RunLoop();
      for (std::thread& t : io) t.join();
    }
    {
      std::lock_guard lock(stop_mu_);
      stopped_ = true;
    }
    stop_cv_.notify_all();
    if (retention.joinable()) retention.join();
    return Status::Ok();
  }

  // Stops accepting and closes every connection that is not being answered;
  // those being answered are closed once their answer is written.
  void Stop() override {
    stop_requested_ = true;
    net::post(acceptor_.get_executor(), [this] {
      beast::error_code ignored;
      acceptor_.close(ignored);
      accept_pause_.cancel();
    });
    for (auto& c : Connections()) {
      const Phase p = c->phase.load();
      if (p != Phase::kHandling && p != Phase::kWriting && p != Phase::kClosing) {
        if (auto conn = c->connection.lock()) conn->Evict();
      }
    }
  }
  int port() const override { return port_; }
  bool tls() const override { return tls_ != nullptr; }

  // For the connections (below).
  const ServerOptions& options() const { return options_; }
  bool stopping() const { return stop_requested_; }

  std::list<std::shared_ptr<ConnectionInfo>>::iterator Register(
      std::shared_ptr<ConnectionInfo> info) {
    std::lock_guard lock(conn_mu_);
    return connections_.insert(connections_.end(), std::move(info));
  }
  void Unregister(std::list<std::shared_ptr<ConnectionInfo>>::iterator slot) {
    std::lock_guard lock(conn_mu_);
    if ((*slot)->evicted) --evicting_;
    connections_.erase(slot);
  }

  // Room for `bytes` of request body among the bodies held; false when the
  // budget is spent.
  bool ReserveBody(size_t bytes) {
    size_t held = buffered_.load();
    do {
      if (held + bytes > options_.max_buffered_bytes) return false;
    } while (!buffered_.compare_exchange_weak(held, held + bytes));
    return true;
  }
  void ReleaseBody(size_t bytes) { buffered_.fetch_sub(bytes); }

  // Runs `fn` on the handler pool; the event loop is kept running until it
  // is done (its result is written by the loop).
  void Handle(std::function<void()> fn) {
    auto work = net::require(ioc_.get_executor(), net::execution::outstanding_work.tracked);
    pool_->Post([fn = std::move(fn), work] { fn(); });
  }

  void CountTimeout() { timed_out_.fetch_add(1); }

  Outgoing Health() const {
    nlohmann::json j = {{"status", "ok"}};
    if (options_.public_details) {
      j["face_model_version"] = service_.engine->face_model_version();
      j["requests_in_flight"] = metrics_.in_flight.load();
    }
    Outgoing out;
    out.content_type = "application/json";
    out.body = j.dump();
    return out;
  }

  Outgoing ConsoleFile(const std::string& method, const std::string& path) {
    ConsoleAnswer answer =
        ServeConsoleFile({options_.console_dir, options_.evaluation_report}, method, path);
    Outgoing out;
    out.status = answer.status;
    out.content_type = std::move(answer.content_type);
    out.body = std::move(answer.body);
    out.headers = std::move(answer.headers);
    if (method == "HEAD") out.head_length = answer.content_length;
    return out;
  }

  Outgoing MetricsText() {
    Outgoing out;
    out.content_type = "text/plain; version=0.0.4";
    out.body = RenderMetrics();
    return out;
  }

  // An answer made before any operation ran (not found, too large,
  // malformed, throttled, compressed).
  Outgoing Refusal(const Incoming& in, int status, std::string_view type,
                   std::string_view message, size_t bytes_in) {
    Outgoing out;
    out.status = status;
    out.body = ErrorBody(type, message);
    out.close = true;
    LogRefused(in, status, type, bytes_in, out.body.size());
    return out;
  }

  // A request refused or abandoned before it reached an operation: still
  // one access-log line and metric.
  void LogRefused(const Incoming& in, int status, std::string_view outcome, size_t bytes_in,
                  size_t bytes_out) {
    std::string operation = "-";
    auto op = OperationFromTarget(in.Header("X-Amz-Target"));
    if (op.ok() && IsKnownOperation(*op)) operation = *op;
    metrics_.Record("(refused)", outcome, 0);
    log_->Write(nlohmann::ordered_json{{"time", IsoTime(std::chrono::system_clock::now())},
                                       {"request_id", "-"},
                                       {"remote", in.remote},
                                       {"principal", "-"},
                                       {"operation", operation},
                                       {"status", status},
                                       {"outcome", outcome},
                                       {"ms", 0},
                                       {"bytes_in", bytes_in},
                                       {"bytes_out", bytes_out}});
  }

  Outgoing HandleRekognition(const Incoming& req);

 private:
  static int IoThreads(const ServerOptions& options) {
    if (options.io_threads > 0) return options.io_threads;
    return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  }

  // The connection cap, within the process's file limit (raised to its hard
  // limit here): each connection is a descriptor, and the store, the audit
  // log, the models and the access log need some too.
  static int MaxConnections(int wanted) {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
      limit.rlim_cur = limit.rlim_max;
      ::setrlimit(RLIMIT_NOFILE, &limit);
      ::getrlimit(RLIMIT_NOFILE, &limit);
    }
    const int64_t room = limit.rlim_cur == RLIM_INFINITY
                             ? int64_t{1} << 30
                             : static_cast<int64_t>(limit.rlim_cur) - 128;
    return static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(wanted, room)));
  }

  void RunLoop() {
    for (;;) {
      try {
        ioc_.run();
        return;
      } catch (const std::exception& e) {
        std::fprintf(stderr, "candor: the connection loop: %s\n", e.what());
      }
    }
  }

  std::vector<std::shared_ptr<ConnectionInfo>> Connections() {
    std::lock_guard lock(conn_mu_);
    return {connections_.begin(), connections_.end()};
  }

  void Accept() {
    acceptor_.async_accept(net::make_strand(ioc_), [this](beast::error_code ec,
                                                          tcp::socket socket) {
      if (stop_requested_ || !acceptor_.is_open()) return;
      if (ec) {
        // Out of descriptors (EMFILE), mostly: wait a little instead of
        // spinning on the same error.
        accept_pause_.expires_after(std::chrono::milliseconds(50));
        accept_pause_.async_wait([this](beast::error_code) { Accept(); });
        return;
      }
      OnAccepted(std::move(socket));
      Accept();
    });
  }

  void OnAccepted(tcp::socket socket);

  // Closes the connection that is idle the longest, else the one that has
  // been sending its headers the longest; false if every connection is
  // busy with a request.
  bool EvictOne() {
    std::shared_ptr<ConnectionInfo> idle, slow;
    {
      std::lock_guard lock(conn_mu_);
      for (const auto& c : connections_) {
        if (c->evicted) continue;
        const Phase p = c->phase.load();
        if (p == Phase::kIdle || p == Phase::kClosing) {
          if (!idle || c->since.load() < idle->since.load()) idle = c;
        } else if (p == Phase::kHeader || p == Phase::kOpening) {
          if (!slow || c->since.load() < slow->since.load()) slow = c;
        }
      }
    }
    const std::shared_ptr<ConnectionInfo>& victim = idle ? idle : slow;
    if (!victim) return false;
    {
      std::lock_guard lock(conn_mu_);
      if (victim->evicted.exchange(true)) return EvictOne();  // chosen by Stop() meanwhile
      ++evicting_;
    }
    if (auto conn = victim->connection.lock()) conn->Evict();
    evicted_.fetch_add(1);
    return true;
  }

  // Open connections, less those being closed to make room.
  size_t OpenConnections() {
    std::lock_guard lock(conn_mu_);
    return connections_.size() - evicting_;
  }

  std::string RenderMetrics() {
    std::vector<std::pair<std::string, int64_t>> faces;
    if (options_.public_details) {
      auto page = service_.collections->ListCollections("", 1000);
      if (page.ok()) {
        for (const std::string& id : page->collection_ids) {
          // Counts only: a scrape must not measure galleries.
          auto d = service_.collections->DescribeCollection(id, false);
          if (d.ok()) faces.emplace_back(id, d->face_count);
        }
      }
    }
    std::vector<std::pair<std::string, double>> gauges = {
        {"candor_process_resident_memory_bytes", ResidentBytes()},
        {"candor_admission_capacity", static_cast<double>(capacity_)},
        {"candor_connections_open", static_cast<double>(OpenConnections())},
        {"candor_connections_max", static_cast<double>(max_connections_)},
        {"candor_request_body_bytes_held", static_cast<double>(buffered_.load())}};
    std::vector<std::pair<std::string, double>> counters = {
        {"candor_connections_evicted_total", static_cast<double>(evicted_.load())},
        {"candor_connections_refused_total", static_cast<double>(refused_.load())},
        {"candor_requests_timed_out_total", static_cast<double>(timed_out_.load())}};
    AddStoreSyncMetrics(service_.collections->GetStoreSyncStatus(), &gauges, &counters);
    return metrics_.Render(faces, gauges, counters);
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
  StatusOr<nlohmann::json> CreateKey(const nlohmann::json& body,
                                     const ServiceContext::KeyAdmin::Record& record) {
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
    nlohmann::json role_list = nlohmann::json::array();
    for (policy::Role r : parsed) role_list.push_back(policy::RoleName(r));
    CANDOR_RETURN_IF_ERROR(record(
        {{"Principal", c.principal}, {"AccessKeyId", c.access_key_id}, {"Roles", role_list}}));
    CANDOR_RETURN_IF_ERROR(AppendCredential(options_.credentials_path, c));
    CANDOR_RETURN_IF_ERROR(ReloadKeys());
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

  StatusOr<nlohmann::json> DeleteKey(const nlohmann::json& body,
                                     const ServiceContext::KeyAdmin::Record& record) {
    const auto id = body.find("AccessKeyId");
    if (id == body.end() || !id->is_string()) {
      return Status::InvalidArgument("AccessKeyId (a string) is required");
    }
    bool known = false;
    for (const Credential& c : Keys()->store.credentials()) {
      known = known || c.access_key_id == id->get<std::string>();
    }
    if (!known) return Status::NotFound("no access key " + id->get<std::string>());
    CANDOR_RETURN_IF_ERROR(record({{"AccessKeyId", id->get<std::string>()}, {"Deleted", true}}));
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
  ServiceContext service_;
  Metrics metrics_;
  // Signatures of writes seen within SigV4's 15 minutes; 200,000 is more
  // writes than a 2-core service takes in that time (about 220 a second).
  ReplayCache replays_{VerifyOptions{}.max_skew_seconds, 200000};
  int64_t capacity_ = 0;
  int64_t workers_ = 0;
  int max_connections_ = 0;
  int port_ = -1;
  std::atomic<bool> stop_requested_{false};
  std::atomic<size_t> buffered_{0};
  std::atomic<uint64_t> evicted_{0}, refused_{0}, timed_out_{0};
  // Declared before the event loop: connections unregister themselves when
  // the loop's handlers that hold them are destroyed.
  std::mutex conn_mu_;
  std::list<std::shared_ptr<ConnectionInfo>> connections_;
  size_t evicting_ = 0;  // of connections_, marked evicted
  std::unique_ptr<ssl::context> tls_;
  net::io_context ioc_;
  tcp::acceptor acceptor_;
  net::steady_timer accept_pause_;
  // Declared after the event loop, so joined before it is destroyed.
  std::unique_ptr<HandlerPool> pool_;
};

Outgoing HttpServerImpl::HandleRekognition(const Incoming& req) {
  const auto started = Clock::now();
  const auto wall = std::chrono::system_clock::now();
  Outgoing out;
  out.request_id = NewRequestId();
  std::string operation = "-", principal = "-", outcome = "ok";

  CallContext call;
  std::string signature;  // of a signed request
  int64_t signed_at = 0;
  auto fail = [&](int http_status, std::string_view type, std::string_view message) {
    out.status = http_status;
    outcome = std::string(type);
    out.body = ErrorBody(type, message);
  };

  [&] {
    auto op = OperationFromTarget(req.Header("X-Amz-Target"));
    if (!op.ok()) return fail(400, WireErrorName(op.status().code()), op.status().message());
    operation = *op;

    // Authentication first: nothing about the request is trusted before.
    if (req.HasHeader("Authorization") || !options_.allow_anonymous) {
      HttpRequestView view;
      view.method = req.method;
      const size_t q = req.target.find('?');
      view.path = req.target.substr(0, q);
      if (q != std::string::npos) view.query = req.target.substr(q + 1);
      view.headers = req.headers;
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
        call.key_reason = r->second;
      }
    } else {
      principal = "anonymous";
      call.roles = policy::AllRoles();
    }
    if (req.HasHeader("X-Candor-Reason")) {
      call.reason = req.Header("X-Candor-Reason");
      Status valid = ValidateReason(call.reason);
      if (!valid.ok()) {
        return fail(400, WireErrorName(valid.code()), "X-Candor-Reason: " + valid.message());
      }
    }

    if (!IsKnownOperation(operation)) {
      return fail(400, "UnknownOperationException",
                  "operation " + operation + " is not supported by this service");
    }
    const std::string content_type = req.Header("Content-Type");
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
    call.source = req.remote;
    call.request_id = out.request_id;
    StatusOr<nlohmann::json> result = RunOperation(operation, *body, service_, call);
    if (!result.ok()) {
      return fail(HttpStatusFor(result.status().code()), WireErrorName(result.status().code()),
                  result.status().message());
    }
    out.status = 200;
    out.body = result->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }();

  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  // Labels come from known operations only: an unauthenticated client
  // naming a new X-Amz-Target each time must not grow /metrics.
  metrics_.Record(IsKnownOperation(operation) ? operation : "(unknown)", outcome, seconds);
  log_->Write(nlohmann::ordered_json{{"time", IsoTime(wall)},
                                     {"request_id", out.request_id},
                                     {"remote", req.remote},
                                     {"principal", principal},
                                     {"operation", operation},
                                     {"status", out.status},
                                     {"outcome", outcome},
                                     {"ms", std::round(seconds * 1e4) / 10},
                                     {"bytes_in", req.body.size()},
                                     {"bytes_out", out.body.size()}});
  return out;
}

// One connection, plain (beast::tcp_stream) or TLS (beast::ssl_stream): its
// handlers run on its own strand, one at a time.
template <class Stream>
class Session : public Connection, public std::enable_shared_from_this<Session<Stream>> {
 public:
  Session(HttpServerImpl* server, tcp::socket socket, std::string remote, ssl::context* tls)
      : server_(server),
        stream_(MakeStream(std::move(socket), tls)),
        info_(std::make_shared<ConnectionInfo>()),
        buffer_(server->options().max_header_bytes + kReadChunk) {
    incoming_.remote = std::move(remote);
    info_->since = NowNs();
  }
  ~Session() override {
    Unhold();
    if (registered_) server_->Unregister(slot_);
  }

  void Start() {
    info_->connection = this->weak_from_this();
    slot_ = server_->Register(info_);
    registered_ = true;
    net::dispatch(stream_.get_executor(), [self = this->shared_from_this()] { self->Open(); });
  }

  void Evict() override {
    net::post(stream_.get_executor(), [self = this->shared_from_this()] {
      beast::error_code ignored;
      self->Lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
      self->Lowest().close();
    });
  }

 private:
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

  static Stream MakeStream(tcp::socket socket, ssl::context* tls) {
    if constexpr (kTls) {
      return Stream(std::move(socket), *tls);
    } else {
      (void)tls;
      return Stream(std::move(socket));
    }
  }

  beast::tcp_stream& Lowest() { return beast::get_lowest_layer(stream_); }
  const ServerOptions& options() const { return server_->options(); }

  void SetPhase(Phase p) {
    info_->since = NowNs();
    info_->phase = p;
  }

  // A deadline of `base` plus the time `bytes` take at the slowest rate
  // allowed.
  void Deadline(std::chrono::seconds base, size_t bytes) {
    const size_t rate = std::max<size_t>(1, options().min_body_bytes_per_second);
    Lowest().expires_after(base + std::chrono::seconds(bytes / rate));
  }

  void Open() {
    if constexpr (kTls) {
      Deadline(std::chrono::seconds(options().header_timeout_seconds), 0);
      stream_.async_handshake(ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (!ec) self->ReadNext();
                              });
    } else {
      ReadNext();
    }
  }

  // Waits for the first byte of the next request (evictable meanwhile).
  void ReadNext() {
    if (server_->stopping()) return Close();
    if (buffer_.size() > 0) return ReadHeader();
    SetPhase(Phase::kIdle);
    Deadline(std::chrono::seconds(served_ == 0 ? options().header_timeout_seconds
                                               : options().idle_timeout_seconds),
             0);
    stream_.async_read_some(
        buffer_.prepare(kReadChunk),
        [self = this->shared_from_this()](beast::error_code ec, size_t n) {
          if (ec) return;  // closed, idle too long, or evicted
          self->buffer_.commit(n);
          self->ReadHeader();
        });
  }

  void ReadHeader() {
    if (server_->stopping()) return Close();
    SetPhase(Phase::kHeader);
    Deadline(std::chrono::seconds(options().header_timeout_seconds), 0);
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(options().max_header_bytes));
    // Checked in OnHeader, before reading. (Not boost::none: Beast 1.74
    // compares a length with an empty limit as greater, and refuses.)
    parser_->body_limit(std::numeric_limits<uint64_t>::max());
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = this->shared_from_this()](beast::error_code ec, size_t) {
                              self->OnHeader(ec);
                            });
  }

  // Whether a read failed because the connection ended: the client went
  // (end of stream, reset), the connection was evicted or stopped, or its
  // deadline passed (the stream has closed the socket; logged as 408, which
  // cannot be sent).
  bool Ended(beast::error_code ec) {
    if (ec == beast::error::timeout) {
      server_->CountTimeout();
      server_->LogRefused(incoming_, 408, "RequestTimeout", 0, 0);
      return true;
    }
    return ec == http::error::end_of_stream || ec == http::error::partial_message ||
           ec == net::error::eof || ec == net::error::operation_aborted ||
           ec == net::error::connection_reset || ec == net::error::bad_descriptor;
  }

  void OnHeader(beast::error_code ec) {
    Incoming& in = incoming_;
    in.headers.clear();
    in.body.clear();
    if (ec) {
      if (ec == http::error::header_limit) {
        return Write(server_->Refusal(
            in, 431, "SerializationException",
            "the request line and headers are larger than " +
                std::to_string(options().max_header_bytes) + " bytes",
            0));
      }
      if (Ended(ec)) return;
      return Write(server_->Refusal(in, 400, "SerializationException",
                                    "malformed HTTP request: " + ec.message(), 0));
    }
    const auto& header = parser_->get();
    in.method = std::string(header.method_string());
    in.target = std::string(header.target());
    for (const auto& field : header) {
      in.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    keep_alive_ = parser_->keep_alive();
    const auto length = parser_->content_length();
    const bool chunked = parser_->chunked();
    const bool has_body = chunked || (length && *length > 0);
    const std::string path = in.target.substr(0, in.target.find('?'));

    // Compressed bodies would inflate past every limit; the AWS SDKs never
    // compress Rekognition requests.
    const std::string encoding = in.Header("Content-Encoding");
    if (!encoding.empty() && !beast::iequals(encoding, "identity")) {
      return Write(server_->Refusal(in, 400, "SerializationException",
                                    "Content-Encoding " + encoding + " is not accepted", 0));
    }
    if (IsConsolePath(path)) {
      if (has_body) keep_alive_ = false;  // its body is not read
      SetPhase(Phase::kHandling);  // files are read on the handler pool
      return server_->Handle([self = this->shared_from_this(), method = in.method, path] {
        Outgoing out = self->server_->ConsoleFile(method, path);
        net::post(self->stream_.get_executor(),
                  [self, out = std::move(out)]() mutable { self->Write(std::move(out)); });
      });
    }
    if (path == "/health" || path == "/metrics") {
      if (header.method() != http::verb::get) return NotFound(405);
      if (has_body) keep_alive_ = false;  // its body is not read
      if (path == "/health") return Write(server_->Health());
      SetPhase(Phase::kHandling);
      return server_->Handle([self = this->shared_from_this()] {
        Outgoing out = self->server_->MetricsText();
        net::post(self->stream_.get_executor(),
                  [self, out = std::move(out)]() mutable { self->Write(std::move(out)); });
      });
    }
    if (path != "/") return NotFound(404);
    if (header.method() != http::verb::post) return NotFound(405);

    // The body: refused before a byte of it is read when it is too large,
    // or when the bodies held already use the budget.
    const size_t max_body = options().max_body_bytes;
    if (length && *length > max_body) {
      return Write(server_->Refusal(
          in, 413, "ImageTooLargeException",
          "the request body is larger than " + std::to_string(max_body) + " bytes", 0));
    }
    const size_t want = chunked ? max_body : static_cast<size_t>(length.value_or(0));
    if (!server_->ReserveBody(want)) {
      return Write(server_->Refusal(
          in, 400, "ThrottlingException",
          "the service holds as many request bodies as it may; retry with backoff", 0));
    }
    held_ = want;
    if (beast::iequals(header[http::field::expect], "100-continue")) {
      auto go_on = std::make_shared<http::response<http::empty_body>>(http::status::continue_,
                                                                      header.version());
      Deadline(std::chrono::seconds(options().header_timeout_seconds), 0);
      return http::async_write(
          stream_, *go_on,
          [self = this->shared_from_this(), go_on](beast::error_code ec, size_t) {
            if (!ec) self->ReadBody();
          });
    }
    ReadBody();
  }

  void NotFound(int status) {
    Outgoing out = server_->Refusal(
        incoming_, status, "UnknownOperationException",
        "Rekognition operations are POST /; health is GET /health, metrics GET /metrics, "
        "the operator console GET /console/", 0);
    // A request without a body may keep its connection.
    const auto length = parser_->content_length();
    out.close = parser_->chunked() || (length && *length > 0);
    Write(std::move(out));
  }

  void ReadBody() {
    SetPhase(Phase::kBody);
    Deadline(std::chrono::seconds(options().header_timeout_seconds), held_);
    parser_->body_limit(options().max_body_bytes);
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code ec, size_t) {
                       self->OnBody(ec);
                     });
  }

  void OnBody(beast::error_code ec) {
    if (ec) {
      Unhold();
      if (ec == http::error::body_limit) {
        return Write(server_->Refusal(incoming_, 413, "ImageTooLargeException",
                                      "the request body is larger than " +
                                          std::to_string(options().max_body_bytes) + " bytes",
                                      options().max_body_bytes));
      }
      if (Ended(ec)) return;
      return Write(server_->Refusal(incoming_, 400, "SerializationException",
                                    "malformed HTTP request body: " + ec.message(), 0));
    }
    Lowest().expires_never();
    SetPhase(Phase::kHandling);
    auto in = std::make_shared<Incoming>(std::move(incoming_));
    in->body = std::move(parser_->get().body());
    parser_.reset();
    incoming_.remote = in->remote;
    server_->Handle([self = this->shared_from_this(), in] {
      Outgoing out = self->server_->HandleRekognition(*in);
      net::post(self->stream_.get_executor(), [self, out = std::move(out)]() mutable {
        self->Unhold();
        self->Write(std::move(out));
      });
    });
  }

  void Unhold() {
    if (held_ > 0) server_->ReleaseBody(held_);
    held_ = 0;
  }

  void Write(Outgoing out) {
    SetPhase(Phase::kWriting);
    response_ = std::make_unique<http::response<http::string_body>>();
    response_->version(11);
    response_->result(static_cast<unsigned>(out.status));
    response_->set(http::field::content_type, out.content_type);
    response_->set(http::field::date, HttpDate(std::time(nullptr)));
    if (!out.request_id.empty()) response_->set("x-amzn-RequestId", out.request_id);
    for (const auto& [name, value] : out.headers) response_->set(name, value);
    response_->body() = std::move(out.body);
    const bool close = out.close || !keep_alive_ || server_->stopping() ||
                       ++served_ >= kMaxRequestsPerConnection;
    response_->keep_alive(!close);
    response_->prepare_payload();
    if (out.head_length) response_->content_length(*out.head_length);
    Deadline(std::chrono::seconds(options().header_timeout_seconds), response_->body().size());
    http::async_write(stream_, *response_,
                      [self = this->shared_from_this(), close](beast::error_code ec, size_t) {
                        self->response_.reset();
                        if (ec) return;
                        if (close) return self->Linger();
                        self->ReadNext();
                      });
  }

  // Closes after an answer: the client may still be sending a body that
  // was refused, and closing with unread bytes would reset the connection
  // and could destroy the answer before the client reads it. So: no more
  // writes, then read and drop what comes for a short while.
  void Linger() {
    SetPhase(Phase::kClosing);
    Lowest().expires_after(kLingerTime);
    if constexpr (kTls) {
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {
        self->Lowest().close();
      });
    } else {
      beast::error_code ignored;
      Lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
      Drain();
    }
  }

  void Drain() {
    drain_.consume(drain_.size());
    Lowest().async_read_some(drain_.prepare(kReadChunk),
                             [self = this->shared_from_this()](beast::error_code ec, size_t n) {
                               self->drained_ += n;
                               if (ec || self->drained_ > kMaxDrainBytes) {
                                 return self->Lowest().close();
                               }
                               self->Drain();
                             });
  }

  void Close() {
    beast::error_code ignored;
    Lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
    Lowest().close();
  }

  HttpServerImpl* server_;
  Stream stream_;
  std::shared_ptr<ConnectionInfo> info_;
  std::list<std::shared_ptr<ConnectionInfo>>::iterator slot_;
  bool registered_ = false;
  beast::flat_buffer buffer_;
  beast::flat_buffer drain_;
  std::optional<http::request_parser<http::string_body>> parser_;
  Incoming incoming_;
  std::unique_ptr<http::response<http::string_body>> response_;
  bool keep_alive_ = true;
  int served_ = 0;
  size_t held_ = 0;  // body bytes reserved with the server
  size_t drained_ = 0;
};

void HttpServerImpl::OnAccepted(tcp::socket socket) {
  beast::error_code ec;
  const auto peer = socket.remote_endpoint(ec);
  if (ec) return;
  if (OpenConnections() >= static_cast<size_t>(max_connections_) && !EvictOne()) {
    // Every connection is busy with a request: say so and close, without
    // waiting for the client (the socket is non-blocking; a client that
    // does not read this loses nothing it could use).
    refused_.fetch_add(1);
    static const std::string kFull = [] {
      const std::string body =
          ErrorBody("ServiceUnavailableException",
                    "the service has as many connections as it may; retry with backoff");
      return "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/x-amz-json-1.1\r\n"
             "Connection: close\r\nContent-Length: " +
             std::to_string(body.size()) + "\r\n\r\n" + body;
    }();
    socket.non_blocking(true, ec);
    socket.write_some(net::buffer(kFull), ec);
    socket.shutdown(tcp::socket::shutdown_both, ec);
    socket.close(ec);
    return;
  }
  socket.set_option(tcp::no_delay(true), ec);
  std::string remote = peer.address().to_string();
  if (tls_) {
    std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(this, std::move(socket),
                                                                     std::move(remote), tls_.get())
        ->Start();
  } else {
    std::make_shared<Session<beast::tcp_stream>>(this, std::move(socket), std::move(remote),
                                                 nullptr)
        ->Start();
  }
}

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
  if (options.max_header_bytes < 1024 || options.max_header_bytes > (1u << 20)) {
    return Status::InvalidArgument("the header limit must be 1 KiB to 1 MiB");
  }
  std::unique_ptr<ssl::context> tls;
  if (!options.tls_cert_path.empty()) {
    // TLS 1.2 and 1.3 only.
    tls = std::make_unique<ssl::context>(ssl::context::tls_server);
    tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                     ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                     ssl::context::single_dh_use);
    beast::error_code ec;
    tls->use_certificate_chain_file(options.tls_cert_path, ec);
    if (!ec) tls->use_private_key_file(options.tls_key_path, ssl::context::pem, ec);
    if (ec) {
      return Status::InvalidArgument("cannot load the TLS certificate " + options.tls_cert_path +
                                     " and key " + options.tls_key_path + ": " + ec.message());
    }
  }
  CANDOR_ASSIGN_OR_RETURN(auto log, AccessLog::Open(options.access_log_path));
  return std::unique_ptr<HttpServer>(new HttpServerImpl(
      engine, collections, audit, options, std::move(keys), std::move(log), std::move(tls)));
}

}  // namespace candor::server
