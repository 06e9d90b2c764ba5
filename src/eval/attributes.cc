#include "eval/attributes.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <mutex>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <optional>

#include "analyze/face_analyzer.h"
#include "core/parallel.h"
#include "eval/eval_pipelines.h"

namespace candor::eval {
namespace {

namespace fs = std::filesystem;

// Every regular file of `dir` in name order, then every `stride`-th of them.
StatusOr<std::vector<std::string>> EveryNth(const std::string& dir, int stride) {
  std::error_code error;
  if (!fs::is_directory(dir, error)) return Status::NotFound("no folder " + dir);
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(dir, error)) {
    if (entry.is_regular_file()) files.push_back(entry.path().string());
  }
  if (error) return Status::IOError("cannot list " + dir + ": " + error.message());
  std::sort(files.begin(), files.end());
  std::vector<std::string> kept;
  for (size_t i = 0; i < files.size(); i += static_cast<size_t>(std::max(1, stride)))
    kept.push_back(files[i]);
  return kept;
}

// One image with its largest face located as the engine does.
struct LocatedFace {
  cv::Mat bgr, grey;
  BoundingBox box;
  Landmarks68 landmarks{};
  bool detected = false;
  analyze::FaceRegion Region() const { return {bgr, grey, box, landmarks}; }
};

// `upscale` > 0: resized to that square first (FER's 48x48 faces are too
// small for the detector). With `whole_image_fallback`, an image without a
// face is taken whole; otherwise `detected` stays false.
StatusOr<LocatedFace> Locate(engine::Pipeline& pipeline, const std::string& path, int upscale,
                             bool whole_image_fallback) {
  LocatedFace face;
  face.bgr = cv::imread(path, cv::IMREAD_COLOR);
  if (face.bgr.empty()) return Status::IOError("cannot decode " + path);
  if (upscale > 0)
    cv::resize(face.bgr, face.bgr, cv::Size(upscale, upscale), 0, 0, cv::INTER_CUBIC);
  cv::cvtColor(face.bgr, face.grey, cv::COLOR_BGR2GRAY);
  CANDOR_ASSIGN_OR_RETURN(std::vector<detect::ScoredBox> boxes,
                          pipeline.detector->Detect(face.bgr, detect::DetectorOptions{}));
  face.detected = !boxes.empty();
  if (!face.detected && !whole_image_fallback) return face;
  face.box = face.detected ? boxes[0].box
                           : BoundingBox{0, 0, static_cast<float>(face.bgr.cols),
                                         static_cast<float>(face.bgr.rows)};
  CANDOR_ASSIGN_OR_RETURN(face.landmarks, pipeline.landmarker->Predict(
                                              face.grey, face.box, detect::LandmarkerOptions{}));
  return face;
}

// Runs fn(pipeline, i) over n items on the pool; the first error wins.
Status ForEach(engine::PipelinePool& pool, size_t n, int threads,
               const std::function<Status(engine::Pipeline&, size_t)>& fn) {
  std::mutex mutex;
  Status failure;
  core::ParallelFor(n, threads, [&](size_t i) {
    Status status;
    {
      engine::PipelinePool::Lease lease = pool.Acquire();
      status = fn(*lease.operator->(), i);
    }
    if (!status.ok()) {
      std::lock_guard<std::mutex> lock(mutex);
      if (failure.ok()) failure = status;
    }
  });
  return failure;
}

void AddFace(AgeGenderGroup* group, const UtkFaceLabel& label, const AgeRange& age,
             const std::optional<BoolAttribute>& female) {
  ++group->faces;
  if (female) {
    group->gender_correct += female->value == (label.gender == 1);
  } else {
    ++group->gender_withheld;
  }
  group->age_abs_error_sum += std::abs(age.estimate - static_cast<float>(label.age));
  group->age_inside_range += label.age >= age.low && label.age <= age.high;
  group->age_estimates.push_back(age.estimate);
  group->true_ages.push_back(label.age);
}

Status EvaluateUtkFace(engine::PipelinePool& pool, const std::string& data_dir,
                       const AttributeEvalOptions& options, AttributeReport* report) {
  const std::string dir = data_dir + "/utkface/images";
  report->utkface_dataset = dir;
  CANDOR_ASSIGN_OR_RETURN(std::vector<std::string> files, EveryNth(dir, options.utkface_stride));
  std::mutex mutex;
  return ForEach(pool, files.size(), options.threads, [&](engine::Pipeline& p, size_t i) -> Status {
    const std::optional<UtkFaceLabel> label =
        ParseUtkFaceFileName(fs::path(files[i]).filename().string());
    if (!label) return Status::Ok();  // unlabelled files are not judged
    CANDOR_ASSIGN_OR_RETURN(LocatedFace face, Locate(p, files[i], 0, false));
    const int g = UtkFaceGroupIndex(*label);
    if (!face.detected) {
      std::lock_guard<std::mutex> lock(mutex);
      ++report->groups[g].without_face;
      ++report->all.without_face;
      return Status::Ok();
    }
    CANDOR_ASSIGN_OR_RETURN(AgeRange age, p.analyzer->Age(face.Region()));
    CANDOR_ASSIGN_OR_RETURN(std::optional<BoolAttribute> female,
                            p.analyzer->IsFemale(face.Region()));
    std::lock_guard<std::mutex> lock(mutex);
    AddFace(&report->groups[g], *label, age, female);
    AddFace(&report->all, *label, age, female);
    return Status::Ok();
  });
}

Status EvaluateFer(engine::PipelinePool& pool, const std::string& data_dir,
                   const AttributeEvalOptions& options, AttributeReport* report) {
  const std::string root = data_dir + "/fer2013_test";
  report->fer_dataset = root;
  std::vector<std::pair<std::string, int>> files;
  for (size_t c = 0; c < kFerClasses.size(); ++c) {
    CANDOR_ASSIGN_OR_RETURN(std::vector<std::string> in_class,
                            EveryNth(root + "/" + kFerClasses[c], options.fer_stride));
    for (std::string& f : in_class) files.emplace_back(std::move(f), static_cast<int>(c));
  }
  std::mutex mutex;
  return ForEach(pool, files.size(), options.threads, [&](engine::Pipeline& p, size_t i) -> Status {
    // 192 px: the size at which tests/analyze_test.cc found the detector
    // finds most FER faces.
    CANDOR_ASSIGN_OR_RETURN(LocatedFace face, Locate(p, files[i].first, 192, true));
    CANDOR_ASSIGN_OR_RETURN(std::vector<Emotion> emotions, p.analyzer->Emotions(face.Region()));
    if (emotions.empty()) return Status::Internal("no emotions for " + files[i].first);
    const int predicted = static_cast<int>(emotions[0].type);
    if (predicted < 0 || predicted >= static_cast<int>(kFerClasses.size()))
      return Status::Internal("emotion out of range");
    std::lock_guard<std::mutex> lock(mutex);
    report->emotions.Add(files[i].second, predicted);
    report->fer_whole_image += !face.detected;
    return Status::Ok();
  });
}

Status EvaluateNuaa(engine::PipelinePool& pool, const std::string& data_dir,
                    const AttributeEvalOptions& options, AttributeReport* report) {
  const std::string root = data_dir + "/spoof_nuaa";
  report->nuaa_dataset = root;
  std::vector<std::pair<std::string, bool>> files;  // path, is an attack
  for (bool attack : {false, true}) {
    CANDOR_ASSIGN_OR_RETURN(std::vector<std::string> in_folder,
                            EveryNth(root + (attack ? "/attack" : "/live"), options.nuaa_stride));
    for (std::string& f : in_folder) files.emplace_back(std::move(f), attack);
  }
  std::mutex mutex;
  LivenessCounts& counts = report->liveness;
  return ForEach(pool, files.size(), options.threads, [&](engine::Pipeline& p, size_t i) -> Status {
    CANDOR_ASSIGN_OR_RETURN(LocatedFace face, Locate(p, files[i].first, 0, false));
    if (!face.detected) {
      std::lock_guard<std::mutex> lock(mutex);
      ++counts.without_face;
      return Status::Ok();
    }
    CANDOR_ASSIGN_OR_RETURN(float live, p.analyzer->Liveness(face.Region()));
    const bool called_live = live >= options.live_threshold;
    std::lock_guard<std::mutex> lock(mutex);
    if (files[i].second) {
      ++counts.spoof;
      counts.spoof_called_genuine += called_live;
    } else {
      ++counts.genuine;
      counts.genuine_called_spoof += !called_live;
    }
    return Status::Ok();
  });
}

}  // namespace

MeanStd MeanAndStd(const std::vector<float>& values) {
  if (values.empty()) return {};
  double sum = 0, squares = 0;
  for (float v : values) sum += v;
  const double mean = sum / values.size();
  for (float v : values) squares += (v - mean) * (v - mean);
  return {mean, std::sqrt(squares / values.size())};
}

double AgeCorrelation(const std::vector<float>& estimates, const std::vector<int>& true_ages) {
  if (estimates.size() != true_ages.size() || estimates.empty()) return 0;
  const double n = static_cast<double>(estimates.size());
  double mx = 0, my = 0;
  for (size_t i = 0; i < estimates.size(); ++i) {
    mx += estimates[i];
    my += true_ages[i];
  }
  mx /= n;
  my /= n;
  double sxy = 0, sxx = 0, syy = 0;
  for (size_t i = 0; i < estimates.size(); ++i) {
    sxy += (estimates[i] - mx) * (true_ages[i] - my);
    sxx += (estimates[i] - mx) * (estimates[i] - mx);
    syy += (true_ages[i] - my) * (true_ages[i] - my);
  }
  return sxx > 0 && syy > 0 ? sxy / std::sqrt(sxx * syy) : 0;
}

double ConstantGuessMae(std::vector<int> true_ages) {
  if (true_ages.empty()) return 0;
  std::sort(true_ages.begin(), true_ages.end());
  const int median = true_ages[true_ages.size() / 2];
  double sum = 0;
  for (int a : true_ages) sum += std::abs(a - median);
  return sum / true_ages.size();
}

StatusOr<AttributeReport> EvaluateAttributes(const std::string& data_dir,
                                             const AttributeEvalOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  CANDOR_ASSIGN_OR_RETURN(auto pool, LoadEvalPipelines(options.model_dir, options.threads));
  AttributeReport report;
  report.utkface_stride = options.utkface_stride;
  report.fer_stride = options.fer_stride;
  report.nuaa_stride = options.nuaa_stride;
  report.live_threshold = options.live_threshold;
  if (options.utkface) CANDOR_RETURN_IF_ERROR(EvaluateUtkFace(*pool, data_dir, options, &report));
  if (options.fer) CANDOR_RETURN_IF_ERROR(EvaluateFer(*pool, data_dir, options, &report));
  if (options.nuaa) CANDOR_RETURN_IF_ERROR(EvaluateNuaa(*pool, data_dir, options, &report));
  report.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

}  // namespace candor::eval
