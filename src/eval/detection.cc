#include "eval/detection.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <sstream>

#include "core/parallel.h"
#include "eval/eval_pipelines.h"

namespace candor::eval {
namespace {

Status LineError(int line, const std::string& what) {
  std::string message = "WIDER annotations, line ";
  message += std::to_string(line);
  message += ": ";
  message += what;
  return Status::InvalidArgument(message);
}

// A whole line of non-negative integers within [0, max]; false otherwise.
bool ParseCount(const std::string& line, long long max, long long* out) {
  if (line.empty() || line.size() > 9) return false;
  long long value = 0;
  for (char c : line) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  if (value > max) return false;
  *out = value;
  return true;
}

}  // namespace

StatusOr<std::vector<AnnotatedImage>> ParseWiderAnnotations(const std::string& text) {
  std::vector<std::string> lines;
  {
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
      while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
      lines.push_back(line);
    }
  }
  // Faces per image: WIDER's largest image holds 1,968.
  constexpr long long kMaxFaces = 100000;
  std::vector<AnnotatedImage> images;
  size_t i = 0;
  while (i < lines.size()) {
    if (lines[i].empty()) {
      ++i;
      continue;
    }
    AnnotatedImage image;
    image.file = lines[i];
    if (image.file.find(".jpg") == std::string::npos && image.file.find(".png") == std::string::npos)
      return LineError(static_cast<int>(i + 1), "expected an image file name");
    ++i;
    long long count = 0;
    if (i >= lines.size() || !ParseCount(lines[i], kMaxFaces, &count))
      return LineError(static_cast<int>(i + 1), "expected a face count");
    ++i;
    const long long rows = std::max<long long>(count, 1);  // 0 faces: one all-zero line
    for (long long r = 0; r < rows; ++r, ++i) {
      if (i >= lines.size()) return LineError(static_cast<int>(i + 1), "missing face line");
      std::istringstream row(lines[i]);
      double v[10];
      for (double& x : v) {
        if (!(row >> x)) return LineError(static_cast<int>(i + 1), "expected 10 numbers");
      }
      std::string rest;
      if (row >> rest) return LineError(static_cast<int>(i + 1), "more than 10 numbers");
      if (count == 0) continue;
      if (!(v[2] >= 0 && v[3] >= 0 && v[2] < 1e6 && v[3] < 1e6 && v[0] > -1e6 && v[0] < 1e6 &&
            v[1] > -1e6 && v[1] < 1e6))
        return LineError(static_cast<int>(i + 1), "box out of range");
      GroundTruthFace face;
      face.box = {static_cast<float>(v[0]), static_cast<float>(v[1]), static_cast<float>(v[2]),
                  static_cast<float>(v[3])};
      face.invalid = v[7] != 0;
      image.faces.push_back(face);
    }
    images.push_back(std::move(image));
  }
  return images;
}

int FaceSizeBin(float height) {
  for (int b = 0; b < kFaceSizeBins; ++b) {
    if (height < kFaceSizeBinUpper[b]) return b;
  }
  return kFaceSizeBins - 1;
}

std::string FaceSizeBinName(int bin) {
  char name[32];
  if (bin <= 0) {
    std::snprintf(name, sizeof(name), "<%d", static_cast<int>(kFaceSizeBinUpper[0]));
  } else if (bin >= kFaceSizeBins - 1) {
    std::snprintf(name, sizeof(name), ">=%d",
                  static_cast<int>(kFaceSizeBinUpper[kFaceSizeBins - 2]));
  } else {
    std::snprintf(name, sizeof(name), "%d-%d", static_cast<int>(kFaceSizeBinUpper[bin - 1]),
                  static_cast<int>(kFaceSizeBinUpper[bin]));
  }
  return name;
}

DetectionBinCounts DetectionCounts::Total() const {
  DetectionBinCounts total;
  for (const DetectionBinCounts& b : bins) {
    total.faces += b.faces;
    total.faces_found += b.faces_found;
    total.detections += b.detections;
    total.true_detections += b.true_detections;
  }
  return total;
}

void MatchDetections(const std::vector<GroundTruthFace>& truth,
                     const std::vector<detect::ScoredBox>& detections, float min_iou,
                     DetectionCounts* counts) {
  std::vector<size_t> order(detections.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return detections[a].score > detections[b].score;
  });
  std::vector<bool> matched(truth.size(), false);
  for (const GroundTruthFace& face : truth) {
    if (face.invalid) {
      ++counts->invalid_faces;
    } else {
      ++counts->bins[FaceSizeBin(face.box.height)].faces;
    }
  }
  for (size_t d : order) {
    const BoundingBox& box = detections[d].box;
    float best_iou = 0, best_invalid_iou = 0;
    int best = -1;
    for (size_t t = 0; t < truth.size(); ++t) {
      const float iou = IoU(box, truth[t].box);
      if (truth[t].invalid) {
        best_invalid_iou = std::max(best_invalid_iou, iou);
      } else if (!matched[t] && iou > best_iou) {
        best_iou = iou;
        best = static_cast<int>(t);
      }
    }
    DetectionBinCounts& bin = counts->bins[FaceSizeBin(box.height)];
    if (best >= 0 && best_iou >= min_iou) {
      matched[best] = true;
      ++counts->bins[FaceSizeBin(truth[best].box.height)].faces_found;
      ++bin.detections;
      ++bin.true_detections;
    } else if (best_invalid_iou >= min_iou) {
      ++counts->ignored_detections;
    } else {
      ++bin.detections;
    }
  }
}

namespace {

// Width and height of a WIDER image before it was stretched, from its
// voc_xml_original/<name>.xml (<size><width>..</width><height>..</height>).
StatusOr<cv::Size> OriginalSize(const std::string& root, const std::string& file) {
  const std::string name = std::filesystem::path(file).stem().string();
  const std::string path = root + "/voc_xml_original/" + name + ".xml";
  CANDOR_ASSIGN_OR_RETURN(std::string xml, ReadEvalFile(path));
  auto value = [&](const std::string& tag) -> int {
    const size_t at = xml.find("<" + tag + ">");
    if (at == std::string::npos) return 0;
    return std::atoi(xml.c_str() + at + tag.size() + 2);
  };
  const int width = value("width"), height = value("height");
  if (width <= 0 || height <= 0 || width > 20000 || height > 20000) {
    return Status::InvalidArgument(path + " has no usable <width>/<height>");
  }
  return cv::Size(width, height);
}

StatusOr<std::vector<detect::ScoredBox>> DetectOne(detect::FaceDetector& detector,
                                                   const std::string& root, const std::string& file,
                                                   const detect::DetectorOptions& options,
                                                   bool restore_aspect) {
  const std::string path = root + "/images/" + file;
  cv::Mat bgr = cv::imread(path, cv::IMREAD_COLOR);
  if (bgr.empty()) return Status::IOError("cannot decode " + path);
  if (!restore_aspect) return detector.Detect(bgr, options);
  CANDOR_ASSIGN_OR_RETURN(cv::Size original, OriginalSize(root, file));
  cv::Mat restored;
  cv::resize(bgr, restored, original, 0, 0, cv::INTER_CUBIC);
  CANDOR_ASSIGN_OR_RETURN(std::vector<detect::ScoredBox> boxes, detector.Detect(restored, options));
  const float sx = static_cast<float>(bgr.cols) / original.width;
  const float sy = static_cast<float>(bgr.rows) / original.height;
  for (detect::ScoredBox& b : boxes) {
    b.box = {b.box.left * sx, b.box.top * sy, b.box.width * sx, b.box.height * sy};
  }
  return boxes;
}

}  // namespace

StatusOr<DetectionReport> EvaluateDetection(const std::string& data_dir,
                                            const DetectionEvalOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  DetectionReport report;
  const std::string root = data_dir + "/widerface_val200";
  report.dataset = root + " (gt_resized_416_wider_format.txt" +
                   (options.restore_aspect ? "; images restored to their original size)" : ")");
  CANDOR_ASSIGN_OR_RETURN(std::string text, ReadEvalFile(root + "/gt_resized_416_wider_format.txt"));
  CANDOR_ASSIGN_OR_RETURN(std::vector<AnnotatedImage> images, ParseWiderAnnotations(text));
  if (images.empty()) return Status::InvalidArgument("no images in the WIDER annotations");
  CANDOR_ASSIGN_OR_RETURN(auto pool, LoadEvalPipelines(options.model_dir, options.threads));
  detect::DetectorOptions detector;
  detector.min_face_px = options.min_face_px;
  detector.score_threshold = options.score_threshold;
  detector.max_faces = 10000;  // a crowd: keep every face
  std::mutex mutex;
  Status failure;
  core::ParallelFor(images.size(), options.threads, [&](size_t i) {
    StatusOr<std::vector<detect::ScoredBox>> boxes =
        DetectOne(*pool->Acquire()->detector, root, images[i].file, detector,
                  options.restore_aspect);
    std::lock_guard<std::mutex> lock(mutex);
    if (!boxes.ok()) {
      if (failure.ok()) failure = boxes.status();
      return;
    }
    MatchDetections(images[i].faces, *boxes, options.min_iou, &report.counts);
  });
  CANDOR_RETURN_IF_ERROR(failure);
  report.images = static_cast<int>(images.size());
  report.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

}  // namespace candor::eval
