// A whole collection at scale, through the store and the public
// Collections API: how fast faces go into the store, how large the database
// is, how long a server takes to start serving a collection of N faces, how
// much memory it holds, and SearchFaces latency.
//
// Data: synthetic faces around the real embeddings of the LFW embedding cache
// (build/cache/lfw.emb), as described in bench_support.h.
//
// For each size N:
//   1. a fresh store in a temporary folder under /tmp: CreateCollection with
//      the engine's face model version, then InsertFaces in batches of
//      kInsertBatch (one transaction each); reports faces/s (InsertFaces time
//      only, not vector generation) over all faces and over the last 10% (the
//      rate at size N: it falls as the store grows) and database bytes per face (candor.db
//      and its -wal/-shm after the store is closed);
//   2. start-up: everything but the engine is destroyed, then Collections::Open
//      plus the first SearchFaces (which loads the collection from the store
//      into its index: exact below index::kApproximateMinVectors faces, the
//      sketch index from there on) is timed. Reports process RSS (VmRSS)
//      after the load and the RSS it added per face, and the index's own
//      memory estimate per face. The database file may be warm in the page
//      cache (it was just written, or read by an earlier run): a cold disk
//      adds its read time;
//   3. SearchFaces by FaceId of kProbes random stored faces, MaxFaces 10,
//      FaceMatchThreshold 80: p50/p99 and searches/s with one client thread,
//      then with two client threads at once (each runs all probes in its own
//      order);
//   4. SearchFacesByEmbedding of kRecallQueries vectors drawn near real faces
//      (as the stored faces, but never stored: "another photo of an enrolled
//      person"), MaxFaces 10, FaceMatchThreshold 0: p50/p99 on one thread and
//      recall@1 / recall@10 against an exact float scan of every stored
//      vector, computed while the faces were generated.
//
// Usage: collection_bench [--sizes 100k,1M] [--keep] [--cache PATH]
//                         [--store DIR [--build-only]]
//   --keep leaves the store folders in /tmp (their paths are printed).
//   --store (one size) builds the store in DIR and keeps it, with the probes,
//   queries and exact answers in DIR/collection-bench.meta; a later run with
//   the same DIR measures that store again instead of building one (the
//   insert figures are then those of the build). --build-only stops after
//   the build (a 10M store takes most of an hour to write).
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench_support.h"
#include "candor/collections.h"
#include "candor/engine.h"
#include "index/dot_product.h"
#include "index/top_k.h"
#include "store/store.h"

namespace {

using candor::bench::Clock;
using candor::bench::kNoiseSd;
using candor::bench::LoadAverage;
using candor::bench::ParseSize;
using candor::bench::RssBytes;
using candor::bench::Seconds;
using candor::bench::Split;
using candor::bench::Thousands;

constexpr int kProbes = 200;
constexpr int kRecallQueries = 200;
constexpr int kRecallK = 10;
constexpr int kMaxFaces = 10;
constexpr float kThreshold = 80;
constexpr char kCollection[] = "bench";

[[noreturn]] void Fail(const std::string& what, const candor::Status& status) {
  std::fprintf(stderr, "%s: %s\n", what.c_str(), status.ToString().c_str());
  std::exit(1);
}

struct Latency {
  double p50_ms = 0;
  double p99_ms = 0;
  double per_second = 0;
  double mean_matches = 0;
};

int64_t FileBytes(const std::filesystem::path& dir) {
  int64_t total = 0;
  std::error_code ec;
  for (const char* name : {"candor.db", "candor.db-wal", "candor.db-shm"}) {
    const auto size = std::filesystem::file_size(dir / name, ec);
    if (!ec) total += static_cast<int64_t>(size);
  }
  return total;
}

struct Row {
  size_t faces = 0;
  double insert_per_second = 0;
  double insert_seconds = 0;
  double last_tenth_per_second = 0;  // the last 10% of the faces: the rate at size n
  double db_bytes_per_face = 0;
  double startup_seconds = 0;
  bool approximate = false;  // the sketch index (else exact)
  int64_t rss_bytes = 0;
  double rss_added_per_face = 0;
  double index_bytes_per_face = 0;
  Latency one_thread;
  Latency two_threads;
  Latency by_embedding;
  double recall_at1 = 0;
  double recall_at10 = 0;
};

// Runs `probes` (in the given orders, one client thread per order) through
// SearchFaces concurrently.
Latency Search(candor::Collections& collections, const std::vector<std::string>& probes,
               const std::vector<std::vector<size_t>>& orders) {
  const candor::SearchRequest request{
      .collection_id = kCollection, .face_match_threshold = kThreshold, .max_faces = kMaxFaces};
  std::vector<std::vector<double>> ms(orders.size());
  std::atomic<int64_t> matches{0};
  const auto start = Clock::now();
  std::vector<std::thread> threads;
  for (size_t t = 0; t < orders.size(); ++t) {
    threads.emplace_back([&, t] {
      for (size_t i : orders[t]) {
        const auto one = Clock::now();
        auto result = collections.SearchFaces(request, probes[i]);
        ms[t].push_back(Seconds(one, Clock::now()) * 1e3);
        if (!result.ok()) Fail("SearchFaces", result.status());
        matches += static_cast<int64_t>(result->matches.size());
      }
    });
  }
  for (auto& thread : threads) thread.join();
  const double wall = Seconds(start, Clock::now());
  std::vector<double> all;
  for (const auto& v : ms) all.insert(all.end(), v.begin(), v.end());
  std::sort(all.begin(), all.end());
  auto at = [&](double q) {
    return all[std::min(all.size() - 1, static_cast<size_t>(q * all.size()))];
  };
  return {at(0.50), at(0.99), all.size() / wall, static_cast<double>(matches) / all.size()};
}

// SearchFacesByEmbedding of every query, one thread; recall against `truth`
// (the FaceIds of the exact top kRecallK of each query).
Latency SearchByEmbedding(candor::Collections& collections,
                          const std::vector<std::vector<float>>& queries,
                          const std::vector<std::vector<std::string>>& truth, double* at1,
                          double* at10) {
  const candor::SearchRequest request{
      .collection_id = kCollection, .face_match_threshold = 0, .max_faces = kRecallK};
  std::vector<double> ms;
  double hits1 = 0, hits10 = 0;
  const auto start = Clock::now();
  for (size_t q = 0; q < queries.size(); ++q) {
    const auto one = Clock::now();
    auto result = collections.SearchFacesByEmbedding(request, queries[q]);
    ms.push_back(Seconds(one, Clock::now()) * 1e3);
    if (!result.ok()) Fail("SearchFacesByEmbedding", result.status());
    if (!result->matches.empty() && result->matches[0].face.face_id == truth[q][0]) hits1 += 1;
    for (const std::string& t : truth[q]) {
      for (const candor::SearchMatch& m : result->matches) {
        if (m.face.face_id == t) hits10 += 1.0 / kRecallK;
      }
    }
  }
  const double wall = Seconds(start, Clock::now());
  std::sort(ms.begin(), ms.end());
  auto at = [&](double p) { return ms[std::min(ms.size() - 1, static_cast<size_t>(p * ms.size()))]; };
  *at1 = hits1 / queries.size();
  *at10 = hits10 / queries.size();
  return {at(0.50), at(0.99), ms.size() / wall, 0};
}

// A built store and what the measurements need from its build: the probes,
// the recall queries and their exact answers. Saved next to the store
// (kMetaFile) by --store, so that a large store is built once and measured
// again by later runs.
struct BuiltStore {
  std::filesystem::path dir;
  size_t faces = 0;
  double insert_per_second = 0;
  double insert_seconds = 0;
  double last_tenth_per_second = 0;
  double db_bytes_per_face = 0;
  std::vector<std::string> probes;               // FaceIds
  std::vector<std::vector<float>> queries;       // near real faces, not stored
  std::vector<std::vector<std::string>> truth;   // exact top kRecallK FaceIds per query
};

constexpr char kMetaFile[] = "collection-bench.meta";
constexpr uint64_t kMetaMagic = 0x31544d4243444e43ull;  // "CNDCBMT1"

void SaveMeta(const BuiltStore& b) {
  std::ofstream out(b.dir / kMetaFile, std::ios::binary | std::ios::trunc);
  auto put = [&](const auto& x) { out.write(reinterpret_cast<const char*>(&x), sizeof(x)); };
  auto put_id = [&](const std::string& id) {
    put(static_cast<uint32_t>(id.size()));
    out.write(id.data(), static_cast<std::streamsize>(id.size()));
  };
  put(kMetaMagic);
  put(static_cast<uint64_t>(b.faces));
  put(b.insert_per_second);
  put(b.insert_seconds);
  put(b.last_tenth_per_second);
  put(b.db_bytes_per_face);
  put(static_cast<uint32_t>(b.probes.size()));
  for (const std::string& id : b.probes) put_id(id);
  put(static_cast<uint32_t>(b.queries.size()));
  for (size_t q = 0; q < b.queries.size(); ++q) {
    out.write(reinterpret_cast<const char*>(b.queries[q].data()),
              static_cast<std::streamsize>(b.queries[q].size() * sizeof(float)));
    put(static_cast<uint32_t>(b.truth[q].size()));
    for (const std::string& id : b.truth[q]) put_id(id);
  }
  if (!out.good()) {
    std::fprintf(stderr, "cannot write %s\n", (b.dir / kMetaFile).c_str());
    std::exit(1);
  }
}

// False if `dir` holds no complete meta file.
bool LoadMeta(const std::filesystem::path& dir, BuiltStore* b) {
  std::ifstream in(dir / kMetaFile, std::ios::binary);
  auto get = [&](auto& x) { in.read(reinterpret_cast<char*>(&x), sizeof(x)); };
  auto get_id = [&] {
    uint32_t size = 0;
    get(size);
    std::string id(std::min<uint32_t>(size, 64), '\0');
    in.read(id.data(), static_cast<std::streamsize>(id.size()));
    return id;
  };
  uint64_t magic = 0, faces = 0;
  get(magic);
  if (!in.good() || magic != kMetaMagic) return false;
  get(faces);
  b->dir = dir;
  b->faces = faces;
  get(b->insert_per_second);
  get(b->insert_seconds);
  get(b->last_tenth_per_second);
  get(b->db_bytes_per_face);
  uint32_t count = 0;
  get(count);
  for (uint32_t i = 0; i < count && in.good(); ++i) b->probes.push_back(get_id());
  get(count);
  for (uint32_t q = 0; q < count && in.good(); ++q) {
    std::vector<float> v(candor::bench::kDimension);
    in.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(v.size() * sizeof(float)));
    b->queries.push_back(std::move(v));
    uint32_t k = 0;
    get(k);
    std::vector<std::string> ids;
    for (uint32_t i = 0; i < k && in.good(); ++i) ids.push_back(get_id());
    b->truth.push_back(std::move(ids));
  }
  return in.good() && !b->probes.empty() && b->queries.size() == kRecallQueries;
}

// Builds a store of `n` synthetic faces in `dir` (step 1).
BuiltStore BuildStore(candor::Engine* engine, const std::vector<std::vector<float>>& real,
                      size_t n, const std::filesystem::path& dir, std::mt19937_64& rng) {
  BuiltStore built;
  built.dir = dir;
  built.faces = n;
  // The probes: kProbes distinct random positions among the n faces.
  std::vector<size_t> probe_positions;
  {
    std::uniform_int_distribution<size_t> any(0, n - 1);
    while (probe_positions.size() < std::min<size_t>(kProbes, n)) {
      const size_t p = any(rng);
      if (std::find(probe_positions.begin(), probe_positions.end(), p) == probe_positions.end()) {
        probe_positions.push_back(p);
      }
    }
    std::sort(probe_positions.begin(), probe_positions.end());
  }

  // Recall queries near random seeds, and their exact top kRecallK among the
  // stored faces, kept up to date as faces are generated.
  std::vector<float> query_rows;
  {
    std::normal_distribution<float> noise(0.0f, kNoiseSd);
    std::uniform_int_distribution<size_t> pick(0, real.size() - 1);
    for (int q = 0; q < kRecallQueries; ++q) {
      std::vector<float> v = real[pick(rng)];
      for (float& x : v) x += noise(rng);
      candor::bench::Normalize(v);
      query_rows.insert(query_rows.end(), v.begin(), v.end());
      built.queries.push_back(std::move(v));
    }
  }
  std::vector<candor::index::TopK> tops(kRecallQueries, candor::index::TopK(kRecallK));
  std::vector<std::string> face_at;
  face_at.reserve(n);
  const candor::index::DotProductKernels& kernels = candor::index::BestKernels();
  std::vector<float> query_scores(kRecallQueries);
  {
    auto store = candor::store::Store::OpenSqlite(dir.string());
    if (!store.ok()) Fail("OpenSqlite", store.status());
    size_t next_probe = 0;
    auto timing = candor::bench::BuildSyntheticCollection(
        **store, kCollection, engine->face_model_version(), real, n, rng,
        [&](size_t position, const candor::store::FaceRecord& r) {
          face_at.push_back(r.face_id);
          kernels.score_rows_f32(query_rows.data(), kRecallQueries, candor::bench::kDimension,
                                 r.embedding.data(), query_scores.data());
          for (int q = 0; q < kRecallQueries; ++q) {
            tops[q].Push(query_scores[q], static_cast<int64_t>(position));
          }
          if (next_probe < probe_positions.size() && probe_positions[next_probe] == position) {
            built.probes.push_back(r.face_id);
            ++next_probe;
          }
        });
    if (!timing.ok()) Fail("building the collection", timing.status());
    built.insert_seconds = timing->seconds;
    built.insert_per_second = timing->per_second;
    built.last_tenth_per_second = timing->last_tenth_per_second;
  }  // The store closes here (checkpointing its WAL).
  built.db_bytes_per_face = static_cast<double>(FileBytes(dir)) / n;
  for (auto& top : tops) {
    std::vector<std::string> ids;
    for (const candor::index::Neighbor& nb : top.TakeSorted()) ids.push_back(face_at[nb.label]);
    built.truth.push_back(std::move(ids));
  }
  return built;
}

// Steps 2-5 on a built store.
Row Measure(candor::Engine* engine, const BuiltStore& built, std::mt19937_64& rng) {
  Row row;
  const size_t n = built.faces;
  const std::filesystem::path& dir = built.dir;
  const std::vector<std::string>& probes = built.probes;
  row.faces = n;
  row.insert_seconds = built.insert_seconds;
  row.insert_per_second = built.insert_per_second;
  row.last_tenth_per_second = built.last_tenth_per_second;
  row.db_bytes_per_face = built.db_bytes_per_face;

  // 2. Start-up: nothing but the engine survives from the build.
  malloc_trim(0);
  const int64_t rss_before = RssBytes();
  const auto start = Clock::now();
  auto collections = candor::Collections::Open(engine, {.data_dir = dir.string()});
  if (!collections.ok()) Fail("Collections::Open", collections.status());
  // The first search loads the collection into memory.
  auto first_search = [&](candor::Collections& c) {
    return c.SearchFaces(
        {.collection_id = kCollection, .face_match_threshold = kThreshold, .max_faces = kMaxFaces},
        probes[0]);
  };
  {
    auto first = first_search(**collections);
    if (!first.ok()) Fail("first SearchFaces", first.status());
    if (static_cast<size_t>(first->faces_searched) != n - 1) {
      std::fprintf(stderr, "first SearchFaces searched %lld faces, expected %zu\n",
                   static_cast<long long>(first->faces_searched), n - 1);
      std::exit(1);
    }
  }
  row.startup_seconds = Seconds(start, Clock::now());
  {
    auto status = (*collections)->GetIndexStatus(kCollection);
    if (!status.ok()) Fail("GetIndexStatus", status.status());
    row.approximate = status->approximate;
    row.index_bytes_per_face = static_cast<double>(status->memory_bytes) / n;
  }
  malloc_trim(0);
  row.rss_bytes = RssBytes();
  row.rss_added_per_face = static_cast<double>(row.rss_bytes - rss_before) / n;

  // 3. Search latency.
  std::vector<size_t> order(probes.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), rng);
  row.one_thread = Search(**collections, probes, {order});
  std::vector<size_t> other = order;
  std::shuffle(other.begin(), other.end(), rng);
  row.two_threads = Search(**collections, probes, {order, other});
  row.by_embedding = SearchByEmbedding(**collections, built.queries, built.truth,
                                       &row.recall_at1, &row.recall_at10);

  collections->reset();
  return row;
}

// Steps 1-4 for one size. With `store_dir`, a store already built there (by
// an earlier run with the same --store) is measured again, and a new one is
// kept there.
Row RunSize(candor::Engine* engine, const std::vector<std::vector<float>>& real, size_t n,
            bool keep, const std::string& store_dir, bool build_only, std::mt19937_64& rng) {
  BuiltStore built;
  if (!store_dir.empty() && LoadMeta(store_dir, &built)) {
    if (built.faces != n) {
      std::fprintf(stderr, "%s holds %zu faces, not %zu\n", store_dir.c_str(), built.faces, n);
      std::exit(2);
    }
    std::fprintf(stderr, "reusing the store in %s\n", store_dir.c_str());
  } else {
    std::filesystem::path dir = store_dir;
    if (dir.empty()) {
      char pattern[] = "/tmp/candor-collection-bench-XXXXXX";
      if (mkdtemp(pattern) == nullptr) {
        std::perror("mkdtemp");
        std::exit(1);
      }
      dir = pattern;
    } else {
      std::filesystem::create_directories(dir);
    }
    built = BuildStore(engine, real, n, dir, rng);
    if (!store_dir.empty()) SaveMeta(built);
  }
  Row row;
  row.faces = n;
  if (!build_only) row = Measure(engine, built, rng);
  if (keep || !store_dir.empty()) {
    std::printf("kept store: %s\n", built.dir.c_str());
  } else {
    std::error_code ec;
    std::filesystem::remove_all(built.dir, ec);
  }
  return row;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> sizes = {"100k"};
  bool keep = false;
  bool build_only = false;
  std::string store_dir;
  std::string cache_path = candor::bench::DefaultEmbeddingCache();
  std::string command_line;
  for (int i = 0; i < argc; ++i) {
    if (i > 0) command_line += ' ';
    command_line += argv[i];
  }
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&](const std::string& name) -> const char* {
      if (arg == name && i + 1 < argc) return argv[++i];
      if (arg.rfind(name + "=", 0) == 0) return argv[i] + name.size() + 1;
      return nullptr;
    };
    if (arg == "--keep") {
      keep = true;
    } else if (arg == "--build-only") {
      build_only = true;
    } else if (const char* v = value("--store")) {
      store_dir = v;
    } else if (const char* v = value("--sizes")) {
      sizes = Split(v);
    } else if (const char* v = value("--cache")) {
      cache_path = v;
    } else {
      std::fprintf(stderr,
                   "unknown argument %s\nusage: collection_bench [--sizes 100k,1M] [--keep] "
                   "[--cache PATH] [--store DIR [--build-only]]\n",
                   argv[i]);
      return 2;
    }
  }

  const auto engine_start = Clock::now();
  auto engine = candor::Engine::Create({.workers = 1});
  if (!engine.ok()) Fail("engine", engine.status());
  const double engine_seconds = Seconds(engine_start, Clock::now());
  // The cache must have been written with this engine's options (it is
  // ignored otherwise, and the check below says so).
  const auto real = candor::bench::SeedVectors(**engine, cache_path);
  if (real.empty()) {
    std::fprintf(stderr, "no face vectors in %s\n", cache_path.c_str());
    return 1;
  }

  const std::string machine = candor::bench::MachineDescription();
  const std::string build = candor::bench::BuildDescription();
  std::printf("command: %s\n", command_line.c_str());
  std::printf("machine: %s; load average %s at start\n", machine.c_str(), LoadAverage().c_str());
  std::printf("build: %s\n", build.c_str());
  std::printf("engine: %s, created in %.2f s (not counted in start-up)\n",
              (*engine)->face_model_version().c_str(), engine_seconds);
  std::printf("seeds: %zu real face vectors from %s; noise sd %.3f per component\n\n",
              real.size(), cache_path.c_str(), kNoiseSd);
  std::fflush(stdout);

  if (!store_dir.empty() && sizes.size() != 1) {
    std::fprintf(stderr, "--store takes one size\n");
    return 2;
  }
  std::mt19937_64 rng(20240611);
  std::vector<Row> rows;
  for (const std::string& size : sizes) {
    const size_t n = ParseSize(size);
    if (n < 2) {
      std::fprintf(stderr, "size %s: need at least 2 faces\n", size.c_str());
      return 2;
    }
    std::fprintf(stderr, "%zu faces...\n", n);
    const auto start = Clock::now();
    rows.push_back(RunSize(engine->get(), real, n, keep, store_dir, build_only, rng));
    if (build_only) continue;
    const Row& r = rows.back();
    std::fprintf(stderr,
                 "%zu faces done in %.0f s: insert %.0f/s, start-up %.2f s (%s), "
                 "p50 %.2f ms, recall@1 %.3f, load average %s\n",
                 n, Seconds(start, Clock::now()), r.insert_per_second, r.startup_seconds,
                 r.approximate ? "sketch" : "exact", r.one_thread.p50_ms, r.recall_at1,
                 LoadAverage().c_str());
  }

  std::printf(
      "SearchFaces by FaceId: %d random stored faces, MaxFaces %d, FaceMatchThreshold %.0f; "
      "2 threads = two client threads at once, each running all %d.\n"
      "Start-up = Collections::Open + first SearchFaces (loads the collection into its index); "
      "RSS = process VmRSS after the load (engine included); RSS/face = what the load added; "
      "index B/face = the index's own estimate.\n"
      "By embedding: %d vectors near real faces (not stored), MaxFaces %d, threshold 0, one "
      "thread; recall against an exact float scan.\n\n",
      kProbes, kMaxFaces, kThreshold, kProbes, kRecallQueries, kRecallK);
  std::printf(
      "| faces | insert faces/s (all / last 10%%) | DB bytes/face | start-up s | index "
      "| RSS MiB | RSS added B/face | index B/face "
      "| 1 thread p50 / p99 ms | 1 thread searches/s | 2 threads p50 / p99 ms "
      "| 2 threads searches/s | mean matches | by embedding p50 / p99 ms | recall@1 | recall@10 |\n");
  std::printf("|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (const Row& r : rows) {
    std::printf("| %s | %s / %s | %.0f | %.2f | %s | %.0f | %.0f | %.0f | %.2f / %.2f | %.1f "
                "| %.2f / %.2f | %.1f | %.2f | %.2f / %.2f | %.3f | %.3f |\n",
                Thousands(static_cast<double>(r.faces)).c_str(),
                Thousands(r.insert_per_second).c_str(), Thousands(r.last_tenth_per_second).c_str(),
                r.db_bytes_per_face, r.startup_seconds, r.approximate ? "sketch" : "exact",
                r.rss_bytes / 1048576.0,
                r.rss_added_per_face, r.index_bytes_per_face, r.one_thread.p50_ms,
                r.one_thread.p99_ms, r.one_thread.per_second, r.two_threads.p50_ms,
                r.two_threads.p99_ms, r.two_threads.per_second, r.one_thread.mean_matches,
                r.by_embedding.p50_ms, r.by_embedding.p99_ms, r.recall_at1, r.recall_at10);
  }
  std::printf("\nload average at end: %s\nmachine: %s\nbuild: %s\ncommand: %s\n", LoadAverage().c_str(), machine.c_str(), build.c_str(),
              command_line.c_str());
  return 0;
}
