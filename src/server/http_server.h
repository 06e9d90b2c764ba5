// `candor serve`: Rekognition's JSON 1.1 protocol over HTTP or HTTPS.
//
// Every POST / is authenticated (SigV4 against the credentials file, unless
// anonymous access is enabled and the request carries no signature), admitted
// or throttled, parsed with limits and run by server/operations.h, which
// enforces roles and collection policies and writes the audit log. A key's
// roles are its `role` attribute in the credentials file (policy/roles.h);
// a request's reason is its X-Candor-Reason header, else the key's `reason`
// attribute (a key issued for one case). Requests
// are read and written by a bounded pool of connection threads; the engine
// work they start is bounded separately: at most engine workers + max_waiting
// requests are admitted at once, and a request beyond that is answered
// ThrottlingException at once instead of queueing without bound.
//
// GET /console/ serves the operator console's files (server/console_assets.h).
// GET /health answers {"status": "ok", ...} without authentication; GET
// /metrics the Prometheus text (it names collections and their face counts,
// so expose the port accordingly).
//
// Thread safety: Stop() may be called from any thread (a signal-handling
// thread, typically) while Serve() runs.
#ifndef CANDOR_SERVER_HTTP_SERVER_H_
#define CANDOR_SERVER_HTTP_SERVER_H_

#include <cstddef>
#include <memory>
#include <string>

#include "audit/audit_log.h"
#include "candor/collections.h"
#include "candor/engine.h"
#include "candor/status.h"

namespace candor::video {
class StreamProcessorManager;
class VideoJobManager;
}

namespace candor::server {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;  // 0: any free port (see HttpServer::port())
  // PEM files; both or neither. With them the service speaks only HTTPS.
  std::string tls_cert_path;
  std::string tls_key_path;
  std::string credentials_path;  // see server/credentials.h
  // A cluster's PostgreSQL database (`--store`): the access keys are its
  // (store/pg_keys.h, server/key_ring.h); exclusive with credentials_path.
  std::string key_store;
  // Requests without an Authorization header are served as principal
  // "anonymous". For local development only; signed requests are still
  // verified.
  bool allow_anonymous = false;
  std::string region;  // empty: requests signed for any region are accepted
  // GET /metrics and GET /health answer without a signature. Without this,
  // they say nothing about the data: /metrics leaves out the faces per
  // collection (collection names are often names of cases or places) and
  // /health only says that the service is up.
  bool public_details = false;
  // The connection layer (server/http_server.cc says how each limit is
  // enforced). Sockets are served by `io_threads` event-loop threads (0: one
  // per core); complete requests by `handler_threads` (0: engine workers +
  // max_waiting + 4), of which at most the admission capacity wait for the
  // engine.
  int io_threads = 0;
  int handler_threads = 0;
  int engine_workers = 1;      // the engine's parallel calls
  int max_waiting = 0;         // admitted requests beyond the workers; 0: 4 per worker
  // Open connections; when full, the longest idle one is closed to make
  // room (or the oldest still sending headers); if none can be, the new one
  // is answered 503 and closed. Capped by the process's file limit.
  int max_connections = 1000;
  size_t max_body_bytes = 8 * 1024 * 1024;  // a 5 MB image in base64 fits
  size_t max_header_bytes = 16 * 1024;      // request line and headers
  // Request bodies being read or handled, all together: a request that
  // would pass it is answered ThrottlingException before its body is read.
  size_t max_buffered_bytes = 256 * 1024 * 1024;
  int max_json_depth = 32;
  // Deadlines, not per-read timeouts: the headers must be complete within
  // header_timeout of their first byte; a body of N bytes within
  // header_timeout + N / min_body_bytes_per_second; a response likewise; a
  // connection waiting for its next request is closed after idle_timeout.
  int header_timeout_seconds = 10;
  int idle_timeout_seconds = 10;
  size_t min_body_bytes_per_second = 128 * 1024;
  std::string access_log_path;  // empty: none; "-": stderr; else appended to
  std::string s3_root;          // see protocol::RequestOptions
  // The built operator console (web/dist), served at /console/
  // (server/console_assets.h); empty or not built: /console/ answers 404
  // saying how to build it.
  std::string console_dir;
  // `candor eval report`'s eval_report.html, served at
  // /console/reports/evaluation.html; empty or missing: 404.
  std::string evaluation_report;
  // Seconds between retention sweeps (server/retention.h); 0: none.
  int retention_interval_seconds = 300;
  // Stream processors (video/stream_processor.h); null: their operations
  // answer UnsupportedException. Must outlive the server.
  video::StreamProcessorManager* stream_processors = nullptr;
  // Stored-video jobs (video/video_jobs.h); null: their operations answer
  // UnsupportedException. Must outlive the server.
  video::VideoJobManager* video_jobs = nullptr;
};

class HttpServer {
 public:
  // `engine`, `collections` and `audit` must outlive the server; `audit`
  // may be null only for benchmarks (nothing is then recorded). Fails on a
  // missing or unreadable credentials file (unless anonymous access is
  // enabled), a key without a valid role, a bad TLS certificate or key, or
  // an access log that cannot be opened.
  static StatusOr<std::unique_ptr<HttpServer>> Create(Engine* engine, Collections* collections,
                                                      audit::AuditLog* audit,
                                                      const ServerOptions& options);
  virtual ~HttpServer() = default;

  // Binds the listening socket; port() is valid afterwards.
  virtual Status Bind() = 0;
  // Serves until Stop(); returns once the requests in flight are answered.
  virtual Status Serve() = 0;
  virtual void Stop() = 0;
  virtual int port() const = 0;
  virtual bool tls() const = 0;
};

}  // namespace candor::server

#endif  // CANDOR_SERVER_HTTP_SERVER_H_
