// The cost of erasure on the PostgreSQL store (README, "Erasure on
// PostgreSQL"): for each size, a database of its own with one collection of
// that many faces (random unit vectors, inserted 1,000 a transaction), then
// --deletes DeleteFaces calls of one face each, timed whole: the delete's
// transaction and the VACUUM FULL of the faces table that follows it (the
// erasure step; a deletion alone is a few milliseconds). Also the table's
// size on the server (table, TOAST table and indexes).
//
// Usage: erasure_pg_bench --store URI [--sizes 1k,10k] [--deletes 3]
//   URI: a PostgreSQL superuser's connection string (for example what
//   `tools/pg_test_server.sh start DIR` prints); each database is dropped at
//   the end.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "bench_support.h"
#include "pg_bench_support.h"
#include "store/pg_store.h"
#include "store/store.h"

namespace candor::bench {
namespace {

std::string FaceId(size_t n) {
  char id[64];
  std::snprintf(id, sizeof(id), "%08zx-0000-4000-8000-%012zu", n % 0x100000000, n);
  return id;
}

std::string TableSize(const std::string& db) {
  PGconn* conn = PQconnectdb(db.c_str());
  std::string size = "?";
  PGresult* r = PQexec(conn, "SELECT pg_size_pretty(pg_total_relation_size('faces'))");
  if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) size = PQgetvalue(r, 0, 0);
  PQclear(r);
  PQfinish(conn);
  return size;
}

int RunSize(const std::string& uri, size_t faces, int deletes) {
  const std::string name = "candor_erasure_bench_" + std::to_string(::getpid());
  if (!Admin(uri, "CREATE DATABASE " + name)) return 1;
  const std::string db = WithDatabase(uri, name);
  int rc = 0;
  {
    auto store = store::OpenPostgresStore(db);
    if (!store.ok() || !(*store)->CreateCollection({"c", "bench", 0, 0, 0}).ok()) {
      std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
      rc = 1;
    }
    std::mt19937 rng(static_cast<unsigned>(faces));
    std::normal_distribution<float> normal;
    for (size_t first = 0; rc == 0 && first < faces; first += 1000) {
      std::vector<store::FaceRecord> batch;
      for (size_t n = first; n < std::min(faces, first + 1000); ++n) {
        store::FaceRecord& f = batch.emplace_back();
        f.face_id = FaceId(n);
        f.image_id = FaceId(n);
        f.box = {0.1f, 0.2f, 0.3f, 0.4f};
        f.confidence = 99.9f;
        f.face_model_version = "bench";
        f.indexed_ms = 1700000000000 + static_cast<int64_t>(n);
        f.embedding.resize(512);
        for (float& x : f.embedding) x = normal(rng);
        Normalize(f.embedding);
      }
      const Status s = (*store)->InsertFaces("c", &batch);
      if (!s.ok()) {
        std::fprintf(stderr, "%s\n", s.ToString().c_str());
        rc = 1;
      }
    }
    std::vector<double> ms;
    for (int i = 0; rc == 0 && i < deletes; ++i) {
      const auto start = Clock::now();
      auto deleted = (*store)->DeleteFaces("c", {FaceId(static_cast<size_t>(i) * 7 + 3)});
      ms.push_back(Seconds(start, Clock::now()) * 1000);
      if (!deleted.ok() || deleted->size() != 1) {
        std::fprintf(stderr, "DeleteFaces: %s\n", deleted.status().ToString().c_str());
        rc = 1;
      }
    }
    if (rc == 0) {
      std::printf("%zu faces (%s): DeleteFaces of one face, with its erasure:", faces,
                  TableSize(db).c_str());
      for (double v : ms) std::printf(" %.0f", v);
      std::printf(" ms\n");
    }
  }
  Admin(uri, "DROP DATABASE " + name + " WITH (FORCE)");
  return rc;
}

}  // namespace
}  // namespace candor::bench

int main(int argc, char** argv) {
  std::string uri, sizes = "1k,10k";
  int deletes = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--store") {
      uri = argv[i + 1];
    } else if (flag == "--sizes") {
      sizes = argv[i + 1];
    } else if (flag == "--deletes") {
      deletes = std::atoi(argv[i + 1]);
    }
  }
  if (uri.empty() || deletes < 1) {
    std::fprintf(stderr, "usage: erasure_pg_bench --store URI [--sizes 1k,10k] [--deletes 3]\n");
    return 2;
  }
  std::printf("%s; %s; load %s\n", candor::bench::MachineDescription().c_str(),
              candor::bench::BuildDescription().c_str(), candor::bench::LoadAverage().c_str());
  for (const std::string& size : candor::bench::Split(sizes)) {
    if (candor::bench::RunSize(uri, candor::bench::ParseSize(size), deletes) != 0) return 1;
  }
  return 0;
}
