// The sketch index (src/index/sketch_index.h) alone, at sizes a collection
// benchmark cannot build quickly: recall against exact float search, search
// latency and memory, for several candidate counts.
//
// Data: as collection_bench (bench_support.h): every stored vector is a real
// LFW face embedding plus Gaussian noise (sd kNoiseSd per component),
// renormalised; each row is generated from its own seed, so it can be
// generated again instead of kept as floats (10M floats would be 20 GB).
// kQueries queries are drawn the same way and never stored. The exact top
// kRecallK of every query is computed while the rows are generated (float
// dot products).
//
// For each candidate count: SketchIndex::Search(query, kRecallK +
// kRescoreExtra) and then, as Collections do, the returned rows rescored
// with their float vectors (generated again) and cut to kRecallK; recall@1
// and recall@10 against the exact answer, and the latency of the index
// search (not of the float rescoring, which Collections do from the store).
//
// Usage: sketch_bench [--sizes 1M,10M] [--candidates 256,1024,4096,16384]
//                     [--threads N] [--cache PATH]
#include <algorithm>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "bench_support.h"
#include "index/dot_product.h"
#include "index/sketch_index.h"
#include "index/top_k.h"

namespace {

using candor::bench::Clock;
using candor::bench::kDimension;
using candor::bench::kNoiseSd;
using candor::bench::Seconds;

constexpr int kQueries = 200;
constexpr int kRecallK = 10;
constexpr int kRescoreExtra = 16;  // as src/collections/collections.cc

// Row `r`: a seed chosen and perturbed by an RNG seeded with r alone.
void Generate(const std::vector<std::vector<float>>& seeds, uint64_t r, std::vector<float>& v) {
  std::mt19937_64 rng(r * 0x9E3779B97F4A7C15ull + 1);
  std::uniform_int_distribution<size_t> pick(0, seeds.size() - 1);
  std::normal_distribution<float> noise(0.0f, kNoiseSd);
  const std::vector<float>& seed = seeds[pick(rng)];
  v.resize(kDimension);
  for (int i = 0; i < kDimension; ++i) v[i] = seed[i] + noise(rng);
  candor::bench::Normalize(v);
}

struct Result {
  size_t candidates = 0;
  double at1 = 0, at10 = 0, p50_ms = 0, p99_ms = 0;
};

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> sizes = {"1M"};
  std::vector<std::string> candidate_counts = {"256", "1024", "4096", "16384"};
  int threads = 0;
  std::string cache_path = candor::bench::DefaultEmbeddingCache();
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--sizes" && i + 1 < argc) {
      sizes = candor::bench::Split(argv[++i]);
    } else if (arg == "--candidates" && i + 1 < argc) {
      candidate_counts = candor::bench::Split(argv[++i]);
    } else if (arg == "--threads" && i + 1 < argc) {
      threads = std::atoi(argv[++i]);
    } else if (arg == "--cache" && i + 1 < argc) {
      cache_path = argv[++i];
    } else {
      std::fprintf(stderr,
                   "usage: sketch_bench [--sizes 1M,10M] [--candidates 256,1024,4096] "
                   "[--threads N] [--cache PATH]\n");
      return 2;
    }
  }
  auto engine = candor::Engine::Create({.calibration_path = "none"});
  if (!engine.ok()) {
    std::fprintf(stderr, "engine: %s\n", engine.status().ToString().c_str());
    return 1;
  }
  const auto seeds = candor::bench::SeedVectors(**engine, cache_path);
  if (seeds.empty()) {
    std::fprintf(stderr, "no face vectors in %s (run the tests first)\n", cache_path.c_str());
    return 1;
  }
  const candor::index::DotProductKernels& kernels = candor::index::BestKernels();
  std::printf("machine: %s; load average %s\nbuild: %s\n",
              candor::bench::MachineDescription().c_str(), candor::bench::LoadAverage().c_str(),
              candor::bench::BuildDescription().c_str());
  std::printf("sketch kernel: %s; int8 kernels: %s; %zu seeds, noise sd %.3f\n\n",
              candor::index::SketchKernelName(candor::index::BestSketchKernel(kDimension)),
              candor::index::KernelIsaName(kernels.isa), seeds.size(), kNoiseSd);
  std::printf("| faces | candidates | recall@1 | recall@10 | search p50 / p99 ms | index B/face |\n");
  std::printf("|---:|---:|---:|---:|---:|---:|\n");
  std::fflush(stdout);

  for (const std::string& size : sizes) {
    const size_t n = candor::bench::ParseSize(size);
    auto index = candor::index::SketchIndex::Create({.dimension = kDimension, .threads = threads});
    // Queries use row numbers beyond n: never stored.
    std::vector<std::vector<float>> queries(kQueries);
    std::vector<float> query_rows;
    for (int q = 0; q < kQueries; ++q) {
      Generate(seeds, n + 1000000000ull + q, queries[q]);
      query_rows.insert(query_rows.end(), queries[q].begin(), queries[q].end());
    }
    std::vector<candor::index::TopK> truth(kQueries, candor::index::TopK(kRecallK));
    std::vector<float> v, scores(kQueries);
    const auto start = Clock::now();
    for (size_t r = 0; r < n; ++r) {
      Generate(seeds, r, v);
      kernels.score_rows_f32(query_rows.data(), kQueries, kDimension, v.data(), scores.data());
      for (int q = 0; q < kQueries; ++q) truth[q].Push(scores[q], static_cast<int64_t>(r));
      if (!index->Add(static_cast<int64_t>(r), v).ok()) return 1;
    }
    std::fprintf(stderr, "%zu rows generated and added in %.0f s\n", n,
                 Seconds(start, Clock::now()));
    std::vector<std::vector<int64_t>> exact;
    for (auto& t : truth) {
      std::vector<int64_t> labels;
      for (const auto& nb : t.TakeSorted()) labels.push_back(nb.label);
      exact.push_back(std::move(labels));
    }
    const double bytes_per_face = static_cast<double>(index->memory_bytes()) / n;
    for (const std::string& c : candidate_counts) {
      Result res;
      res.candidates = candor::bench::ParseSize(c);
      index->SetCandidates(res.candidates);
      std::vector<double> ms;
      for (int q = 0; q < kQueries; ++q) {
        const auto one = Clock::now();
        auto found = index->Search(queries[q], kRecallK + kRescoreExtra, -1.0f);
        ms.push_back(Seconds(one, Clock::now()) * 1e3);
        candor::index::TopK rescored(kRecallK);
        for (const auto& nb : found) {
          Generate(seeds, static_cast<uint64_t>(nb.label), v);
          float s = 0;
          kernels.score_rows_f32(v.data(), 1, kDimension, queries[q].data(), &s);
          rescored.Push(s, nb.label);
        }
        const auto got = rescored.TakeSorted();
        if (!got.empty() && got[0].label == exact[q][0]) res.at1 += 1.0 / kQueries;
        for (const auto& g : got) {
          if (std::find(exact[q].begin(), exact[q].end(), g.label) != exact[q].end()) {
            res.at10 += 1.0 / (kQueries * kRecallK);
          }
        }
      }
      std::sort(ms.begin(), ms.end());
      res.p50_ms = ms[ms.size() / 2];
      res.p99_ms = ms[std::min(ms.size() - 1, ms.size() * 99 / 100)];
      std::printf("| %s | %s | %.3f | %.3f | %.2f / %.2f | %.0f |\n",
                  candor::bench::Thousands(static_cast<double>(n)).c_str(),
                  candor::bench::Thousands(static_cast<double>(res.candidates)).c_str(), res.at1,
                  res.at10, res.p50_ms, res.p99_ms, bytes_per_face);
      std::fflush(stdout);
    }
  }
  std::printf("\nload average at end: %s\n", candor::bench::LoadAverage().c_str());
  return 0;
}
