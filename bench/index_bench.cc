// Exact vector index: insert rate, memory per face, search latency and
// throughput, the AVX2-vs-portable kernel speed, the size from which a search
// pays for a second thread, and the int8 variant's recall and memory.
//
//   build/bench/index_bench [--sizes 10000,100000,1000000] [--dim 512]
//                           [--identities 4000] [--queries N] [--no-threshold]
//
// Data: face-like clusters rather than uniform noise. `identities` random unit
// "centres" are drawn; every stored vector is normalize(centre + 0.6 * u) with
// u a fresh random unit vector and the centre picked uniformly, so a vector has
// cosine ~0.86 with its centre and ~0.74 with another sample of the same
// identity, and ~0 (sd 1/sqrt(dim)) with other identities, roughly the spread
// of ArcFace-style embeddings. Queries are new samples of random centres,
// like probe photos of enrolled people. Fixed seeds.
//
// 1M vectors of dimension 512 hold 2 GiB per float index; the run keeps the
// data, a 1-thread and a 2-thread index at once: about 6 GiB at 1M. Run it on
// an otherwise idle machine: the load average at start is printed.
#include <malloc.h>
#include <sys/utsname.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "bench_support.h"
#include "index/dot_product.h"
#include "index/exact_index.h"
#include "index/vector_index.h"

namespace {

using candor::bench::Seconds;
using candor::bench::CpuModel;
using candor::bench::LoadAverage;
using candor::bench::Normalize;

using candor::index::CreateExactIndex;
using candor::index::ExactIndexOptions;
using candor::index::KernelIsa;
using candor::index::Neighbor;
using candor::index::VectorIndex;
using Clock = std::chrono::steady_clock;

constexpr float kNoMinScore = -std::numeric_limits<float>::infinity();
constexpr int kK = 10;
// Weight of the per-sample noise around an identity's centre (see the top).
constexpr float kNoiseWeight = 0.6f;

// Bytes the process has taken from malloc (arena in use + mmapped chunks).
size_t MallocInUse() {
  const struct mallinfo2 info = mallinfo2();
  return info.uordblks + info.hblkhd;
}

void RandomUnit(std::mt19937_64& rng, int dim, float* out) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (int i = 0; i < dim; ++i) out[i] = normal(rng);
  Normalize(out, dim);
}

// Face-like clustered unit vectors, row-major.
class ClusteredData {
 public:
  ClusteredData(int dim, int identities, uint64_t seed) : dim_(dim), rng_(seed) {
    centres_.resize(static_cast<size_t>(identities) * dim);
    for (int c = 0; c < identities; ++c)
      RandomUnit(rng_, dim, &centres_[static_cast<size_t>(c) * dim]);
  }

  // One new sample of a random identity; returns the identity.
  size_t Sample(float* out) {
    std::uniform_int_distribution<size_t> pick(0, centres_.size() / dim_ - 1);
    const size_t identity = pick(rng_);
    const float* centre = &centres_[identity * dim_];
    RandomUnit(rng_, dim_, out);
    for (int i = 0; i < dim_; ++i) out[i] = centre[i] + kNoiseWeight * out[i];
    Normalize(out, dim_);
    return identity;
  }

  // n samples, row-major; their identities go to `identities` if given.
  std::vector<float> Samples(size_t n, std::vector<size_t>* identities = nullptr) {
    std::vector<float> rows(n * dim_);
    if (identities) identities->resize(n);
    for (size_t r = 0; r < n; ++r) {
      const size_t identity = Sample(&rows[r * dim_]);
      if (identities) (*identities)[r] = identity;
    }
    return rows;
  }

 private:
  int dim_;
  std::mt19937_64 rng_;
  std::vector<float> centres_;
};

std::vector<float> Row(const std::vector<float>& rows, size_t r, int dim) {
  return std::vector<float>(rows.begin() + r * dim, rows.begin() + (r + 1) * dim);
}

struct Latency {
  double p50_ms = 0, p99_ms = 0, mean_ms = 0;
};

Latency Summarize(std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  Latency l;
  l.p50_ms = ms[ms.size() / 2];
  l.p99_ms = ms[std::min(ms.size() - 1, static_cast<size_t>(std::ceil(ms.size() * 0.99)) - 1)];
  double sum = 0;
  for (double x : ms) sum += x;
  l.mean_ms = sum / ms.size();
  return l;
}

// Searches one query at a time; also returns the results for recall.
Latency TimeSearches(const VectorIndex& index, const std::vector<std::vector<float>>& queries,
                     std::vector<std::vector<Neighbor>>* results = nullptr) {
  for (size_t q = 0; q < std::min<size_t>(3, queries.size()); ++q) {
    (void)index.Search(queries[q], kK, kNoMinScore);  // warm-up
  }
  std::vector<double> ms;
  if (results) results->clear();
  for (const auto& query : queries) {
    const auto t0 = Clock::now();
    auto result = index.Search(query, kK, kNoMinScore);
    ms.push_back(Seconds(t0, Clock::now()) * 1e3);
    if (results) results->push_back(std::move(result));
  }
  return Summarize(std::move(ms));
}

// Queries per second with `clients` threads each searching in a loop.
double Throughput(const VectorIndex& index, const std::vector<std::vector<float>>& queries,
                  int clients) {
  std::atomic<size_t> next{0};
  const auto t0 = Clock::now();
  std::vector<std::thread> pool;
  for (int c = 0; c < clients; ++c) {
    pool.emplace_back([&] {
      for (size_t q = next++; q < queries.size(); q = next++) {
        (void)index.Search(queries[q], kK, kNoMinScore);
      }
    });
  }
  for (auto& t : pool) t.join();
  return queries.size() / Seconds(t0, Clock::now());
}

std::unique_ptr<VectorIndex> Build(const ExactIndexOptions& options, const std::vector<float>& rows,
                                   double* inserts_per_s, double* malloc_bytes) {
  const size_t before = MallocInUse();
  auto index = CreateExactIndex(options);
  const size_t n = rows.size() / options.dimension;
  const auto t0 = Clock::now();
  for (size_t r = 0; r < n; ++r) {
    if (!index->Add(static_cast<int64_t>(r), Row(rows, r, options.dimension)).ok()) std::abort();
  }
  if (inserts_per_s) *inserts_per_s = n / Seconds(t0, Clock::now());
  if (malloc_bytes) *malloc_bytes = static_cast<double>(MallocInUse() - before);
  return index;
}

// Milliseconds for one kernel pass over all rows (a 1-thread search without
// the top-k), best of `repeats`.
double KernelPassMs(const candor::index::DotProductKernels& kernels, const std::vector<float>& rows,
                    const float* query, int dim, int repeats) {
  const size_t n = rows.size() / dim;
  std::vector<float> scores(1024);
  double best = 1e30;
  for (int rep = 0; rep < repeats; ++rep) {
    const auto t0 = Clock::now();
    for (size_t begin = 0; begin < n; begin += 1024) {
      const size_t count = std::min<size_t>(1024, n - begin);
      kernels.score_rows_f32(rows.data() + begin * dim, count, dim, query, scores.data());
    }
    best = std::min(best, Seconds(t0, Clock::now()) * 1e3);
  }
  return best;
}

// Kernel speed with the rows in L2 (compute-bound, unlike a large index).
void KernelsInCache(int dim) {
  constexpr size_t kRows = 64;  // 128 KiB of float rows at dim 512
  constexpr int kPasses = 20000;
  ClusteredData data(dim, 16, 3);
  const std::vector<float> rows = data.Samples(kRows);
  const std::vector<float> query = data.Samples(1);
  std::vector<int8_t> rows8(rows.size()), query8(dim);
  for (size_t i = 0; i < rows.size(); ++i)
    rows8[i] = static_cast<int8_t>(std::lround(rows[i] * 127));
  for (int i = 0; i < dim; ++i) query8[i] = static_cast<int8_t>(std::lround(query[i] * 127));
  const std::vector<float> scales(kRows, 1.0f / 127);
  std::vector<float> scores(kRows);
  std::printf("== kernels, rows in L2 cache (%zu rows x %d, best of 3): ns per row\n", kRows, dim);
  std::printf("%-18s %10s %10s\n", "kernel", "float32", "int8");
  for (KernelIsa isa : {KernelIsa::kPortable, KernelIsa::kAvx2Fma}) {
    if (isa == KernelIsa::kAvx2Fma && !candor::index::CpuSupportsAvx2Fma()) continue;
    const auto& kernels = candor::index::KernelsFor(isa);
    double best_f32 = 1e30, best_i8 = 1e30;
    for (int rep = 0; rep < 3; ++rep) {
      auto t0 = Clock::now();
      for (int p = 0; p < kPasses; ++p) {
        kernels.score_rows_f32(rows.data(), kRows, dim, query.data(), scores.data());
      }
      best_f32 = std::min(best_f32, Seconds(t0, Clock::now()));
      t0 = Clock::now();
      for (int p = 0; p < kPasses; ++p) {
        kernels.score_rows_int8(rows8.data(), scales.data(), kRows, dim, query8.data(), 1.0f / 127,
                                scores.data());
      }
      best_i8 = std::min(best_i8, Seconds(t0, Clock::now()));
    }
    std::printf("%-18s %10.1f %10.1f\n", candor::index::KernelIsaName(isa),
                best_f32 * 1e9 / (kPasses * kRows), best_i8 * 1e9 / (kPasses * kRows));
  }
  std::printf("\n");
}

struct SizeResult {
  size_t n;
  double inserts_per_s;
  double bytes_per_face_reported, bytes_per_face_malloc;
  Latency one_thread, two_threads;
  double qps_one_client, qps_two_clients;
  double avx2_pass_ms, portable_pass_ms;
  double int8_bytes_per_face;
  Latency int8_latency;
  double int8_recall1, int8_recall10;
  // Top-1 is a sample of the query's identity (float and int8): how often an
  // identification would name the right person, on this synthetic data.
  double float_identity1, int8_identity1;
};

std::string Thousands(size_t n) {
  if (n >= 1000000 && n % 1000000 == 0) return std::to_string(n / 1000000) + "M";
  if (n >= 1000 && n % 1000 == 0) return std::to_string(n / 1000) + "k";
  return std::to_string(n);
}

void ParallelThreshold(int dim, int identities) {
  std::printf("== parallel threshold: median search latency (ms, k=%d), 1 thread vs 2 threads\n",
              kK);
  std::printf("   (2 threads forced: parallel_min_rows = 0; the default is %zu rows)\n",
              candor::index::kDefaultParallelMinRows);
  std::printf("%10s %10s %10s %8s\n", "rows", "1 thread", "2 threads", "speedup");
  ClusteredData data(dim, identities, 7);
  std::vector<std::vector<float>> queries;
  for (int q = 0; q < 200; ++q) queries.push_back(data.Samples(1));
  for (size_t n : {1024, 2048, 4096, 8192, 16384, 32768, 65536}) {
    const std::vector<float> rows = data.Samples(n);
    ExactIndexOptions one{.dimension = dim, .threads = 1};
    ExactIndexOptions two{.dimension = dim, .threads = 2, .parallel_min_rows = 0};
    auto index1 = Build(one, rows, nullptr, nullptr);
    auto index2 = Build(two, rows, nullptr, nullptr);
    // Interleave the two so that load from elsewhere hits both alike.
    std::vector<double> ms1, ms2;
    for (int round = 0; round < 3; ++round) {
      ms1.push_back(TimeSearches(*index1, queries).p50_ms);
      ms2.push_back(TimeSearches(*index2, queries).p50_ms);
    }
    const double a = *std::min_element(ms1.begin(), ms1.end());
    const double b = *std::min_element(ms2.begin(), ms2.end());
    std::printf("%10zu %10.3f %10.3f %7.2fx\n", n, a, b, a / b);
  }
  std::printf("\n");
}

SizeResult RunSize(size_t n, int dim, int identities, int num_queries) {
  SizeResult r{};
  r.n = n;
  std::printf("== %zu vectors: generating...\n", n);
  std::fflush(stdout);
  ClusteredData data(dim, identities, 1234);
  std::vector<size_t> row_identity, query_identity;
  const std::vector<float> rows = data.Samples(n, &row_identity);
  std::vector<std::vector<float>> queries;
  for (int q = 0; q < num_queries; ++q) {
    std::vector<size_t> identity;
    queries.push_back(data.Samples(1, &identity));
    query_identity.push_back(identity[0]);
  }

  double malloc_bytes = 0;
  auto index1 = Build({.dimension = dim, .threads = 1}, rows, &r.inserts_per_s, &malloc_bytes);
  r.bytes_per_face_reported = static_cast<double>(index1->memory_bytes()) / n;
  r.bytes_per_face_malloc = malloc_bytes / n;
  std::vector<std::vector<Neighbor>> exact_results;
  r.one_thread = TimeSearches(*index1, queries, &exact_results);
  r.qps_one_client = Throughput(*index1, queries, 1);
  r.qps_two_clients = Throughput(*index1, queries, 2);

  {
    // Searches split across 2 threads from the default threshold on.
    auto index2 = Build({.dimension = dim, .threads = 2}, rows, nullptr, nullptr);
    r.two_threads = TimeSearches(*index2, queries);
  }

  const int repeats = n >= 1000000 ? 3 : 10;
  if (candor::index::CpuSupportsAvx2Fma()) {
    r.avx2_pass_ms = KernelPassMs(candor::index::KernelsFor(KernelIsa::kAvx2Fma), rows,
                                  queries[0].data(), dim, repeats);
  }
  r.portable_pass_ms = KernelPassMs(candor::index::KernelsFor(KernelIsa::kPortable), rows,
                                    queries[0].data(), dim, repeats);
  index1.reset();

  auto int8 =
      Build({.dimension = dim, .threads = 1, .encoding = candor::index::VectorEncoding::kInt8},
            rows, nullptr, nullptr);
  r.int8_bytes_per_face = static_cast<double>(int8->memory_bytes()) / n;
  std::vector<std::vector<Neighbor>> int8_results;
  r.int8_latency = TimeSearches(*int8, queries, &int8_results);
  size_t hits1 = 0, hits10 = 0, float_identity = 0, int8_identity = 0;
  for (size_t q = 0; q < queries.size(); ++q) {
    const auto& want = exact_results[q];
    const auto& got = int8_results[q];
    hits1 += !want.empty() && !got.empty() && want[0].label == got[0].label;
    float_identity += !want.empty() && row_identity[want[0].label] == query_identity[q];
    int8_identity += !got.empty() && row_identity[got[0].label] == query_identity[q];
    for (const Neighbor& g : got) {
      for (const Neighbor& w : want) hits10 += g.label == w.label;
    }
  }
  r.int8_recall1 = static_cast<double>(hits1) / queries.size();
  r.int8_recall10 = static_cast<double>(hits10) / (queries.size() * kK);
  r.float_identity1 = static_cast<double>(float_identity) / queries.size();
  r.int8_identity1 = static_cast<double>(int8_identity) / queries.size();

  std::printf(
      "   insert %.0f/s; %.0f B/face (memory_bytes) %.0f B/face (malloc); search 1T p50 %.3f ms "
      "p99 %.3f ms; 2T p50 %.3f ms p99 %.3f ms; qps 1 client %.1f, 2 clients %.1f\n"
      "   kernel pass AVX2 %.3f ms, portable %.3f ms; int8 %.0f B/face p50 %.3f ms p99 %.3f ms "
      "recall@1 %.4f recall@10 %.4f; top-1 right identity: float %.4f int8 %.4f\n\n",
      r.inserts_per_s, r.bytes_per_face_reported, r.bytes_per_face_malloc, r.one_thread.p50_ms,
      r.one_thread.p99_ms, r.two_threads.p50_ms, r.two_threads.p99_ms, r.qps_one_client,
      r.qps_two_clients, r.avx2_pass_ms, r.portable_pass_ms, r.int8_bytes_per_face,
      r.int8_latency.p50_ms, r.int8_latency.p99_ms, r.int8_recall1, r.int8_recall10,
      r.float_identity1, r.int8_identity1);
  std::fflush(stdout);
  return r;
}

std::vector<size_t> ParseSizes(const char* text) {
  std::vector<size_t> sizes;
  for (const char* p = text; *p;) {
    char* end = nullptr;
    const unsigned long long v = std::strtoull(p, &end, 10);
    if (end == p) break;
    size_t n = v;
    if (*end == 'k' || *end == 'K') n *= 1000, ++end;
    if (*end == 'm' || *end == 'M') n *= 1000000, ++end;
    if (n > 0) sizes.push_back(n);
    p = *end == ',' ? end + 1 : end;
  }
  return sizes;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<size_t> sizes = {10000, 100000, 1000000};
  int dim = 512, identities = 4000, queries = 0;
  bool threshold = true;
  for (int i = 1; i < argc; ++i) {
    const bool has_value = i + 1 < argc;
    if (!std::strcmp(argv[i], "--sizes") && has_value) {
      sizes = ParseSizes(argv[++i]);
    } else if (!std::strcmp(argv[i], "--dim") && has_value) {
      dim = std::atoi(argv[++i]);
    } else if (!std::strcmp(argv[i], "--identities") && has_value) {
      identities = std::atoi(argv[++i]);
    } else if (!std::strcmp(argv[i], "--queries") && has_value) {
      queries = std::atoi(argv[++i]);
    } else if (!std::strcmp(argv[i], "--no-threshold")) {
      threshold = false;
    } else {
      std::fprintf(stderr,
                   "usage: %s [--sizes 10k,100k,1M] [--dim 512] [--identities 4000] "
                   "[--queries N] [--no-threshold]\n",
                   argv[0]);
      return 2;
    }
  }
  if (dim < 1 || identities < 1 || sizes.empty()) {
    std::fprintf(stderr, "bad arguments\n");
    return 2;
  }

  utsname u;
  uname(&u);
  std::printf("machine: %s, %u hardware threads, %s %s, load average %s at start\n",
              CpuModel().c_str(), std::thread::hardware_concurrency(), u.sysname, u.release,
              LoadAverage().c_str());
  std::printf("build: %s, %s, %s; kernels chosen at run time: %s\n", __VERSION__,
#ifdef __OPTIMIZE__
              "optimised",
#else
              "not optimised",
#endif
#ifdef __AVX2__
              "compiled with -mavx2 (not the shipped baseline)",
#else
              "baseline x86-64 ISA (no -march)",
#endif
              candor::index::KernelIsaName(candor::index::BestKernels().isa));
  std::printf(
      "data: dim %d, %d identities, vector = normalize(centre + %.1f * unit noise); k = %d\n\n",
      dim, identities, kNoiseWeight, kK);

  KernelsInCache(dim);
  if (threshold) ParallelThreshold(dim, identities);

  std::vector<SizeResult> results;
  for (size_t n : sizes) {
    const int q = queries > 0 ? queries : n <= 10000 ? 2000 : n <= 100000 ? 500 : 60;
    results.push_back(RunSize(n, dim, identities, q));
  }

  std::printf("== table (float32 exact index; latency = one search, k=%d)\n\n", kK);
  std::printf(
      "| faces | insert/s | bytes/face | p50 1T (ms) | p99 1T (ms) | p50 2T (ms) | p99 2T (ms) "
      "| q/s 1 client | q/s 2 clients | scan AVX2 (ms) | scan portable (ms) |\n");
  std::printf("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (const SizeResult& r : results) {
    std::printf("| %s | %.0f | %.0f | %.3f | %.3f | %.3f | %.3f | %.0f | %.0f | %.3f | %.3f |\n",
                Thousands(r.n).c_str(), r.inserts_per_s, r.bytes_per_face_reported,
                r.one_thread.p50_ms, r.one_thread.p99_ms, r.two_threads.p50_ms,
                r.two_threads.p99_ms, r.qps_one_client, r.qps_two_clients, r.avx2_pass_ms,
                r.portable_pass_ms);
  }
  std::printf("\n== table (int8 exact index vs float32, 1 thread)\n\n");
  std::printf(
      "| faces | bytes/face int8 | bytes/face float | p50 int8 (ms) | p99 int8 (ms) "
      "| recall@1 | recall@10 | right identity@1 float | right identity@1 int8 |\n");
  std::printf("|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (const SizeResult& r : results) {
    std::printf("| %s | %.0f | %.0f | %.3f | %.3f | %.4f | %.4f | %.4f | %.4f |\n",
                Thousands(r.n).c_str(), r.int8_bytes_per_face, r.bytes_per_face_reported,
                r.int8_latency.p50_ms, r.int8_latency.p99_ms, r.int8_recall1, r.int8_recall10,
                r.float_identity1, r.int8_identity1);
  }
  std::printf(
      "\nbytes/face = memory_bytes() / faces (the malloc-measured figure is in the log above). "
      "1T: index with threads = 1; 2T: threads = 2, searches split from %zu rows on. q/s N "
      "clients: N threads searching the 1T index at once. scan = one pass of the dot-product "
      "kernel over all rows on 1 thread, without the top-k. recall@k: overlap of the int8 "
      "top-k with the float top-k; right identity@1: the top-1 is a sample of the query's "
      "identity.\n",
      candor::index::kDefaultParallelMinRows);
  return 0;
}
