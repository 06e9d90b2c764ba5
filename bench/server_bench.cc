// Load test of the HTTP service: how many requests per second `candor serve`
// answers with a collection of N faces, at what latency, what the HTTP layer
// costs against calling the operations directly, whether memory stays flat
// under sustained load, and how throughput scales with the engine's workers.
//
//   1. Store: a data directory (default /tmp/candor-load-<N>) holding one
//      collection "load" of N synthetic faces, built through the store in
//      batches as collection_bench does (data described in bench_support.h).
//      A directory that already holds "load" with exactly N faces of this
//      engine's model is reused; a "load" of another size or model is deleted
//      and rebuilt (so do not point --data-dir at a store you care about).
//   2. Requests, each body prepared once:
//        DetectFaces         {"Image": {"Bytes": ...}, "Attributes": ["DEFAULT"]}
//        SearchFacesByImage  {"CollectionId": "load", "Image": {"Bytes": ...},
//                             "MaxFaces": 10, "FaceMatchThreshold": 80}
//        SearchFaces         {"CollectionId": "load", "FaceId": ...,
//                             "MaxFaces": 10, "FaceMatchThreshold": 80}
//      The images (for the first two, if the run sends them): up to --images
//      real LFW photographs ($CANDOR_DATA, else ../shared/data:
//      lfw/images/*/*.jpg, evenly spaced over the sorted list), skipping
//      those in which the embedding cache (or, when it does not know the
//      image, DetectFaces) finds no face; read into memory and base64-encoded
//      once. The face ids (for SearchFaces): the first kSearchedFaceIds of
//      "load" from Collections::ListFaces, which lists them in id order; the
//      ids are random UUIDs, so that is a uniform sample of the collection.
//      Each client picks an operation at random by its share of the run
//      (--ops, --mix), then one of that operation's requests at random (its
//      own seeded generator, so both phases below send the same sequence).
//   For each engine worker count W (--workers, or 1 then 2 with
//   --compare-workers), with C clients (--clients, default 4 x W, more than
//   the workers so that the service is saturated and its queue is used):
//   3. An Engine with W workers and Collections opened on the data directory
//      (the defaults of `candor serve`, apart from the workers); the first
//      search, which loads the collection into memory, is timed: a
//      SearchFacesByImage, or a SearchFaces in a run that sends neither image
//      operation.
//   4. Baseline, no HTTP: C threads call server::RunOperation on the parsed
//      bodies for --baseline-duration seconds. The engine's own time, with
//      the JSON response built but not serialised.
//   5. HTTP: the service (server/http_server.h) in this process on
//      127.0.0.1, an ephemeral port, a credentials file made for the run,
//      region us-east-1; C client threads, each with one keep-alive
//      httplib::Client, sign every request with SigV4 (service rekognition)
//      and drive it for --duration seconds. A ThrottlingException is counted
//      and retried after kThrottleBackoffMs; any other error fails the run
//      (exit status 1) after the report. The process RSS (VmRSS: the service,
//      plus the clients and the prepared bodies, a few MiB) is sampled every
//      kRssSampleSeconds.
//   Both phases begin with one request of each operation of the run per
//   client (the connections), then kWarmupSeconds of the mix that are not
//   counted (the engine's and allocator's first passes); the phase counts
//   the requests that start in the following --duration (or
//   --baseline-duration) seconds.
//   Latency is measured by the client, from before the call to the whole
//   response; requests/s counts 200s over the wall time from the start of the
//   counted window to the last answer. Service overhead = 1 - HTTP requests/s /
//   in-process requests/s at the same W and C; it includes SigV4
//   verification, JSON parsing and serialisation, the admission queue and
//   the sockets, and the clients' signing (they share the cores).
//
// Usage: server_bench [--faces 100k] [--data-dir DIR] [--duration 180]
//   [--baseline-duration 60] [--ops detect,search-image] [--mix 0.5]
//   [--search-faces] [--workers W] [--clients C] [--compare-workers]
//   [--inference-threads T] [--no-audit] [--images 300] [--cache PATH]
//   --ops: the operations sent, comma-separated, of detect (DetectFaces),
//   search-image (SearchFacesByImage) and search-face (SearchFaces), in equal
//   shares; --search-faces is --ops search-face. --mix M, only with the
//   default --ops, sends SearchFacesByImage with probability M, else
//   DetectFaces.
//   --workers defaults to the hardware threads, as `candor serve` does.
//   --inference-threads 1 makes W workers use W cores for the networks, so
//   that --compare-workers shows scaling with cores.
//   Every call is recorded in a fresh audit log (src/audit), as the service
//   does; --no-audit records nothing, so that two runs give the audit log's
//   cost at saturation.
#include <httplib.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <latch>
#include <memory>
#include <mutex>
#include <numeric>
#include <optional>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench_support.h"
#include "latency.h"
#include "server_bench_callers.h"
#include "candor/collections.h"
#include "candor/engine.h"
#include "eval/embedding_cache.h"
#include "protocol/requests.h"
#include "audit/audit_log.h"
#include "policy/roles.h"
#include "server/credentials.h"
#include "server/http_server.h"
#include "server/operations.h"
#include "server/sigv4.h"
#include "store/store.h"

namespace {

namespace fs = std::filesystem;
using namespace candor::bench;  // NOLINT: the benchmark's own helpers
using candor::Status;

// The face ids SearchFaces picks from: one page of ListFaces (its default
// page size).
constexpr int kSearchedFaceIds = 1000;
constexpr int kRssSampleSeconds = 5;
constexpr int kProgressSeconds = 30;
constexpr int kWarmupSeconds = 5;
// A throttled client waits this long before its next request, as an SDK's
// first retry would (botocore's standard mode: up to 1 s, jittered).
constexpr int kThrottleBackoffMs = 50;

[[noreturn]] void Fail(const std::string& what, const Status& status) {
  std::fprintf(stderr, "%s: %s\n", what.c_str(), status.ToString().c_str());
  std::exit(1);
}


struct Options {
  size_t faces = 100000;
  std::string data_dir;  // empty: /tmp/candor-load-<faces>
  double duration_s = 180;
  double baseline_s = 60;
  Shares shares = {0.5, 0.5, 0};  // set from --ops, --mix, --search-faces
  int workers = 0;   // 0: hardware threads
  int clients = 0;   // 0: 4 x workers
  int inference_threads = 0;  // 0: the engine's default
  bool audit = true;          // --no-audit: nothing recorded (the audit log's cost)
  bool compare_workers = false;
  size_t images = 300;
  std::string cache_path = candor::bench::DefaultEmbeddingCache();
};



// What one client (then, merged, all of them) saw.
struct Tally {
  std::vector<double> ms[kOps];  // latencies of the 200s
  int64_t throttled[kOps] = {};
  int64_t errors[kOps] = {};
  std::string first_error;

  void Merge(const Tally& other) {
    for (int op = 0; op < kOps; ++op) {
      ms[op].insert(ms[op].end(), other.ms[op].begin(), other.ms[op].end());
      throttled[op] += other.throttled[op];
      errors[op] += other.errors[op];
    }
    if (first_error.empty()) first_error = other.first_error;
  }
  int64_t ok() const {
    size_t all = 0;
    for (const auto& op_ms : ms) all += op_ms.size();
    return static_cast<int64_t>(all);
  }
  int64_t all_throttled() const { return std::accumulate(throttled, throttled + kOps, int64_t{0}); }
  int64_t all_errors() const { return std::accumulate(errors, errors + kOps, int64_t{0}); }
  std::vector<double> all_ms() const {
    std::vector<double> all;
    for (const auto& op_ms : ms) all.insert(all.end(), op_ms.begin(), op_ms.end());
    return all;
  }
};

struct Phase {
  double wall_s = 0;
  Tally tally;
  std::vector<int64_t> rss;  // VmRSS samples, bytes, every kRssSampleSeconds

  double PerSecond() const { return wall_s > 0 ? tally.ok() / wall_s : 0; }
  double PerSecond(Op op) const { return wall_s > 0 ? tally.ms[op].size() / wall_s : 0; }
};


// Runs the request mix from `callers.size()` client threads for `seconds`.
Phase Drive(const std::string& label, std::vector<std::unique_ptr<Caller>>& callers,
            const Requests& requests, const Shares& shares, double seconds) {
  const int clients = static_cast<int>(callers.size());
  std::vector<Tally> tallies(clients);
  std::atomic<int64_t> done{0};
  std::latch warm(clients + 1);
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      Tally& tally = tallies[c];
      Caller& caller = *callers[c];
      std::mt19937_64 rng(1000 + c);
      std::discrete_distribution<int> pick_op(shares.begin(), shares.end());
      auto pick = [&](Op op) -> const Request& {
        const auto& pool = requests[op];
        return pool[std::uniform_int_distribution<size_t>(0, pool.size() - 1)(rng)];
      };
      std::string error;
      auto fail = [&](Op op) {
        ++tally.errors[op];
        if (tally.first_error.empty()) tally.first_error = error;
      };
      for (int op = 0; op < kOps; ++op) {
        if (shares[op] == 0) continue;
        const auto& pool = requests[op];
        if (caller.Call(static_cast<Op>(op), pool[c % pool.size()], &error) == Outcome::kError) {
          fail(static_cast<Op>(op));
        }
      }
      warm.arrive_and_wait();
      const auto counted_from = Clock::now() + std::chrono::seconds(kWarmupSeconds);
      const auto deadline = counted_from + std::chrono::duration<double>(seconds);
      for (auto start = Clock::now(); start < deadline; start = Clock::now()) {
        const Op op = static_cast<Op>(pick_op(rng));
        const Outcome outcome = caller.Call(op, pick(op), &error);
        const double ms = Seconds(start, Clock::now()) * 1e3;
        const bool counted = start >= counted_from;
        switch (outcome) {
          case Outcome::kOk:
            if (counted) tally.ms[op].push_back(ms);
            ++done;
            break;
          case Outcome::kThrottled:
            if (counted) ++tally.throttled[op];
            std::this_thread::sleep_for(std::chrono::milliseconds(kThrottleBackoffMs));
            break;
          case Outcome::kError:
            fail(op);  // counted in the warm-up too
            break;
        }
      }
    });
  }
  warm.arrive_and_wait();
  RssSampler sampler(label, done, kRssSampleSeconds, kProgressSeconds);
  std::this_thread::sleep_for(std::chrono::seconds(kWarmupSeconds));
  const auto start = Clock::now();
  for (auto& thread : threads) thread.join();
  Phase phase;
  phase.wall_s = Seconds(start, Clock::now());
  phase.rss = sampler.Finish();
  for (const Tally& t : tallies) phase.tally.Merge(t);
  return phase;
}

// The store of step 1: reused when it holds exactly `faces` of this model.
// Returns a line describing what was done.
std::string PrepareStore(candor::Engine& engine, const Options& options) {
  std::error_code ec;
  fs::create_directories(options.data_dir, ec);
  if (ec) {
    std::fprintf(stderr, "cannot create %s: %s\n", options.data_dir.c_str(), ec.message().c_str());
    std::exit(1);
  }
  {
    auto collections = candor::Collections::Open(&engine, {.data_dir = options.data_dir});
    if (!collections.ok()) Fail("Collections::Open " + options.data_dir, collections.status());
    auto described = (*collections)->DescribeCollection(kCollection);
    if (described.ok() && described->face_count == static_cast<int64_t>(options.faces) &&
        described->face_model_version == engine.face_model_version()) {
      return "reused (" + Thousands(static_cast<double>(options.faces)) + " faces)";
    }
    if (described.ok()) {
      std::fprintf(stderr, "%s holds \"%s\" with %lld faces of %s: rebuilding it\n",
                   options.data_dir.c_str(), kCollection,
                   static_cast<long long>(described->face_count),
                   described->face_model_version.c_str());
    }
  }
  const auto seeds = candor::bench::SeedVectors(engine, options.cache_path);
  if (seeds.empty()) {
    std::fprintf(stderr,
                 "no face vectors in %s for this engine (build it with `candor eval lfw`, or pass "
                 "--cache)\n",
                 options.cache_path.c_str());
    std::exit(1);
  }
  std::fprintf(stderr, "building %zu faces in %s...\n", options.faces, options.data_dir.c_str());
  const auto start = Clock::now();
  candor::bench::InsertTiming timing;
  {
    auto store = candor::store::Store::OpenSqlite(options.data_dir);
    if (!store.ok()) Fail("OpenSqlite", store.status());
    if ((*store)->GetCollection(kCollection).ok()) {
      Status deleted = (*store)->DeleteCollection(kCollection);
      if (!deleted.ok()) Fail("DeleteCollection", deleted);
    }
    std::mt19937_64 rng(20240611);
    auto built = candor::bench::BuildSyntheticCollection(
        **store, kCollection, engine.face_model_version(), seeds, options.faces, rng);
    if (!built.ok()) Fail("building the collection", built.status());
    timing = *built;
  }  // The store closes here (checkpointing its WAL).
  char line[256];
  std::snprintf(line, sizeof(line),
                "built in %.1f s (InsertFaces %s faces/s, %s faces/s over the last 10%%; "
                "%zu seed vectors from %s)",
                Seconds(start, Clock::now()), Thousands(timing.per_second).c_str(),
                Thousands(timing.last_tenth_per_second).c_str(), seeds.size(),
                options.cache_path.c_str());
  return line;
}

std::string DataRoot() {
  if (const char* v = std::getenv("CANDOR_DATA"); v != nullptr && *v != '\0') return v;
  return CANDOR_DEFAULT_DATA_DIR;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

// Step 2 for the operations that take an image: adds their requests for
// each image to `requests`. Returns a line describing the images.
std::string LoadImages(candor::Engine& engine, const Options& options, Requests* requests) {
  const fs::path root = fs::path(DataRoot()) / "lfw" / "images";
  std::vector<fs::path> paths;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file() && it->path().extension() == ".jpg") paths.push_back(it->path());
  }
  std::sort(paths.begin(), paths.end());
  if (paths.empty()) {
    std::fprintf(stderr, "no LFW images under %s (set CANDOR_DATA)\n", root.c_str());
    std::exit(1);
  }
  candor::eval::EmbeddingCache cache(options.cache_path, engine.embedding_fingerprint(),
                                     candor::bench::kDimension);
  const size_t wanted = std::min(options.images, paths.size());
  size_t loaded = 0, jpeg_bytes = 0, bodies = 0, body_bytes = 0, skipped = 0;
  for (size_t i = 0; i < wanted; ++i) {
    const std::string bytes = ReadFile(paths[i * paths.size() / wanted]);
    const auto known = cache.Lookup(candor::eval::Sha256(bytes));
    bool has_face = known && known->has_face;
    if (!known) {
      auto detected = engine.DetectFaces(bytes, candor::AttributeSet::kDefault);
      has_face = detected.ok() && !detected->faces.empty();
    }
    if (!has_face) {
      ++skipped;
      continue;
    }
    const std::string base64 = candor::protocol::EncodeBase64(bytes);
    for (int op = 0; op < kOps; ++op) {
      if (kTakesImage[op]) {
        (*requests)[op].push_back(MakeRequest(static_cast<Op>(op), base64));
        ++bodies;
        body_bytes += (*requests)[op].back().body.size();
      }
    }
    ++loaded;
    jpeg_bytes += bytes.size();
  }
  if (loaded == 0) {
    std::fprintf(stderr, "no image with a face among %zu under %s\n", wanted, root.c_str());
    std::exit(1);
  }
  char line[512];
  std::snprintf(line, sizeof(line),
                "%zu LFW images from %s (%zu without a face skipped), mean JPEG %.1f KB, "
                "mean request body %.1f KB",
                loaded, root.c_str(), skipped, jpeg_bytes / 1e3 / loaded,
                body_bytes / 1e3 / bodies);
  return line;
}

// Step 2 for SearchFaces: adds a request for each of kSearchedFaceIds face ids
// of the collection to `requests`. Returns a line describing them.
std::string LoadFaceIds(candor::Engine& engine, const Options& options, Requests* requests) {
  auto collections = candor::Collections::Open(&engine, {.data_dir = options.data_dir});
  if (!collections.ok()) Fail("Collections::Open " + options.data_dir, collections.status());
  auto page = (*collections)->ListFaces(kCollection, "", kSearchedFaceIds);
  if (!page.ok()) Fail("ListFaces", page.status());
  if (page->faces.empty()) {
    std::fprintf(stderr, "collection \"%s\" holds no face\n", kCollection);
    std::exit(1);
  }
  for (const candor::StoredFace& face : page->faces) {
    (*requests)[kSearchFace].push_back(MakeRequest(kSearchFace, face.face_id));
  }
  return std::to_string(page->faces.size()) +
         " face ids, the first page of ListFaces (ids are random UUIDs listed in order)";
}

struct Run {
  int workers = 0;
  int clients = 0;
  Op load_op = kSearchImage;  // the first search, which loads the collection
  double load_seconds = 0;
  int64_t rss_after_load = 0;
  Phase in_process;
  Phase http;
};

// Steps 3 to 5 for one worker count.
Run RunWorkers(int workers, int clients, const Options& options, const Requests& requests,
               const candor::server::Credential& credential, const std::string& credentials_path) {
  Run run;
  run.workers = workers;
  run.clients = clients;
  auto engine = candor::Engine::Create(
      {.workers = workers, .inference_threads = options.inference_threads});
  if (!engine.ok()) Fail("engine", engine.status());
  auto collections = candor::Collections::Open(engine->get(), {.data_dir = options.data_dir});
  if (!collections.ok()) Fail("Collections::Open", collections.status());
  // The audit log of this run, fresh, beside the credentials (or none).
  std::unique_ptr<candor::audit::AuditLog> audit;
  if (options.audit) {
    const std::string dir = credentials_path.substr(0, credentials_path.rfind('/'));
    auto opened = candor::audit::AuditLog::Open(
        {.path = dir + "/audit-" + std::to_string(workers) + ".db",
         .key_path = dir + "/audit-" + std::to_string(workers) + ".key"});
    if (!opened.ok()) Fail("AuditLog::Open", opened.status());
    audit = std::move(opened).value();
  }
  const candor::server::ServiceContext service{.engine = engine->get(),
                                               .collections = collections->get(),
                                               .audit = audit.get()};
  {
    run.load_op = requests[kSearchImage].empty() ? kSearchFace : kSearchImage;
    const auto start = Clock::now();
    auto first = candor::server::RunOperation(
        kOpNames[run.load_op], requests[run.load_op].front().parsed, service, BenchCaller());
    if (!first.ok()) Fail(std::string("first ") + kOpNames[run.load_op], first.status());
    run.load_seconds = Seconds(start, Clock::now());
    run.rss_after_load = RssBytes();
  }

  std::fprintf(stderr, "workers %d, %d clients: in-process for %.0f s...\n", workers, clients,
               options.baseline_s);
  {
    std::vector<std::unique_ptr<Caller>> callers;
    for (int c = 0; c < clients; ++c) callers.push_back(std::make_unique<InProcessCaller>(service));
    run.in_process = Drive("in-process", callers, requests, options.shares, options.baseline_s);
  }

  candor::server::ServerOptions server_options;
  server_options.host = "127.0.0.1";
  server_options.port = 0;
  server_options.credentials_path = credentials_path;
  server_options.region = kRegion;
  server_options.engine_workers = workers;
  auto server =
      candor::server::HttpServer::Create(engine->get(), collections->get(), audit.get(),
                                         server_options);
  if (!server.ok()) Fail("HttpServer::Create", server.status());
  Status bound = (*server)->Bind();
  if (!bound.ok()) Fail("Bind", bound);
  Status served;
  std::thread serving([&] { served = (*server)->Serve(); });
  std::fprintf(stderr, "workers %d, %d clients: HTTP on port %d for %.0f s...\n", workers, clients,
               (*server)->port(), options.duration_s);
  {
    std::vector<std::unique_ptr<Caller>> callers;
    for (int c = 0; c < clients; ++c) {
      callers.push_back(std::make_unique<HttpCaller>((*server)->port(), credential));
    }
    run.http = Drive("HTTP", callers, requests, options.shares, options.duration_s);
  }
  (*server)->Stop();
  serving.join();
  if (!served.ok()) Fail("Serve", served);
  return run;
}

double MiB(int64_t bytes) { return bytes / 1048576.0; }

void PrintPhase(const char* title, const Phase& phase, const Shares& shares) {
  std::printf("%s: %.1f s\n\n", title, phase.wall_s);
  std::printf(
      "| operation | 200s | requests/s | p50 ms | p90 ms | p99 ms | throttled | errors |\n");
  std::printf("|---|---:|---:|---:|---:|---:|---:|---:|\n");
  auto row = [&](const char* name, size_t ok, double per_second, const Percentiles& p,
                 int64_t throttled, int64_t errors) {
    std::printf("| %s | %s | %.2f | %.1f | %.1f | %.1f | %lld | %lld |\n", name,
                Thousands(static_cast<double>(ok)).c_str(), per_second, p.p50, p.p90, p.p99,
                static_cast<long long>(throttled), static_cast<long long>(errors));
  };
  for (int op = 0; op < kOps; ++op) {
    if (shares[op] == 0) continue;
    row(kOpNames[op], phase.tally.ms[op].size(), phase.PerSecond(static_cast<Op>(op)),
        Of(phase.tally.ms[op]), phase.tally.throttled[op], phase.tally.errors[op]);
  }
  row("all", static_cast<size_t>(phase.tally.ok()), phase.PerSecond(), Of(phase.tally.all_ms()),
      phase.tally.all_throttled(), phase.tally.all_errors());
  if (!phase.tally.first_error.empty()) {
    std::printf("\nfirst error: %s\n", phase.tally.first_error.c_str());
  }
  const auto& rss = phase.rss;
  std::printf(
      "\nRSS (%zu samples, every %d s): first %.0f MiB, max %.0f MiB, last %.0f MiB "
      "(last - first %+.1f MiB)\n\n",
      rss.size(), kRssSampleSeconds, MiB(rss.front()),
      MiB(*std::max_element(rss.begin(), rss.end())), MiB(rss.back()),
      MiB(rss.back() - rss.front()));
}

double Overhead(const Run& run) {
  const double base = run.in_process.PerSecond();
  return base > 0 ? 1 - run.http.PerSecond() / base : 0;
}

void PrintRun(const Run& run, const Shares& shares) {
  std::printf("## engine workers %d, %d clients\n\n", run.workers, run.clients);
  std::printf("collection load (first %s): %.2f s; RSS after it %.0f MiB\n\n",
              kOpNames[run.load_op], run.load_seconds, MiB(run.rss_after_load));
  PrintPhase("in-process (server::RunOperation, no HTTP)", run.in_process, shares);
  PrintPhase("HTTP (signed, keep-alive)", run.http, shares);
  auto p50_delta = [](const std::vector<double>& http, const std::vector<double>& in_process) {
    return Of(http).p50 - Of(in_process).p50;
  };
  std::printf(
      "service overhead: throughput 1 - %.2f / %.2f = %.1f%%; p50 latency HTTP - "
      "in-process: all %+.1f ms",
      run.http.PerSecond(), run.in_process.PerSecond(), 100 * Overhead(run),
      p50_delta(run.http.tally.all_ms(), run.in_process.tally.all_ms()));
  for (int op = 0; op < kOps; ++op) {
    if (shares[op] == 0) continue;
    std::printf(", %s %+.1f ms", kOpNames[op],
                p50_delta(run.http.tally.ms[op], run.in_process.tally.ms[op]));
  }
  std::printf("\n\n");
}

// The shares of --ops (empty: detect,search-image), each listed operation
// equal, or of --mix when given. Returns false, having said why, on a bad
// list or a --mix that does not apply to it.
bool ParseShares(std::string ops, std::optional<double> mix, Shares* shares) {
  if (ops.empty()) ops = std::string(kOpFlags[kDetect]) + "," + kOpFlags[kSearchImage];
  Shares listed = {};
  std::stringstream list(ops);
  for (std::string name; std::getline(list, name, ',');) {
    const auto* flag =
        std::find_if(kOpFlags, kOpFlags + kOps, [&](const char* f) { return name == f; });
    if (flag == kOpFlags + kOps) {
      std::fprintf(stderr, "unknown operation \"%s\" in --ops\n", name.c_str());
      return false;
    }
    listed[flag - kOpFlags] = 1;
  }
  if (mix) {
    if (listed != Shares{1, 1, 0} || *mix < 0 || *mix > 1) {
      std::fprintf(stderr, "--mix is a fraction in [0, 1], only for --ops detect,search-image\n");
      return false;
    }
    *shares = {1 - *mix, *mix, 0};
    return true;
  }
  const double count = std::accumulate(listed.begin(), listed.end(), 0.0);
  for (double& share : listed) share /= count;
  *shares = listed;
  return true;
}

// "50% SearchFacesByImage, 50% DetectFaces"
std::string DescribeShares(const Shares& shares) {
  std::string described;
  for (int op = kOps - 1; op >= 0; --op) {
    if (shares[op] == 0) continue;
    char part[64];
    std::snprintf(part, sizeof(part), "%s%.0f%% %s", described.empty() ? "" : ", ",
                  100 * shares[op], kOpNames[op]);
    described += part;
  }
  return described;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  std::string command_line;
  for (int i = 0; i < argc; ++i) command_line += (i > 0 ? " " : "") + std::string(argv[i]);
  const char* usage =
      "usage: server_bench [--faces 100k] [--data-dir DIR] [--duration 180] "
      "[--baseline-duration 60] [--ops detect,search-image,search-face] [--mix 0.5] "
      "[--search-faces] [--workers W] [--clients C] [--compare-workers] "
      "[--inference-threads T] [--no-audit] [--images 300] [--cache PATH]\n";
  std::string ops;
  std::optional<double> mix;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&](const std::string& name) -> const char* {
      if (arg == name && i + 1 < argc) return argv[++i];
      if (arg.rfind(name + "=", 0) == 0) return argv[i] + name.size() + 1;
      return nullptr;
    };
    if (arg == "--compare-workers") {
      options.compare_workers = true;
    } else if (arg == "--no-audit") {
      options.audit = false;
    } else if (arg == "--search-faces") {
      ops = kOpFlags[kSearchFace];
    } else if (const char* v = value("--ops")) {
      ops = v;
    } else if (const char* v = value("--faces")) {
      options.faces = candor::bench::ParseSize(v);
    } else if (const char* v = value("--data-dir")) {
      options.data_dir = v;
    } else if (const char* v = value("--duration")) {
      options.duration_s = std::atof(v);
    } else if (const char* v = value("--baseline-duration")) {
      options.baseline_s = std::atof(v);
    } else if (const char* v = value("--mix")) {
      mix = std::atof(v);
    } else if (const char* v = value("--workers")) {
      options.workers = std::atoi(v);
    } else if (const char* v = value("--inference-threads")) {
      options.inference_threads = std::atoi(v);
    } else if (const char* v = value("--clients")) {
      options.clients = std::atoi(v);
    } else if (const char* v = value("--images")) {
      options.images = candor::bench::ParseSize(v);
    } else if (const char* v = value("--cache")) {
      options.cache_path = v;
    } else {
      std::fprintf(stderr, "unknown argument %s\n%s", argv[i], usage);
      return 2;
    }
  }
  if (!ParseShares(ops, mix, &options.shares)) {
    std::fprintf(stderr, "%s", usage);
    return 2;
  }
  if (options.faces < 1 || options.duration_s <= 0 || options.baseline_s <= 0 ||
      options.workers < 0 || options.clients < 0 || options.images < 1) {
    std::fprintf(stderr, "bad argument value\n%s", usage);
    return 2;
  }
  if (options.data_dir.empty())
    options.data_dir = "/tmp/candor-load-" + std::to_string(options.faces);
  if (options.workers == 0) {
    options.workers = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  }
  signal(SIGPIPE, SIG_IGN);  // a connection closed by the service is an error, not an exit

  const std::string machine = candor::bench::MachineDescription();
  const std::string build = candor::bench::BuildDescription();
  std::printf("command: %s\n", command_line.c_str());
  std::printf("machine: %s; load average %s at start\n", machine.c_str(),
              candor::bench::LoadAverage().c_str());
  std::printf("build: %s\n", build.c_str());

  // Steps 1 and 2, with an engine of one worker that is gone before the runs.
  std::string store_line, face_ids_line, model;
  std::string images_line = "none (no operation of the run takes one)";
  Requests requests;
  {
    auto engine = candor::Engine::Create({.workers = 1});
    if (!engine.ok()) Fail("engine", engine.status());
    model = (*engine)->face_model_version();
    const auto start = Clock::now();
    store_line = PrepareStore(**engine, options);
    std::fprintf(stderr, "store ready in %.1f s\n", Seconds(start, Clock::now()));
    bool takes_images = false;
    for (int op = 0; op < kOps; ++op) takes_images |= kTakesImage[op] && options.shares[op] > 0;
    if (takes_images) images_line = LoadImages(**engine, options, &requests);
    if (options.shares[kSearchFace] > 0) face_ids_line = LoadFaceIds(**engine, options, &requests);
  }
  if (options.inference_threads > 0) {
    std::printf("engine: %s; inference threads per call: %d\n", model.c_str(),
                options.inference_threads);
  } else {
    std::printf(
        "engine: %s; inference threads per call: the engine's default (the hardware "
        "threads with 1 worker, else 1)\n",
        model.c_str());
  }
  std::printf("store: %s, collection \"%s\" of %s faces: %s\n", options.data_dir.c_str(),
              kCollection, Thousands(static_cast<double>(options.faces)).c_str(),
              store_line.c_str());
  std::printf("images: %s\n", images_line.c_str());
  if (!face_ids_line.empty()) std::printf("face ids: %s\n", face_ids_line.c_str());
  std::printf("audit log: %s\n", options.audit ? "every call recorded (group commit, fsync)"
                                                : "off (--no-audit)");
  std::printf(
      "mix: %s (searches with MaxFaces %d, FaceMatchThreshold %d; DetectFaces with Attributes "
      "DEFAULT); throttled requests retried after %d ms; the first %d s of each phase not "
      "counted\n\n",
      DescribeShares(options.shares).c_str(), kMaxFaces, kFaceMatchThreshold, kThrottleBackoffMs,
      kWarmupSeconds);
  std::fflush(stdout);

  char dir_pattern[] = "/tmp/candor-server-bench-XXXXXX";
  if (mkdtemp(dir_pattern) == nullptr) {
    std::perror("mkdtemp");
    return 1;
  }
  const std::string credentials_path = std::string(dir_pattern) + "/credentials";
  candor::server::Credential credential = candor::server::GenerateCredential("server-bench");
  credential.attributes["role"] = "admin,enroller,searcher,analyst,auditor";
  Status written = candor::server::AppendCredential(credentials_path, credential);
  if (!written.ok()) Fail("AppendCredential", written);

  std::vector<int> worker_counts =
      options.compare_workers ? std::vector<int>{1, 2} : std::vector<int>{options.workers};
  std::vector<Run> runs;
  for (int workers : worker_counts) {
    const int clients = options.clients > 0 ? options.clients : 4 * workers;
    runs.push_back(RunWorkers(workers, clients, options, requests, credential, credentials_path));
    PrintRun(runs.back(), options.shares);
    std::fflush(stdout);
  }
  std::error_code ec;
  fs::remove_all(dir_pattern, ec);

  if (runs.size() > 1) {
    std::printf(
        "| workers | clients | in-process req/s | HTTP req/s | HTTP req/s vs first | "
        "overhead | HTTP p50 / p99 ms | HTTP RSS max MiB | throttled | errors |\n");
    std::printf("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (const Run& run : runs) {
      const Percentiles p = Of(run.http.tally.all_ms());
      std::printf(
          "| %d | %d | %.2f | %.2f | %.2fx | %.1f%% | %.1f / %.1f | %.0f | %lld | %lld |\n",
          run.workers, run.clients, run.in_process.PerSecond(), run.http.PerSecond(),
          run.http.PerSecond() / runs.front().http.PerSecond(), 100 * Overhead(run), p.p50, p.p99,
          MiB(*std::max_element(run.http.rss.begin(), run.http.rss.end())),
          static_cast<long long>(run.http.tally.all_throttled()),
          static_cast<long long>(run.http.tally.all_errors() + run.in_process.tally.all_errors()));
    }
    std::printf("\n");
  }
  std::printf("machine: %s\nbuild: %s\ncommand: %s\n", machine.c_str(), build.c_str(),
              command_line.c_str());

  int64_t errors = 0;
  for (const Run& run : runs)
    errors += run.in_process.tally.all_errors() + run.http.tally.all_errors();
  if (errors > 0) {
    std::fprintf(stderr, "FAILED: %lld requests failed with an error other than throttling\n",
                 static_cast<long long>(errors));
    return 1;
  }
  return 0;
}
