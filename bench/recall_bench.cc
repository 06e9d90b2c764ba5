// Recall and speed of the HNSW index (faiss_index.h) against exact search
// (exact_index.h), on real face embeddings and on larger sets drawn near them.
//
// Data: every LFW and UTKFace image of the shared data folder is embedded by
// the engine (cached in build/cache/recall.emb, keyed by image SHA-256, so only
// the first run pays ~4 CPU-minutes). Images with a face are shuffled (fixed
// seed); 500 are held out as queries, the rest are the base set. Sizes above
// the real base are filled with synthetic vectors: a random real base vector
// plus Gaussian noise of sd kNoiseSd per component, renormalised. With 512
// components the noise has norm ~ kNoiseSd * sqrt(512) = 1.02, so a synthetic
// vector has cosine ~0.70 with its source: about the similarity of two photos
// of one person under this model, so every real face gets a cloud of
// "other photos" around it and the neighbour structure stays face-like
// (random unit vectors would have no structure at all and make every index
// look worse than on faces).
//
// For each size it reports, for exact and for HNSW: build rate (Add calls per
// second, one vector per call, as collections load), memory per face
// (memory_bytes / size), p50/p99 latency of k=10 searches of the held-out
// queries on one thread, and recall@1 / recall@10 against the exact index.
// HNSW is measured at several ef_search values on the same graph.
//
// Measured (bench run under nice 10 on a 2-core AMD EPYC VM shared with other
// work, load average 1.4-3.6; GCC 12 -O2; Debian FAISS 1.7.3, built for the
// x86-64 baseline, so its distance kernels are SSE while exact_index uses
// AVX2+FMA; M=32, efConstruction=128; k=10; exact search uses 2 threads from
// 16k rows). adds/s is one vector per Add, as collections load; B/face is
// memory_bytes / size (HNSW's float storage grows by doubling, hence the
// spread); recall against exact over 500 held-out real queries:
//
//      size  index        adds/s  B/face  p50 us  p99 us    R@1    R@10
//    13,077  exact          961k    2140     781    1064  1        1
//    13,077  hnsw ef=64      909    3130    1336    1908  0.994    0.986
//    13,077  hnsw ef=128     715    3130    2448    3193  1.000    0.998
//    20,000  exact          655k    2151    1731    4074  1        1
//    20,000  hnsw ef=128     764    3883    2524    2976  0.998    0.997
//    30,000  exact          604k    2149    2286    3570  1        1
//    30,000  hnsw ef=64      625    2666    1524    1828  0.992    0.977
//    30,000  hnsw ef=128     625    2666    2753    3487  0.998    0.995
//    30,000  exact (rerun)  818k    2149    1739    2211  1        1
//    30,000  hnsw ef=128     760    2614    3325    4578  0.996    0.996
//   100,000  exact          636k    2112   10639   16034  1        1
//   100,000  hnsw ef=64      503    3125    1708    2208  0.984    0.968
//   100,000  hnsw ef=96      503    3125    2377    4908  0.986    0.985
//   100,000  hnsw ef=128     503    3125    3019    3917  0.992    0.992
//   100,000  hnsw ef=192     503    3125    4134    8204  1.000    0.998
//
// Rebuild after removing 11% (one Remove call builds the new graph): 8.7 s
// at 10k, 12.6 s at 13k, 40 s at 30k, 320 s at 100k. 1M was not run: at
// < 500 adds/s the build alone would take over 30 minutes on this machine.
//
// Usage: recall_bench [--sizes=2000,5000,10000,all,100000] [--ef=16,32,64,128]
//                     [--ef-construction=128] [--m=32] [--data=DIR]
// "all" is every real base vector.
#include <malloc.h>
#include <sys/utsname.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench_support.h"
#include "candor/engine.h"
#include "eval/lfw.h"
#include "index/exact_index.h"
#include "index/faiss_index.h"

namespace {

using candor::bench::Seconds;
using candor::bench::FirstLine;
using candor::bench::LoadAverage;
using candor::bench::Split;
using candor::bench::Normalize;

using candor::index::Neighbor;
using candor::index::VectorIndex;
using Clock = std::chrono::steady_clock;

constexpr int kQueries = 500;
constexpr int kK = 10;
constexpr float kNoiseSd = 0.045f;
constexpr float kNoMinScore = -std::numeric_limits<float>::infinity();

struct Latency {
  double p50_us = 0;
  double p99_us = 0;
};

Latency Percentiles(std::vector<double> us) {
  std::sort(us.begin(), us.end());
  auto at = [&](double q) {
    return us[std::min(us.size() - 1, static_cast<size_t>(q * us.size()))];
  };
  return {at(0.50), at(0.99)};
}

// Searches every query; returns the results and the per-query latency.
std::vector<std::vector<Neighbor>> RunQueries(const VectorIndex& index,
                                              const std::vector<std::vector<float>>& queries,
                                              Latency* latency) {
  std::vector<std::vector<Neighbor>> results;
  std::vector<double> us;
  for (const auto& q : queries) {
    const auto start = Clock::now();
    results.push_back(index.Search(q, kK, kNoMinScore));
    us.push_back(Seconds(start, Clock::now()) * 1e6);
  }
  *latency = Percentiles(us);
  return results;
}

struct Recall {
  double at1 = 0;
  double at10 = 0;
};

Recall Compare(const std::vector<std::vector<Neighbor>>& truth,
               const std::vector<std::vector<Neighbor>>& got) {
  Recall r;
  for (size_t q = 0; q < truth.size(); ++q) {
    if (!got[q].empty() && got[q][0].label == truth[q][0].label) r.at1 += 1;
    std::set<int64_t> want;
    for (const Neighbor& n : truth[q]) want.insert(n.label);
    int hit = 0;
    for (const Neighbor& n : got[q]) hit += want.count(n.label);
    r.at10 += static_cast<double>(hit) / truth[q].size();
  }
  r.at1 /= truth.size();
  r.at10 /= truth.size();
  return r;
}

// Adds vectors [0, n) one call each; returns seconds.
double Build(VectorIndex& index, const std::vector<std::vector<float>>& base, size_t n) {
  const auto start = Clock::now();
  for (size_t i = 0; i < n; ++i) {
    if (!index.Add(static_cast<int64_t>(i), base[i]).ok()) {
      std::fprintf(stderr, "Add failed\n");
      std::exit(1);
    }
  }
  return Seconds(start, Clock::now());
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> sizes = {"2000", "5000", "10000", "all", "100000"};
  std::vector<int> efs = {16, 32, 64, 128};
  candor::index::HnswIndexOptions hnsw_options;
  std::string data_dir = CANDOR_DEFAULT_DATA_DIR;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&](const char* name) -> const char* {
      const size_t n = std::strlen(name);
      return arg.compare(0, n, name) == 0 ? arg.c_str() + n : nullptr;
    };
    if (const char* v = value("--sizes=")) {
      sizes = Split(v);
    } else if (const char* v = value("--ef=")) {
      efs.clear();
      for (const auto& e : Split(v)) efs.push_back(std::stoi(e));
    } else if (const char* v = value("--ef-construction=")) {
      hnsw_options.ef_construction = std::stoi(v);
    } else if (const char* v = value("--m=")) {
      hnsw_options.m = std::stoi(v);
    } else if (const char* v = value("--data=")) {
      data_dir = v;
    } else {
      std::fprintf(stderr, "unknown argument %s\n", argv[i]);
      return 2;
    }
  }

  utsname u;
  uname(&u);
  std::printf("machine: %s, %u hardware threads, %s %s, load average %s at start\n",
              FirstLine("/proc/cpuinfo", "model name").c_str(), std::thread::hardware_concurrency(),
              u.sysname, u.release, LoadAverage().c_str());
  std::printf("build: %s, %s; HNSW M=%d efConstruction=%d; noise sd %.3f\n", __VERSION__,
#ifdef __OPTIMIZE__
              "optimised",
#else
              "not optimised",
#endif
              hnsw_options.m, hnsw_options.ef_construction, kNoiseSd);

  // Real embeddings.
  auto engine = candor::Engine::Create({.calibration_path = "none"});
  if (!engine.ok()) {
    std::fprintf(stderr, "engine: %s\n", engine.status().ToString().c_str());
    return 1;
  }
  auto lfw = candor::eval::ListLfwImages(data_dir + "/lfw", nullptr);
  if (!lfw.ok()) {
    std::fprintf(stderr, "%s\n", lfw.status().ToString().c_str());
    return 1;
  }
  std::vector<std::string> paths = *lfw;
  std::vector<std::string> utk;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(data_dir + "/utkface/images", ec)) {
    if (e.path().extension() == ".jpg") utk.push_back(e.path().string());
  }
  std::sort(utk.begin(), utk.end());
  paths.insert(paths.end(), utk.begin(), utk.end());
  const auto embed_start = Clock::now();
  auto embedded = candor::eval::EmbedImages(
      **engine, paths, {.cache_path = std::string(CANDOR_SOURCE_DIR) + "/build/cache/recall.emb"});
  if (!embedded.ok()) {
    std::fprintf(stderr, "embedding: %s\n", embedded.status().ToString().c_str());
    return 1;
  }
  std::vector<std::vector<float>> real;
  for (auto& e : *embedded) {
    if (e.has_face) real.push_back(std::move(e.embedding));
  }
  std::mt19937_64 rng(20240611);
  std::shuffle(real.begin(), real.end(), rng);
  std::vector<std::vector<float>> queries(real.end() - kQueries, real.end());
  real.resize(real.size() - kQueries);
  std::printf("real embeddings: %zu images, %zu base + %d queries (%.0f s to embed or load)\n\n",
              paths.size(), real.size(), kQueries, Seconds(embed_start, Clock::now()));

  std::printf("%8s %-12s %10s %9s %9s %9s %8s %8s\n", "size", "index", "adds/s", "B/face", "p50 us",
              "p99 us", "R@1", "R@10");
  for (const std::string& size_arg : sizes) {
    const size_t n = size_arg == "all" ? real.size() : std::stoul(size_arg);
    std::vector<std::vector<float>> base(real.begin(), real.begin() + std::min(n, real.size()));
    std::normal_distribution<float> noise(0.0f, kNoiseSd);
    std::uniform_int_distribution<size_t> pick(0, real.size() - 1);
    while (base.size() < n) {
      std::vector<float> v = real[pick(rng)];
      for (float& x : v) x += noise(rng);
      Normalize(v);
      base.push_back(std::move(v));
    }

    auto exact = candor::index::CreateExactIndex(512);
    const double exact_build = Build(*exact, base, n);
    Latency exact_latency;
    const auto truth = RunQueries(*exact, queries, &exact_latency);
    std::printf("%8zu %-12s %10.0f %9.0f %9.0f %9.0f %8.4f %8.4f\n", n, "exact", n / exact_build,
                static_cast<double>(exact->memory_bytes()) / n, exact_latency.p50_us,
                exact_latency.p99_us, 1.0, 1.0);
    std::fflush(stdout);
    exact.reset();

    auto hnsw = candor::index::CreateHnswIndex(hnsw_options);
    const double hnsw_build = Build(*hnsw, base, n);
    for (int ef : efs) {
      hnsw->SetEfSearch(ef);
      Latency latency;
      const auto got = RunQueries(*hnsw, queries, &latency);
      const Recall recall = Compare(truth, got);
      const std::string name = "hnsw ef=" + std::to_string(ef);
      std::printf("%8zu %-12s %10.0f %9.0f %9.0f %9.0f %8.4f %8.4f\n", n, name.c_str(),
                  n / hnsw_build, static_cast<double>(hnsw->memory_bytes()) / n, latency.p50_us,
                  latency.p99_us, recall.at1, recall.at10);
      std::fflush(stdout);
    }

    // Remove 11% (crosses the 10% rebuild line once) and time it.
    if (n >= 10000) {
      const auto start = Clock::now();
      double slowest = 0;
      for (size_t i = 0; i < n / 9; ++i) {
        const auto one = Clock::now();
        if (!hnsw->Remove(static_cast<int64_t>(i * 9)).ok()) return 1;
        slowest = std::max(slowest, Seconds(one, Clock::now()));
      }
      std::printf("%8zu %-12s removed %zu in %.1f s; slowest Remove (the rebuild) %.1f s\n", n,
                  "hnsw", n / 9, Seconds(start, Clock::now()), slowest);
    }
  }
  return 0;
}
