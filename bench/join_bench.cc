// A node joining a large collection on PostgreSQL (issue 17): how long a
// `candor serve --store` process takes from launch until it answers a search
// on a collection of --faces faces, how much memory that costs it, and how
// many bytes a face takes in the database.
//
//  1. Fill (skipped when the database --database already holds collection
//     "join" with exactly --faces faces): a database of its own on the
//     server of --store, collection "join" made through the PostgreSQL store
//     (store::OpenPostgresStore) and filled with bench_support.h's
//     BuildSyntheticCollection, batches of 1,000 faces per InsertFaces (one
//     transaction, one change-log row each), four faces per image. Seeds: a
//     thousand random unit vectors of the engine's dimension (no embedding
//     cache needed; the content of the vectors does not change what loading
//     costs). Not through HTTP: no detection, only the store's writes.
//  2. Size on disk: pg_total_relation_size of faces (heap, its TOAST table,
//     its four indexes), of change_log, and the whole database, per face.
//  3. --runs times: launch `--candor serve --store DB --allow-anonymous
//     --listen 127.0.0.1:0 --port-file F` (a fresh data directory each
//     time), wait for the port file (the process is listening: engine and
//     models loaded, store opened and migrated), take its VmRSS, then send
//     SearchFacesByImage (an LFW photo) for "join" until it answers 200
//     (the node loads the collection from the tables on its first use),
//     take VmRSS and VmHWM, time a second search, then --searches
//     SearchFaces by FaceId (a sample of the collection's faces, MaxFaces 10,
//     threshold 80, one at a time: no detection, so the probe's read from
//     PostgreSQL, the sketch index's scan of every face and the rescoring's
//     read of the candidates' rows), and stop it (SIGTERM).
//     Memory per face = (VmRSS after the first search - VmRSS when
//     listening) / faces. The server's files are in the page cache after
//     the fill or the first run (24 GiB machine, ~3 GB database): these are
//     warm-cache start-ups. CPU seconds from listening to the first answer,
//     of the node and of the server processes of its connections (found in
//     pg_stat_activity; the server must run on this machine, as root or its
//     owner): the work of a load whatever else the machine is doing, where
//     the wall time depends on the cores left to it.
//
// Usage: join_bench --store URI --candor build/candor [--faces 1M]
//   [--database NAME] [--runs 2] [--searches 200] [--keep]
//   URI: a PostgreSQL superuser's connection string (what
//   `tools/pg_test_server.sh start DIR` prints). --database defaults to
//   candor_join_bench_<faces>; it is dropped at the end unless --keep.
//   Run from the repository root (reads ../shared/data/lfw).
#include <httplib.h>
#include <libpq-fe.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "bench_support.h"
#include "latency.h"
#include "pg_bench_support.h"
#include "candor/engine.h"
#include "store/pg_store.h"
#include "audit/audit_crypto.h"

namespace candor::bench {
namespace {

namespace fs = std::filesystem;

constexpr char kCollection[] = "join";
constexpr char kPhoto[] = "../shared/data/lfw/images/Colin_Powell/Colin_Powell_0040.jpg";

// One value of `sql` on `conninfo`, as text; "" when it fails.
std::string Query(const std::string& conninfo, const std::string& sql) {
  PGconn* conn = PQconnectdb(conninfo.c_str());
  std::string out;
  if (PQstatus(conn) == CONNECTION_OK) {
    PGresult* r = PQexec(conn, sql.c_str());
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0) out = PQgetvalue(r, 0, 0);
    PQclear(r);
  }
  PQfinish(conn);
  return out;
}

// VmRSS or VmHWM of process `pid`, bytes.
int64_t ProcessMemory(pid_t pid, const char* field) {
  const std::string kb = FirstLine("/proc/" + std::to_string(pid) + "/status", field);
  return std::atoll(kb.c_str()) * 1024;
}

// User + system CPU seconds of process `pid` so far.
double CpuSeconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t end = stat.rfind(')');
  if (end == std::string::npos) return 0;
  std::istringstream fields(stat.substr(end + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; fields >> field && i <= 15; ++i) {
    if (i == 14 || i == 15) ticks += std::atof(field.c_str());  // utime, stime
  }
  return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// CPU seconds of the server processes serving `db`'s other connections (the
// node's: its store, follower and listener), when the server runs on this
// machine.
double BackendCpuSeconds(const std::string& db) {
  PGconn* conn = PQconnectdb(db.c_str());
  PGresult* r = PQexec(conn,
                       "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                       " AND pid <> pg_backend_pid()");
  double seconds = 0;
  for (int i = 0; PQresultStatus(r) == PGRES_TUPLES_OK && i < PQntuples(r); ++i) {
    seconds += CpuSeconds(std::atoi(PQgetvalue(r, i, 0)));
  }
  PQclear(r);
  PQfinish(conn);
  return seconds;
}

bool Fill(const std::string& db, size_t faces) {
  auto engine = Engine::Create({.workers = 1});
  if (!engine.ok()) {
    std::fprintf(stderr, "%s\n", engine.status().ToString().c_str());
    return false;
  }
  auto store = store::OpenPostgresStore(db);
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
    return false;
  }
  std::mt19937_64 rng(17);
  std::normal_distribution<float> normal;
  std::vector<std::vector<float>> seeds(1000, std::vector<float>(kDimension));
  for (auto& seed : seeds) {
    for (float& x : seed) x = normal(rng);
    Normalize(seed);
  }
  auto timing = BuildSyntheticCollection(**store, kCollection, (*engine)->face_model_version(),
                                         seeds, faces, rng);
  if (!timing.ok()) {
    std::fprintf(stderr, "fill: %s\n", timing.status().ToString().c_str());
    return false;
  }
  std::printf("filled %zu faces through the store in %.1f s: %s faces/s (last 10%%: %s)\n",
              faces, timing->seconds, Thousands(timing->per_second).c_str(),
              Thousands(timing->last_tenth_per_second).c_str());
  return true;
}

void PrintSizes(const std::string& db, size_t faces) {
  Query(db, "VACUUM ANALYZE faces");  // so that the visibility map is as a running system's
  auto bytes = [&](const std::string& sql) { return std::atof(Query(db, sql).c_str()); };
  const double total = bytes("SELECT pg_total_relation_size('faces')");
  const double heap = bytes("SELECT pg_relation_size('faces')");
  const double toast = bytes(
      "SELECT pg_total_relation_size(reltoastrelid) FROM pg_class WHERE relname = 'faces'");
  const double indexes = bytes("SELECT pg_indexes_size('faces')");
  const double log = bytes("SELECT pg_total_relation_size('change_log')");
  const double database = bytes("SELECT pg_database_size(current_database())");
  auto line = [&](const char* what, double b) {
    std::printf("  %-44s %9.1f MiB  %7.0f B/face\n", what, b / 1048576, b / faces);
  };
  std::printf("PostgreSQL on-disk size, %zu faces:\n", faces);
  line("faces: pg_total_relation_size", total);
  line("  heap (metadata, TOAST pointers)", heap);
  line("  TOAST (the 2,048-byte embeddings)", toast);
  line("  its 4 indexes", indexes);
  line("change_log (1 row per 1,000-face batch)", log);
  line("whole database", database);
}

struct Run {
  double listening_s = -1, answered_s = -1, second_search_ms = -1;
  int64_t rss_listening = 0, rss_loaded = 0, hwm = 0;
  // CPU seconds from listening to the first answer: the node's and its
  // PostgreSQL backends'.
  double node_cpu_s = 0, postgres_cpu_s = 0;
  std::vector<double> search_faces_ms;
};

// Launches one node and measures it; false when something failed.
// `search_faces`: SearchFaces request bodies.
bool JoinOnce(const std::string& candor, const std::string& db, const std::string& body,
              const std::vector<std::string>& search_faces, size_t faces, Run* run) {
  const std::string dir = "/tmp/candor-join-bench-" + std::to_string(::getpid());
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string port_file = dir + "/port";
  const auto launch = Clock::now();
  const pid_t pid = ::fork();
  if (pid == 0) {
    const std::string log = dir + "/serve.log";
    if (std::freopen(log.c_str(), "w", stderr) == nullptr) _exit(127);
    ::execl(candor.c_str(), candor.c_str(), "serve", "--data-dir", (dir + "/data").c_str(),
            "--store", db.c_str(), "--allow-anonymous", "--listen", "127.0.0.1:0",
            "--port-file", port_file.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  bool ok = false;
  int port = 0;
  while (Seconds(launch, Clock::now()) < 120) {
    std::ifstream in(port_file);
    if (in >> port && port > 0) break;
    if (::waitpid(pid, nullptr, WNOHANG) == pid) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  if (port > 0) {
    run->listening_s = Seconds(launch, Clock::now());
    run->rss_listening = ProcessMemory(pid, "VmRSS");
    const double node_cpu = CpuSeconds(pid), postgres_cpu = BackendCpuSeconds(db);
    httplib::Client client("127.0.0.1", port);
    client.set_read_timeout(600, 0);
    const httplib::Headers headers = {{"X-Amz-Target", "RekognitionService.SearchFacesByImage"}};
    for (int attempt = 0; attempt < 100 && !ok; ++attempt) {
      auto r = client.Post("/", headers, body, "application/x-amz-json-1.1");
      if (r && r->status == 200) {
        ok = true;
      } else {
        std::fprintf(stderr, "search: %s\n",
                     r ? r->body.substr(0, 300).c_str() : httplib::to_string(r.error()).c_str());
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
    if (ok) {
      run->answered_s = Seconds(launch, Clock::now());
      run->rss_loaded = ProcessMemory(pid, "VmRSS");
      run->hwm = ProcessMemory(pid, "VmHWM");
      run->node_cpu_s = CpuSeconds(pid) - node_cpu;
      run->postgres_cpu_s = BackendCpuSeconds(db) - postgres_cpu;
      const auto start = Clock::now();
      auto r = client.Post("/", headers, body, "application/x-amz-json-1.1");
      ok = r && r->status == 200;
      run->second_search_ms = Seconds(start, Clock::now()) * 1000;
      const httplib::Headers by_id = {{"X-Amz-Target", "RekognitionService.SearchFaces"}};
      for (size_t i = 0; ok && i < search_faces.size(); ++i) {
        const auto began = Clock::now();
        auto answer = client.Post("/", by_id, search_faces[i], "application/x-amz-json-1.1");
        ok = answer && answer->status == 200;
        if (!ok) std::fprintf(stderr, "SearchFaces: %s\n", answer ? answer->body.c_str() : "");
        run->search_faces_ms.push_back(Seconds(began, Clock::now()) * 1000);
      }
    }
  } else {
    std::fprintf(stderr, "the node never listened; see %s/serve.log\n", dir.c_str());
  }
  ::kill(pid, SIGTERM);
  ::waitpid(pid, nullptr, 0);
  if (ok) fs::remove_all(dir);
  std::printf("  launch -> listening %.2f s (RSS %.0f MiB); -> first search answered %.2f s "
              "(collection loaded; RSS %.0f MiB, peak %.0f MiB); next search %.1f ms; "
              "%.0f B/face of RSS\n",
              run->listening_s, run->rss_listening / 1048576.0, run->answered_s,
              run->rss_loaded / 1048576.0, run->hwm / 1048576.0, run->second_search_ms,
              static_cast<double>(run->rss_loaded - run->rss_listening) / faces);
  std::printf("  CPU from listening to the first answer: node %.2f s, its PostgreSQL backends "
              "%.2f s\n",
              run->node_cpu_s, run->postgres_cpu_s);
  const Percentiles p = Of(run->search_faces_ms);
  std::printf("  then %zu SearchFaces by FaceId, one at a time: p50 %.2f  p90 %.2f  p99 %.2f ms\n",
              run->search_faces_ms.size(), p.p50, p.p90, p.p99);
  return ok;
}

// SearchFaces bodies for `count` faces of the collection (a sample spread
// over the table).
std::vector<std::string> SearchFacesBodies(const std::string& db, size_t faces, int count) {
  std::vector<std::string> out;
  PGconn* conn = PQconnectdb(db.c_str());
  const double percent = std::min(100.0, 200.0 * count / faces);
  const std::string sql = "SELECT face_id FROM faces TABLESAMPLE BERNOULLI (" +
                          std::to_string(percent) + ") REPEATABLE (17) LIMIT " +
                          std::to_string(count);
  PGresult* r = PQexec(conn, sql.c_str());
  for (int i = 0; PQresultStatus(r) == PGRES_TUPLES_OK && i < PQntuples(r); ++i) {
    out.push_back(std::string(R"({"CollectionId":")") + kCollection + R"(","FaceId":")" +
                  PQgetvalue(r, i, 0) + R"(","MaxFaces":10,"FaceMatchThreshold":80})");
  }
  PQclear(r);
  PQfinish(conn);
  return out;
}

int Main(const std::string& uri, const std::string& candor, size_t faces, std::string name,
         int runs, int searches, bool keep) {
  if (name.empty()) name = "candor_join_bench_" + std::to_string(faces);
  const std::string db = WithDatabase(uri, name);
  std::printf("join_bench: %zu faces, database %s; %s; load %s\n", faces, name.c_str(),
              MachineDescription().c_str(), LoadAverage().c_str());
  const std::string held = Query(
      db, std::string("SELECT count(*) FROM faces WHERE collection_id = '") + kCollection + "'");
  if (held != std::to_string(faces)) {
    Admin(uri, "DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
    if (!Admin(uri, "CREATE DATABASE " + name) || !Fill(db, faces)) return 1;
  } else {
    std::printf("reusing the %zu faces of %s\n", faces, name.c_str());
  }
  PrintSizes(db, faces);

  std::ifstream in(kPhoto, std::ios::binary);
  const std::string photo((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (photo.empty()) {
    std::fprintf(stderr, "run from the repository root (reads %s)\n", kPhoto);
    return 1;
  }
  const std::string body = std::string(R"({"CollectionId":")") + kCollection +
                           R"(","MaxFaces":10,"FaceMatchThreshold":80,"Image":{"Bytes":")" +
                           audit::Base64Encode(photo) + "\"}}";
  const std::vector<std::string> search_faces = SearchFacesBodies(db, faces, searches);
  int rc = 0;
  std::printf("a node joining (candor serve --store), load %s:\n", LoadAverage().c_str());
  for (int i = 0; i < runs && rc == 0; ++i) {
    Run run;
    if (!JoinOnce(candor, db, body, search_faces, faces, &run)) rc = 1;
  }
  if (!keep) Admin(uri, "DROP DATABASE " + name + " WITH (FORCE)");
  return rc;
}

}  // namespace
}  // namespace candor::bench

int main(int argc, char** argv) {
  std::string uri, candor = "build/candor", database;
  size_t faces = 1000000;
  int runs = 2, searches = 200;
  bool keep = false;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    const bool has_value = i + 1 < argc;
    if (flag == "--keep") {
      keep = true;
    } else if (flag == "--store" && has_value) {
      uri = argv[++i];
    } else if (flag == "--candor" && has_value) {
      candor = argv[++i];
    } else if (flag == "--faces" && has_value) {
      faces = candor::bench::ParseSize(argv[++i]);
    } else if (flag == "--database" && has_value) {
      database = argv[++i];
    } else if (flag == "--runs" && has_value) {
      runs = std::atoi(argv[++i]);
    } else if (flag == "--searches" && has_value) {
      searches = std::atoi(argv[++i]);
    } else {
      std::fprintf(stderr, "unknown or incomplete flag %s\n", flag.c_str());
      return 2;
    }
  }
  if (uri.empty() || faces < 1 || runs < 1 || searches < 0) {
    std::fprintf(stderr,
                 "usage: join_bench --store URI [--candor build/candor] [--faces 1M] "
                 "[--database NAME] [--runs 2] [--searches 200] [--keep]\n");
    return 2;
  }
  return candor::bench::Main(uri, candor, faces, database, runs, searches, keep);
}
