// Small helpers the benchmark programs share: timing, machine description,
// size and list arguments, vector normalisation, process memory, and the
// synthetic collections of collection_bench and server_bench.
#ifndef CANDOR_BENCH_BENCH_SUPPORT_H_
#define CANDOR_BENCH_BENCH_SUPPORT_H_

#include <sys/utsname.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "candor/engine.h"
#include "candor/status.h"
#include "collections/validation.h"
#include "eval/embedding_cache.h"
#include "store/store.h"

namespace candor::bench {

using Clock = std::chrono::steady_clock;

inline double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// The value of the first "prefix...: value" line of a /proc file.
inline std::string FirstLine(const std::string& path, const std::string& prefix) {
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(prefix, 0) == 0) return line.substr(line.find(':') + 2);
  }
  return "unknown";
}

inline std::string CpuModel() { return FirstLine("/proc/cpuinfo", "model name"); }

// The one-minute load average, to judge how quiet the machine was.
inline std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string one;
  in >> one;
  return one;
}

// "a,b,c" -> {"a", "b", "c"}.
inline std::vector<std::string> Split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, ',');) out.push_back(item);
  return out;
}

// "100k" -> 100000, "1M" -> 1000000, "2500" -> 2500.
inline size_t ParseSize(const std::string& s) {
  size_t used = 0;
  const double value = std::stod(s, &used);
  double scale = 1;
  if (used < s.size()) {
    const char unit = s[used];
    if (unit == 'k' || unit == 'K') scale = 1e3;
    if (unit == 'm' || unit == 'M') scale = 1e6;
  }
  return static_cast<size_t>(value * scale);
}

inline void Normalize(float* v, int dim) {
  double norm2 = 0;
  for (int i = 0; i < dim; ++i) norm2 += double{v[i]} * v[i];
  const float inverse = static_cast<float>(1.0 / std::sqrt(norm2));
  for (int i = 0; i < dim; ++i) v[i] *= inverse;
}

inline void Normalize(std::vector<float>& v) { Normalize(v.data(), static_cast<int>(v.size())); }

// VmRSS of this process, bytes.
inline int64_t RssBytes() {
  const std::string kb = FirstLine("/proc/self/status", "VmRSS");
  return std::atoll(kb.c_str()) * 1024;
}

// 1234567.8 -> "1,234,568".
inline std::string Thousands(double value) {
  std::string digits = std::to_string(static_cast<long long>(std::llround(value)));
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && digits[i - 1] != '-' && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

// "CPU model, N hardware threads, Linux <release>".
inline std::string MachineDescription() {
  utsname u;
  uname(&u);
  return CpuModel() + ", " + std::to_string(std::thread::hardware_concurrency()) +
         " hardware threads, " + u.sysname + " " + u.release;
}

// The compiler and the flags that matter for timings, as seen by the file
// that calls this.
inline std::string BuildDescription() {
  return std::string("GCC ") + __VERSION__ +
#ifdef __OPTIMIZE__
         ", optimised"
#else
         ", not optimised"
#endif
#ifdef NDEBUG
         ", NDEBUG"
#endif
#ifdef __AVX2__
         ", AVX2 in this file"
#endif
      ;
}

// ---------------------------------------------------------------------------
// Synthetic collections at scale.
//
// The real embeddings of the LFW embedding cache (build/cache/lfw.emb, format
// in src/eval/embedding_cache.h; about 7,700 faces) are the seeds. Every
// stored face is synthetic: a random seed vector plus Gaussian noise of sd
// kNoiseSd per component, renormalised, as in recall_bench.cc (cosine ~0.70
// with its seed, about two photos of one person under this model), so each
// real face has a cloud of "other photos" and the neighbour structure stays
// face-like.

constexpr int kDimension = 512;
constexpr float kNoiseSd = 0.045f;  // as recall_bench.cc
constexpr int kInsertBatch = 1000;  // faces per InsertFaces (one transaction)

inline std::string DefaultEmbeddingCache() {
  return std::string(CANDOR_SOURCE_DIR) + "/build/cache/lfw.emb";
}

// The face vectors of the cache at `path`, which must have been written with
// `engine`'s options (it is ignored otherwise: the result is then empty).
inline std::vector<std::vector<float>> SeedVectors(const Engine& engine, const std::string& path) {
  return eval::EmbeddingCache(path, engine.embedding_fingerprint(), kDimension).FaceVectors();
}

struct InsertTiming {
  double seconds = 0;                // InsertFaces only, not vector generation
  double per_second = 0;             // over all faces
  double last_tenth_per_second = 0;  // over the last 10%: the rate at size n
};

// Creates `collection_id` in `store` for `face_model_version` and inserts `n`
// synthetic faces in batches of kInsertBatch, four faces per image as
// IndexFaces would write them. `on_face(position, record)`, when given, sees
// every face (position 0..n-1) before it is inserted. Reports progress on
// stderr every 30 s.
inline StatusOr<InsertTiming> BuildSyntheticCollection(
    store::Store& store, const std::string& collection_id, const std::string& face_model_version,
    const std::vector<std::vector<float>>& seeds, size_t n, std::mt19937_64& rng,
    const std::function<void(size_t, const store::FaceRecord&)>& on_face = {}) {
  if (seeds.empty()) return Status::InvalidArgument("no seed vectors");
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  CANDOR_RETURN_IF_ERROR(store.CreateCollection({.collection_id = collection_id,
                                                 .face_model_version = face_model_version,
                                                 .created_ms = now_ms}));
  std::normal_distribution<float> noise(0.0f, kNoiseSd);
  std::uniform_int_distribution<size_t> pick(0, seeds.size() - 1);
  std::uniform_real_distribution<float> unit(0.0f, 1.0f);
  std::vector<store::FaceRecord> batch;
  InsertTiming timing;
  double last_tenth_seconds = 0;
  size_t last_tenth_faces = 0;
  auto last_report = Clock::now();
  for (size_t done = 0; done < n;) {
    const size_t count = std::min<size_t>(kInsertBatch, n - done);
    batch.clear();
    std::string image_id;
    for (size_t i = 0; i < count; ++i) {
      if (i % 4 == 0) image_id = NewUuid();
      store::FaceRecord r;
      r.face_id = NewUuid();
      r.image_id = image_id;
      r.external_image_id = "img-" + std::to_string((done + i) / 4) + ".jpg";
      const float size = 0.2f + 0.3f * unit(rng);
      r.box = {.left = unit(rng) * (1 - size),
               .top = unit(rng) * (1 - size),
               .width = size,
               .height = size};
      r.confidence = 99.0f + unit(rng);
      r.face_model_version = face_model_version;
      r.indexed_ms = now_ms + static_cast<int64_t>(done + i);
      r.embedding = seeds[pick(rng)];
      for (float& x : r.embedding) x += noise(rng);
      Normalize(r.embedding);
      if (on_face) on_face(done + i, r);
      batch.push_back(std::move(r));
    }
    const auto start = Clock::now();
    CANDOR_RETURN_IF_ERROR(store.InsertFaces(collection_id, &batch));
    const double batch_seconds = Seconds(start, Clock::now());
    timing.seconds += batch_seconds;
    if (done >= n - n / 10) {
      last_tenth_seconds += batch_seconds;
      last_tenth_faces += count;
    }
    done += count;
    if (Seconds(last_report, Clock::now()) > 30) {
      std::fprintf(stderr, "  %zu/%zu faces inserted, %.0f faces/s\n", done, n,
                   done / timing.seconds);
      last_report = Clock::now();
    }
  }
  timing.per_second = n / timing.seconds;
  timing.last_tenth_per_second =
      last_tenth_seconds > 0 ? last_tenth_faces / last_tenth_seconds : timing.per_second;
  return timing;
}

}  // namespace candor::bench

#endif  // CANDOR_BENCH_BENCH_SUPPORT_H_
