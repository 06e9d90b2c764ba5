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
#include "server/http_parts.h"
#include "server/http_session.h"
#include "server/key_ring.h"
#include "server/metrics.h"
#include "server/operations.h"
#include "server/replay_cache.h"
#include "server/retention.h"
#include "server/sigv4.h"
#include "server/wire.h"

namespace candor::server {
namespace {

using namespace http_internal;  // NOLINT: this file is the HTTP layer


class HttpServerImpl : public HttpServer {
 public:
  HttpServerImpl(Engine* engine, Collections* collections, audit::AuditLog* audit,
                 const ServerOptions& options, std::unique_ptr<KeyRing> keys,
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
    if (!options.credentials_path.empty() || !options.key_store.empty()) {
      key_admin_.create = [this](const nlohmann::json& b, const ServiceContext::KeyAdmin::Record& r) {
        return keys_->Create(b, r);
      };
      key_admin_.list = [this](const nlohmann::json&) { return keys_->List(); };
      key_admin_.remove = [this](const nlohmann::json& b, const ServiceContext::KeyAdmin::Record& r) {
        return keys_->Delete(b, r);
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
  std::unique_ptr<KeyRing> keys_;
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
      std::shared_ptr<const KeySnapshot> keys = keys_->Current();
      AuthResult auth = VerifySigV4(view, keys->store, verify, std::time(nullptr));
      if (!auth.unknown_access_key_id.empty()) {
        // A key another node of the cluster has just created (key_ring.h).
        std::shared_ptr<const KeySnapshot> fresh = keys_->CurrentFor(auth.unknown_access_key_id);
        if (fresh != keys) {
          keys = std::move(fresh);
          auth = VerifySigV4(view, keys->store, verify, std::time(nullptr));
        }
      }
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
    std::make_shared<Session<HttpServerImpl, beast::ssl_stream<beast::tcp_stream>>>(this, std::move(socket),
                                                                     std::move(remote), tls_.get())
        ->Start();
  } else {
    std::make_shared<Session<HttpServerImpl, beast::tcp_stream>>(this, std::move(socket), std::move(remote),
                                                 nullptr)
        ->Start();
  }
}

}  // namespace

StatusOr<std::unique_ptr<HttpServer>> HttpServer::Create(Engine* engine, Collections* collections,
                                                         audit::AuditLog* audit,
                                                         const ServerOptions& options) {
  if (!options.key_store.empty() && !options.credentials_path.empty()) {
    return Status::InvalidArgument(
        "with --store the access keys are the database's, not a file's: copy the file's keys "
        "there once with `candor keys import --credentials FILE --store URI` and drop "
        "--credentials");
  }
  std::unique_ptr<KeyRing> keys;
  if (!options.key_store.empty()) {
    CANDOR_ASSIGN_OR_RETURN(keys, KeyRing::OpenShared(options.key_store));
  } else {
    CANDOR_ASSIGN_OR_RETURN(keys, KeyRing::Load(options.credentials_path));
  }
  if (keys->Current()->store.empty() && !options.allow_anonymous) {
    return Status::InvalidArgument(
        options.key_store.empty()
            ? "no access keys: create some with `candor keys create --credentials FILE "
              "--principal NAME` and pass --credentials FILE (or --allow-anonymous for local "
              "development)"
            : "no access keys in the database: create the first with `candor keys create "
              "--store URI --principal NAME --role admin` (or --allow-anonymous for local "
              "development)");
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
