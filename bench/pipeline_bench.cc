// Per-stage latency of the engine on LFW images, end-to-end throughput with
// every core, and peak memory.
//
//   build/bench/pipeline_bench [--images N] [--data DIR]
//
// Stages are timed one image at a time on one thread (OpenCV limited to one
// thread too), so they add up to what one worker spends on an image; the
// throughput run then uses one worker per core through the public Engine.
#include <sys/resource.h>
#include <sys/utsname.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <sstream>
#include <thread>

#include "bench_support.h"
#include "candor/engine.h"
#include "core/parallel.h"
#include "engine/pipeline.h"
#include "eval/lfw.h"

namespace {

using candor::bench::CpuModel;

using Clock = std::chrono::steady_clock;

double Ms(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

std::string Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Stats {
  std::vector<double> samples;
  void Add(double ms) { samples.push_back(ms); }
  double Mean() const {
    double s = 0;
    for (double x : samples) s += x;
    return samples.empty() ? 0 : s / samples.size();
  }
  double Median() const {
    if (samples.empty()) return 0;
    std::vector<double> v = samples;
    std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
    return v[v.size() / 2];
  }
};

}  // namespace

int main(int argc, char** argv) {
  int images = 300;
  std::string data = CANDOR_DEFAULT_DATA_DIR;
  if (const char* d = std::getenv("CANDOR_DATA")) data = d;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--images") && i + 1 < argc) images = std::atoi(argv[++i]);
    if (!std::strcmp(argv[i], "--data") && i + 1 < argc) data = argv[++i];
  }
  auto paths = candor::eval::ListLfwImages(data + "/lfw", nullptr);
  if (!paths.ok()) {
    std::fprintf(stderr, "%s\n", paths.status().ToString().c_str());
    return 1;
  }
  // A fixed, spread-out sample.
  std::vector<std::string> sample;
  const size_t step = std::max<size_t>(1, paths->size() / images);
  for (size_t i = 0; i < paths->size() && static_cast<int>(sample.size()) < images; i += step) {
    sample.push_back((*paths)[i]);
  }
  std::vector<std::string> bytes;
  for (const auto& p : sample) bytes.push_back(Read(p));

  utsname u;
  uname(&u);
  std::printf("machine: %s, %u hardware threads, %s %s; OpenCV %s\n", CpuModel().c_str(),
              std::thread::hardware_concurrency(), u.sysname, u.release, CV_VERSION);
  std::printf("build: %s, -O3 via CMAKE_BUILD_TYPE=Release, no -march\n",
#ifdef NDEBUG
              "NDEBUG"
#else
              "assertions on"
#endif
  );
  std::printf("images: %zu LFW images (250x250)\n\n", sample.size());

  // --- Per-stage latency, one thread.
  cv::setNumThreads(1);
  auto pack = candor::models::ModelPack::Load(std::string(CANDOR_SOURCE_DIR) + "/models/manifest.json",
                                              CANDOR_DEFAULT_MODEL_DIR);
  if (!pack.ok()) {
    std::fprintf(stderr, "%s\n", pack.status().ToString().c_str());
    return 1;
  }
  auto pipeline = candor::engine::Pipeline::Create(*pack);
  if (!pipeline.ok()) {
    std::fprintf(stderr, "%s\n", pipeline.status().ToString().c_str());
    return 1;
  }
  candor::engine::Pipeline& p = **pipeline;
  std::map<std::string, Stats> stage;
  const std::vector<std::string> order = {
      "decode", "detect", "landmarks", "align", "embed (1 pass)", "embed (flip-avg, 2 passes)",
      "pose", "quality", "age (FaceRes pass)", "gender (same pass, cached)", "emotions", "eyes",
      "liveness"};
  for (int round = 0; round < 2; ++round) {  // round 0 warms up
    for (const std::string& b : bytes) {
      auto t0 = Clock::now();
      auto decoded = candor::image::DecodeImage(reinterpret_cast<const uint8_t*>(b.data()), b.size());
      candor::engine::PreparedImage img;
      img.decoded = std::move(decoded).value();
      cv::cvtColor(img.decoded.bgr, img.grey, cv::COLOR_BGR2GRAY);
      auto t1 = Clock::now();
      auto boxes = p.detector->Detect(img.decoded.bgr, {});
      auto t2 = Clock::now();
      if (!boxes.ok() || boxes->empty()) continue;
      const candor::BoundingBox box = (*boxes)[0].box;
      auto lm = p.landmarker->Predict(img.grey, box, {});
      auto t3 = Clock::now();
      candor::FivePoints five = candor::detect::FivePointsFrom68(*lm);
      cv::Mat chip = candor::embed::Embedder::AlignedChip(img.decoded.bgr,
                                                          candor::align::AlignmentTransform(five));
      auto t4 = Clock::now();
      (void)p.embedder->Embed(chip, {.flip_average = false, .rgb = true});
      auto t5 = Clock::now();
      (void)p.embedder->Embed(chip, {.flip_average = true, .rgb = true});
      auto t6 = Clock::now();
      candor::analyze::FaceRegion region{img.decoded.bgr, img.grey, box, *lm};
      auto a0 = Clock::now();
      (void)p.analyzer->HeadPose(region);
      auto a1 = Clock::now();
      (void)p.analyzer->Quality(region);
      auto a2 = Clock::now();
      (void)p.analyzer->Age(region);
      auto a3 = Clock::now();
      (void)p.analyzer->IsFemale(region);
      auto a4 = Clock::now();
      (void)p.analyzer->Emotions(region);
      auto a5 = Clock::now();
      (void)p.analyzer->EyesOpen(region);
      auto a6 = Clock::now();
      (void)p.analyzer->Liveness(region);
      auto a7 = Clock::now();
      if (round == 0) continue;
      stage["decode"].Add(Ms(t0, t1));
      stage["detect"].Add(Ms(t1, t2));
      stage["landmarks"].Add(Ms(t2, t3));
      stage["align"].Add(Ms(t3, t4));
      stage["embed (1 pass)"].Add(Ms(t4, t5));
      stage["embed (flip-avg, 2 passes)"].Add(Ms(t5, t6));
      stage["pose"].Add(Ms(a0, a1));
      stage["quality"].Add(Ms(a1, a2));
      stage["age (FaceRes pass)"].Add(Ms(a2, a3));
      stage["gender (same pass, cached)"].Add(Ms(a3, a4));
      stage["emotions"].Add(Ms(a4, a5));
      stage["eyes"].Add(Ms(a5, a6));
      stage["liveness"].Add(Ms(a6, a7));
    }
  }
  std::printf("per-stage latency, 1 thread (ms):\n  %-28s %8s %8s\n", "stage", "mean", "median");
  for (const std::string& name : order) {
    std::printf("  %-28s %8.2f %8.2f\n", name.c_str(), stage[name].Mean(), stage[name].Median());
  }

  const double network_sum =
      stage["detect"].Mean() + stage["landmarks"].Mean() + stage["embed (1 pass)"].Mean();

  // --- End-to-end throughput through the public Engine: one worker, then one
  // worker per hardware thread (each OpenCV-single-threaded).
  const int hardware = std::max(1u, std::thread::hardware_concurrency());
  std::printf("\nend to end through Engine::EmbedFaces (decode, detect, landmarks, align, embed):\n");
  for (int workers : {1, hardware}) {
    auto engine = candor::Engine::Create({.workers = workers, .inference_threads = 1});
    if (!engine.ok()) {
      std::fprintf(stderr, "%s\n", engine.status().ToString().c_str());
      return 1;
    }
    for (int i = 0; i < std::min<int>(20, bytes.size()); ++i) (void)(*engine)->EmbedFaces(bytes[i], 1);
    auto s0 = Clock::now();
    candor::core::ParallelFor(bytes.size(), workers, [&](size_t i) {
      (void)(*engine)->EmbedFaces(bytes[i], 1);
    });
    const double seconds = Ms(s0, Clock::now()) / 1000;
    const double per_image_ms = 1000.0 * seconds * workers / bytes.size();
    std::printf("  %d worker(s): %.1f images/s, %.2f ms per image per worker; overhead above the "
                "forward passes (%.2f ms): %.1f%%\n",
                workers, bytes.size() / seconds, per_image_ms, network_sum,
                100.0 * (per_image_ms - network_sum) / network_sum);
    if (workers == hardware) break;
  }
  // --- DetectFaces on 640x480 photos (the portraits and group photos of
  // video/ and video/knn_examples/, each resized to 640x480 and re-encoded
  // as JPEG), one worker on one thread: DEFAULT, then ALL attributes.
  {
    std::vector<std::string> photos;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(data + "/video")) {
      const std::string ext = entry.path().extension().string();
      if (ext != ".jpg" && ext != ".jpeg" && ext != ".png") continue;
      cv::Mat img = cv::imread(entry.path().string(), cv::IMREAD_COLOR);
      if (img.empty()) continue;
      cv::resize(img, img, cv::Size(640, 480), 0, 0, cv::INTER_AREA);
      std::vector<uchar> jpeg;
      cv::imencode(".jpg", img, jpeg, {cv::IMWRITE_JPEG_QUALITY, 92});
      photos.emplace_back(jpeg.begin(), jpeg.end());
    }
    std::sort(photos.begin(), photos.end());
    auto engine = candor::Engine::Create({.workers = 1, .inference_threads = 1});
    if (!engine.ok()) {
      std::fprintf(stderr, "%s\n", engine.status().ToString().c_str());
      return 1;
    }
    std::printf("\nDetectFaces on %zu photos of 640x480, one worker, one thread:\n", photos.size());
    for (candor::AttributeSet set : {candor::AttributeSet::kDefault, candor::AttributeSet::kAll}) {
      Stats ms;
      int faces = 0;
      for (int round = 0; round < 4; ++round) {
        for (const std::string& photo : photos) {
          auto t0 = Clock::now();
          auto result = (*engine)->DetectFaces(photo, set);
          if (round > 0) ms.Add(Ms(t0, Clock::now()));
          if (round == 1 && result.ok()) faces += static_cast<int>(result->faces.size());
        }
      }
      std::printf("  %s: mean %.1f ms, median %.1f ms per photo (%d faces in all)\n",
                  set == candor::AttributeSet::kAll ? "ALL" : "DEFAULT", ms.Mean(), ms.Median(),
                  faces);
    }
  }

  rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  std::printf("  peak resident memory: %.1f MiB\n", ru.ru_maxrss / 1024.0);
  return 0;
}
