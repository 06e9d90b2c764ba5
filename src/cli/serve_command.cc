// candor serve: the Rekognition-compatible service on the embedded store.
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "audit/audit_log.h"
#include "candor/collections.h"
#include "candor/video.h"
#include "cli/commands.h"
#include "server/audit_journal.h"
#include "server/http_server.h"
#include "store/data_dir.h"
#include "store/write_journal.h"
#include "video/stream_processor.h"
#include "video/video_jobs.h"

namespace candor::cli {
namespace {

struct ServeArgs {
  std::string config;
  std::string listen = "127.0.0.1:8080";
  std::string data_dir;
  std::string store;
  std::string port_file;
  std::string audit_key;
  std::string stream_output_dir;
  server::ServerOptions server;
};

// "host:port", "[v6]:port" or ":port" (all interfaces).
Status ParseListen(const std::string& text, server::ServerOptions* out) {
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos) return Status::InvalidArgument("--listen must be HOST:PORT");
  std::string host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  out->host = host.empty() ? "0.0.0.0" : host;
  char* end = nullptr;
  const long port = std::strtol(text.c_str() + colon + 1, &end, 10);
  if (end == text.c_str() + colon + 1 || *end != '\0' || port < 0 || port > 65535) {
    return Status::InvalidArgument("--listen: bad port in " + text);
  }
  out->port = static_cast<int>(port);
  return Status::Ok();
}

// The config file: `key = value` lines, keys named as the long flags without
// dashes ("listen", "credentials", ...); '#' starts a comment. Flags given on
// the command line win.
Status ApplyConfig(CLI::App& cmd, const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::NotFound("cannot open the config file " + path);
  std::string line;
  int n = 0;
  auto trim = [](std::string s) {
    const size_t a = s.find_first_not_of(" \t\r");
    const size_t b = s.find_last_not_of(" \t\r");
    return a == std::string::npos ? std::string() : s.substr(a, b - a + 1);
  };
  while (std::getline(in, line)) {
    ++n;
    line = trim(line.substr(0, line.find('#')));
    if (line.empty()) continue;
    const size_t eq = line.find('=');
    if (eq == std::string::npos) {
      return Status::InvalidArgument(path + " line " + std::to_string(n) + ": expected key = value");
    }
    const std::string key = trim(line.substr(0, eq));
    std::string value = trim(line.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    CLI::Option* opt = nullptr;
    try {
      opt = cmd.get_option("--" + key);
    } catch (const CLI::Error&) {
      return Status::InvalidArgument(path + " line " + std::to_string(n) + ": unknown key " + key);
    }
    if (key == "config") {
      return Status::InvalidArgument(path + " line " + std::to_string(n) + ": config cannot nest");
    }
    if (opt->count() > 0) continue;  // the command line wins
    try {
      if (opt->get_type_size() == 0) {
        if (value == "true") opt->add_result("true");
      } else {
        opt->add_result(value);
      }
      opt->run_callback();
    } catch (const CLI::Error& e) {
      return Status::InvalidArgument(path + " line " + std::to_string(n) + ": " + e.what());
    }
  }
  return Status::Ok();
}

int RunServe(const GlobalOptions& global, ServeArgs args) {
  Status listen = ParseListen(args.listen, &args.server);
  if (!listen.ok()) return Fail(listen);
  if (args.data_dir.empty()) {
    const char* v = std::getenv("CANDOR_DATA_DIR");
    args.data_dir = (v != nullptr && *v != '\0') ? v : "candor-data";
  }

  // SIGTERM, SIGINT: stop accepting, answer what is in flight, close the
  // store. Blocked here so that every thread inherits the mask and one thread
  // waits for them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  // Everything the service creates (stores, their -wal and -shm files, the
  // index cache, the audit log, stream outputs) is its owner's alone.
  ::umask(077);

  auto engine = MakeEngine(global);
  if (!engine.ok()) return Fail(engine.status());
  auto collections =
      Collections::Open(engine->get(), {.data_dir = args.data_dir, .store_uri = args.store});
  if (!collections.ok()) return Fail(collections.status());
  args.server.engine_workers =
      global.workers > 0 ? global.workers
                         : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  audit::AuditOptions audit_options;
  if (args.store.empty()) {
    audit_options.path = args.data_dir + "/audit.db";
  } else {
    // One chain for every node, in the store's database (no audit.db here);
    // each node signs its checkpoints with its own key.
    audit_options.store_uri = args.store;
  }
  audit_options.key_path =
      args.audit_key.empty() ? args.data_dir + "/audit-signing.key" : args.audit_key;
  auto audit = audit::AuditLog::Open(audit_options);
  if (!audit.ok()) return Fail(audit.status());
  // Calls the store committed but the audit log never heard of (a kill -9
  // between the two): their records, from the store's journal, before any
  // request is served.
  // The journal's node name stays the path audit.db has or would have: the
  // data directory names the node, with either log.
  const std::string node = server::JournalNode(args.data_dir + "/audit.db");
  store::SetJournalNode(node);
  auto recovered = server::RecoverAuditJournal(**collections, **audit, node);
  if (!recovered.ok()) return Fail(recovered.status());
  if (recovered->recovered > 0) {
    std::fprintf(stderr,
                 "candor: wrote the audit records of %lld calls that the store committed before "
                 "the service last stopped (from the store's journal)\n",
                 static_cast<long long>(recovered->recovered));
  }
  // Stream processors: their definitions in <data-dir>/stream_processors.db
  // (or the cluster's database); those left running here are restarted.
  video::StreamProcessorManagerOptions streams;
  streams.db_path = args.data_dir + "/stream_processors.db";
  // With --store: the cluster's database (video/stream_processor.h: which
  // node runs a RUNNING processor).
  streams.shared_store = args.store;
  streams.node = node;
  streams.collections = collections->get();
  streams.audit = audit->get();
  streams.session.file_sink_root = args.stream_output_dir.empty()
                                       ? args.data_dir + "/stream-events"
                                       : args.stream_output_dir;
  Status sink_root = store::EnsureDataDirectory(streams.session.file_sink_root);
  if (!sink_root.ok()) return Fail(sink_root);
  streams.analyzer_factory = [engine = engine->get(),
                              collections = collections->get()](const VideoOptions& options) {
    return VideoAnalyzer::Create(engine, collections, options);
  };
  auto processors = video::StreamProcessorManager::Open(std::move(streams));
  if (!processors.ok()) return Fail(processors.status());
  args.server.stream_processors = processors->get();
  // Stored-video jobs: <data-dir>/video_jobs.db, or the cluster's database
  // with --store (video/video_jobs.h: leases); this node's left IN_PROGRESS
  // run again from the start.
  video::VideoJobManagerOptions jobs;
  jobs.db_path = args.data_dir + "/video_jobs.db";
  jobs.shared_store = args.store;
  jobs.node = node;
  jobs.collections = collections->get();
  jobs.audit = audit->get();
  jobs.analyzer_factory = [engine = engine->get(),
                           collections = collections->get()](const VideoOptions& options) {
    return VideoAnalyzer::Create(engine, collections, options);
  };
  auto video_jobs = video::VideoJobManager::Open(std::move(jobs));
  if (!video_jobs.ok()) return Fail(video_jobs.status());
  args.server.video_jobs = video_jobs->get();
  // On a cluster the access keys are the database's (server/key_ring.h).
  args.server.key_store = args.store;
  auto server =
      server::HttpServer::Create(engine->get(), collections->get(), audit->get(), args.server);
  if (!server.ok()) return Fail(server.status());
  Status bound = (*server)->Bind();
  if (!bound.ok()) return Fail(bound);
  const std::string url = std::string((*server)->tls() ? "https" : "http") + "://" +
                          args.server.host + ":" + std::to_string((*server)->port());
  if (!args.port_file.empty()) {
    const std::string tmp = args.port_file + ".tmp";
    std::ofstream(tmp) << (*server)->port() << "\n";
    std::rename(tmp.c_str(), args.port_file.c_str());
  }
  // The connection string may hold a password: not printed.
  std::fprintf(stderr, "candor: serving %s (data %s%s%s)\n", url.c_str(), args.data_dir.c_str(),
               args.store.empty() ? "" : "; faces in PostgreSQL (--store)",
               args.server.allow_anonymous ? "; ANONYMOUS ACCESS ENABLED" : "");

  server::HttpServer* s = server->get();
  std::thread([signals, s] {
    int sig = 0;
    sigwait(&signals, &sig);
    std::fprintf(stderr, "candor: signal %d, finishing requests in flight\n", sig);
    s->Stop();
  }).detach();

  Status served = (*server)->Serve();
  server->reset();  // in-flight requests are answered before this returns
  processors->reset();  // sessions end (audited) and stay RUNNING for the next start
  video_jobs->reset();  // the running job is cancelled and stays IN_PROGRESS for the next start
  audit->reset();   // a last signed checkpoint
  collections->reset();
  if (!served.ok()) return Fail(served);
  std::fprintf(stderr, "candor: stopped\n");
  return 0;
}

}  // namespace

void RegisterServe(CLI::App& app, const GlobalOptions& global, int* exit_code) {
  auto args = std::make_shared<ServeArgs>();
  CLI::App* cmd = app.add_subcommand("serve", "serve Rekognition's JSON API over HTTP(S)");
  cmd->add_option("--config", args->config, "file of `key = value` lines named as these flags");
  cmd->add_option("--listen", args->listen, "HOST:PORT to listen on (port 0: any free port)")
      ->capture_default_str();
  cmd->add_option("--data-dir", args->data_dir,
                  "the store's directory (default: $CANDOR_DATA_DIR or ./candor-data)");
  cmd->add_option("--store", args->store,
                  "keep collections, faces, users and policies in this PostgreSQL database "
                  "(postgresql://USER@HOST:PORT/DB) instead of <data-dir>/candor.db; several "
                  "nodes may share it (each follows the others' writes); the access keys "
                  "(`candor keys create --store`), video jobs and stream processors are the "
                  "database's too, and the audit log is one chain in it that every node "
                  "appends to");
  cmd->add_option("--credentials", args->server.credentials_path,
                  "access keys file (see `candor keys create`); not with --store");
  cmd->add_flag("--public-details", args->server.public_details,
                "GET /metrics lists faces per collection (collection names) and GET /health "
                "the model version and load; both answer without a signature, so only where "
                "the port is not reachable by others");
  cmd->add_flag("--allow-anonymous", args->server.allow_anonymous,
                "serve unsigned requests as principal 'anonymous' (local development only)");
  cmd->add_option("--tls-cert", args->server.tls_cert_path, "PEM certificate: serve HTTPS");
  cmd->add_option("--tls-key", args->server.tls_key_path, "PEM private key of --tls-cert");
  cmd->add_option("--region", args->server.region,
                  "accept only signatures for this region (default: any)");
  cmd->add_option("--s3-root", args->server.s3_root,
                  "serve S3Object images from DIR/<Bucket>/<Name> (default: refused)");
  cmd->add_option("--io-threads", args->server.io_threads,
                  "event-loop threads serving the sockets (default: one per core)")
      ->check(CLI::Range(1, 256));
  cmd->add_option("--max-connections", args->server.max_connections,
                  "open connections; when full the longest idle one is closed, and if all "
                  "are busy the new one gets 503")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  cmd->add_option("--max-waiting", args->server.max_waiting,
                  "requests admitted beyond the engine workers before ThrottlingException "
                  "(default: 4 per worker)")
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--max-body-bytes", args->server.max_body_bytes, "largest request body")
      ->capture_default_str();
  cmd->add_option("--header-timeout", args->server.header_timeout_seconds,
                  "seconds within which a request's headers must arrive; its body gets this "
                  "plus its size at 128 KiB/s")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  cmd->add_option("--idle-timeout", args->server.idle_timeout_seconds,
                  "seconds a connection may wait for its next request")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  cmd->add_option("--max-buffered-bytes", args->server.max_buffered_bytes,
                  "request bodies held at once, all together (beyond: ThrottlingException "
                  "before the body is read)")
      ->capture_default_str();
  cmd->add_option("--access-log", args->server.access_log_path,
                  "JSON lines access log: FILE, or - for stderr");
  args->server.console_dir = CANDOR_SOURCE_DIR "/web/dist";
  cmd->add_option("--console-dir", args->server.console_dir,
                  "the built operator console, served at /console/ (tools/setup.sh builds it)")
      ->capture_default_str();
  // tools/eval_report.sh writes <build>/eval-report/, beside the binary.
  std::error_code no_exe;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", no_exe);
  if (!no_exe) {
    args->server.evaluation_report =
        (exe.parent_path() / "eval-report" / "eval_report.html").string();
  }
  cmd->add_option("--eval-report", args->server.evaluation_report,
                  "the evaluation report (`candor eval report`'s eval_report.html) that the "
                  "console opens at /console/reports/evaluation.html")
      ->capture_default_str();
  cmd->add_option("--port-file", args->port_file, "write the bound port to FILE once listening");
  cmd->add_option("--audit-key", args->audit_key,
                  "Ed25519 key signing the audit log's checkpoints (default: "
                  "<data-dir>/audit-signing.key; keep it on another disk)");
  cmd->add_option("--stream-output-dir", args->stream_output_dir,
                  "the only directory file:// stream-processor sinks may write in (default: "
                  "<data-dir>/stream-events)");
  cmd->add_option("--retention-interval", args->server.retention_interval_seconds,
                  "seconds between retention sweeps (0: none)")
      ->check(CLI::Range(0, 86400))
      ->capture_default_str();
  cmd->callback([cmd, args, &global, exit_code] {
    if (!args->config.empty()) {
      Status applied = ApplyConfig(*cmd, args->config);
      if (!applied.ok()) {
        *exit_code = Fail(applied);
        return;
      }
    }
    *exit_code = RunServe(global, *args);
  });
}

}  // namespace candor::cli
