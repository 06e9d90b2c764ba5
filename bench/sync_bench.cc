// Two API nodes on one PostgreSQL database (issue 17), in this process:
// each a Collections object with its own store connections, index and
// follower (collections/store_sync.h), talking to the server over loopback.
//
//  1. Propagation lag: node A (writer) runs --writes IndexFaces calls of one
//     LFW photo, one at a time; after each is acknowledged, the time until
//     node B (a follower without sync reads) holds one face more in its
//     in-memory index, by spinning on B's GetIndexStatus. Then the same for
//     --writes DeleteFaces calls (B holds one face fewer). p50 / p90 / p99 /
//     max: the notification path (NOTIFY at A's commit, B's listener wakes,
//     reads the log and the new faces' rows).
//  2. The cost of sync reads: SearchFacesByEmbedding (random unit vectors,
//     threshold 99, so that nothing matches and no face row is read: the
//     search is the in-memory scan alone) on the collection of --writes
//     faces, --searches times on a node with sync reads (one SELECT of the
//     log's last number first) and on one without, alternating the two.
//
// Usage: sync_bench --store URI [--writes 200] [--searches 2000]
//   URI: a PostgreSQL superuser's connection string (for example what
//   `tools/pg_test_server.sh start DIR` prints); the bench creates a database
//   of its own there and drops it at the end.
#include <libpq-fe.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "bench_support.h"
#include "pg_bench_support.h"
#include "candor/collections.h"
#include "candor/engine.h"
#include "latency.h"

namespace candor::bench {
namespace {

void Print(const char* what, const std::vector<double>& ms) {
  const Percentiles p = Of(ms);
  double max = 0;
  for (double v : ms) max = std::max(max, v);
  std::printf("%-44s n=%-5zu p50 %7.2f  p90 %7.2f  p99 %7.2f  max %7.2f ms\n", what, ms.size(),
              p.p50, p.p90, p.p99, max);
}

int64_t Faces(Collections& node) {
  auto status = node.GetIndexStatus("bench");
  return status.ok() ? status->faces : -1;
}

// Milliseconds from now until `node` holds `faces` faces (spinning), or -1
// after 10 s.
double UntilFaces(Collections& node, int64_t faces, Clock::time_point since) {
  while (Faces(node) != faces) {
    if (Clock::now() - since > std::chrono::seconds(10)) return -1;
    std::this_thread::yield();
  }
  return Seconds(since, Clock::now()) * 1000;
}

int Run(const std::string& uri, int writes, int searches) {
  const std::string name = "candor_sync_bench_" + std::to_string(::getpid());
  if (!Admin(uri, "CREATE DATABASE " + name)) return 1;
  const std::string db = WithDatabase(uri, name);
  int rc = 0;
  {
    auto engine = Engine::Create({.workers = 1});
    if (!engine.ok()) {
      std::fprintf(stderr, "%s\n", engine.status().ToString().c_str());
      return 1;
    }
    const std::string data_dir = "/tmp/" + name;
    auto open = [&](bool sync_reads) {
      CollectionsOptions options{.data_dir = data_dir, .store_uri = db};
      options.sync_reads = sync_reads;
      auto c = Collections::Open(engine->get(), options);
      if (!c.ok()) std::fprintf(stderr, "%s\n", c.status().ToString().c_str());
      return c.ok() ? std::move(*c) : nullptr;
    };
    auto a = open(true), b = open(false), reader = open(true);
    if (!a || !b || !reader || !a->CreateCollection("bench").ok()) return 1;
    std::ifstream in("../shared/data/lfw/images/Colin_Powell/Colin_Powell_0040.jpg",
                     std::ios::binary);
    const std::string photo((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (photo.empty()) {
      std::fprintf(stderr, "run from the repository root (reads ../shared/data/lfw)\n");
      return 1;
    }
    std::printf("sync_bench: %d writes, %d searches; %s; load %s\n", writes, searches,
                CpuModel().c_str(), LoadAverage().c_str());
    std::vector<double> added, deleted;
    std::vector<std::string> face_ids;
    for (int i = 0; i < writes && rc == 0; ++i) {
      auto r = a->IndexFaces({.collection_id = "bench", .image_bytes = photo, .max_faces = 1});
      const auto acked = Clock::now();
      if (!r.ok() || r->face_records.size() != 1) {
        std::fprintf(stderr, "IndexFaces: %s\n", r.status().ToString().c_str());
        rc = 1;
        break;
      }
      face_ids.push_back(r->face_records[0].face.face_id);
      const double ms = UntilFaces(*b, i + 1, acked);
      if (ms < 0) rc = 1;
      added.push_back(ms);
    }
    Print("IndexFaces on A -> in B's index", added);

    // Sync reads: the same searches on a node with them and one without.
    std::mt19937 rng(7);
    std::normal_distribution<float> normal;
    std::vector<double> with_sync, without_sync;
    for (int i = 0; i < searches && rc == 0; ++i) {
      std::vector<float> probe(512);
      for (float& x : probe) x = normal(rng);
      Normalize(probe);
      for (Collections* node : {reader.get(), b.get()}) {
        const auto start = Clock::now();
        auto r = node->SearchFacesByEmbedding(
            {.collection_id = "bench", .face_match_threshold = 99, .max_faces = 10}, probe);
        const double ms = Seconds(start, Clock::now()) * 1000;
        if (!r.ok()) rc = 1;
        (node == reader.get() ? with_sync : without_sync).push_back(ms);
      }
    }
    Print("search (no match), sync reads", with_sync);
    Print("search (no match), no sync reads", without_sync);

    for (size_t i = 0; i < face_ids.size() && rc == 0; ++i) {
      auto r = a->DeleteFaces("bench", {face_ids[i]});
      const auto acked = Clock::now();
      if (!r.ok()) rc = 1;
      const double ms = UntilFaces(*b, static_cast<int64_t>(face_ids.size() - i - 1), acked);
      if (ms < 0) rc = 1;
      deleted.push_back(ms);
    }
    Print("DeleteFaces on A -> gone from B's index", deleted);
    const StoreSyncStatus s = b->GetStoreSyncStatus();
    std::printf("B: %lld changes applied, lag %lld, %lld reconnects, %lld full rebuilds, "
                "%lld store round trips averaging %.3f ms (max %.2f)\n",
                static_cast<long long>(s.changes_applied), static_cast<long long>(s.lag_changes),
                static_cast<long long>(s.reconnects), static_cast<long long>(s.full_rebuilds),
                static_cast<long long>(s.store_calls),
                s.store_calls > 0 ? s.store_seconds * 1000 / s.store_calls : 0.0,
                s.store_max_seconds * 1000);
    if (rc != 0) std::fprintf(stderr, "sync_bench: a call failed or a change never arrived\n");
  }
  Admin(uri, "DROP DATABASE " + name + " WITH (FORCE)");
  return rc;
}

}  // namespace
}  // namespace candor::bench

int main(int argc, char** argv) {
  std::string uri;
  int writes = 200, searches = 2000;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--store") {
      uri = argv[i + 1];
    } else if (flag == "--writes") {
      writes = std::atoi(argv[i + 1]);
    } else if (flag == "--searches") {
      searches = std::atoi(argv[i + 1]);
    }
  }
  if (uri.empty() || writes < 1 || searches < 1) {
    std::fprintf(stderr, "usage: sync_bench --store URI [--writes 200] [--searches 2000]\n");
    return 2;
  }
  return candor::bench::Run(uri, writes, searches);
}
