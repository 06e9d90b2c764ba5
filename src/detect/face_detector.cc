#include "detect/face_detector.h"

#include <algorithm>
#include <cmath>
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>

#include "image/crop.h"

namespace candor::detect {
namespace {

// Input normalisation of RFB-320, from its training code: RGB, (x - 127) / 128.
constexpr double kInputScale = 1.0 / 128.0;
constexpr double kInputMean = 127.0;

// The smallest face (box side in network pixels) the network finds reliably;
// its smallest anchor is 10 px at stride 8.
constexpr float kSmallestNetworkFace = 16.f;
// Pyramid levels differ by at most this factor; the network sees faces from
// about 16 to 200 network pixels, so 3 leaves each face two levels to be
// found in.
constexpr float kLevelRatio = 3.f;
// On every level but the coarsest, a face larger than this (network pixels)
// is left to the coarser level, where it is at least kMaxFineFace /
// kLevelRatio = 28 px and whole in one window; large boxes on fine levels
// are mostly texture seen through a window too small for context.
constexpr float kMaxFineFace = 84.f;
// Windows overlap by more than kMaxFineFace, so every face a fine level keeps
// lies whole in some window.
constexpr int kWindowOverlap = 96;

// A detection scoring below this is looked at again, zoomed so that it is
// kVerifySize network pixels high with its surroundings around it: at that
// scale the network is far more reliable than on a 15-40 px patch, where
// folds of dark cloth score 0.7-0.9 (seen on video/two_people.jpg).
constexpr float kVerifyBelow = 0.95f;
constexpr float kVerifySize = 64.f;
// The second look must find a box overlapping the first by this much, scoring
// at least kVerifyMinScore (or the caller's threshold, if higher): on the
// cloth folds of two_people.jpg the second look still gives 0.80-0.90, real
// faces at that zoom give above 0.99.
constexpr float kVerifyIoU = 0.4f;
constexpr float kVerifyMinScore = 0.9f;

}  // namespace

StatusOr<float> FaceDetector::VerifiedScore(const cv::Mat& bgr, const ScoredBox& candidate) {
  const BoundingBox& b = candidate.box;
  const float zoom = kVerifySize / std::max(b.width, b.height);
  const float w = kInputWidth / zoom, h = kInputHeight / zoom;
  const cv::Rect2f region(b.left + b.width / 2 - w / 2, b.top + b.height / 2 - h / 2, w, h);
  cv::Mat window = image::CropResize(bgr, region, cv::Size(kInputWidth, kInputHeight));
  std::vector<ScoredBox> boxes;
  CANDOR_RETURN_IF_ERROR(DetectWindow(window, {0, 0}, 0.f, /*fine_level=*/false, &boxes));
  float best = 0;
  for (ScoredBox& sb : boxes) {
    const BoundingBox mapped{region.x + sb.box.left / zoom, region.y + sb.box.top / zoom,
                             sb.box.width / zoom, sb.box.height / zoom};
    if (IoU(mapped, b) >= kVerifyIoU) best = std::max(best, sb.score);
  }
  return best;
}

Status FaceDetector::DetectWindow(const cv::Mat& level, cv::Point origin, float score_threshold,
                                  bool fine_level, std::vector<ScoredBox>* out) {
  cv::Rect window(origin, cv::Size(kInputWidth, kInputHeight));
  cv::Rect inside = window & cv::Rect(0, 0, level.cols, level.rows);
  cv::Mat input(kInputHeight, kInputWidth, CV_8UC3, cv::Scalar(kInputMean, kInputMean, kInputMean));
  level(inside).copyTo(input(cv::Rect(inside.tl() - origin, inside.size())));

  cv::Mat blob = cv::dnn::blobFromImage(input, kInputScale, cv::Size(),
                                        cv::Scalar(kInputMean, kInputMean, kInputMean),
                                        /*swapRB=*/true, /*crop=*/false);
  std::vector<cv::Mat> outputs;
  CANDOR_RETURN_IF_ERROR(net_.Forward(blob, &outputs, {"scores", "boxes"}));
  const cv::Mat& scores = outputs[0];  // 1 x N x 2 (background, face), softmaxed
  const cv::Mat& boxes = outputs[1];   // 1 x N x 4, x1 y1 x2 y2 as ratios of the input
  const int n = scores.size[1];
  const float* s = scores.ptr<float>();
  const float* b = boxes.ptr<float>();
  // A face whose box touches a window edge that is not the image's edge was
  // probably cut by the window: another window or a coarser level has it whole.
  const float edge = 2.f;
  for (int i = 0; i < n; ++i) {
    const float score = s[2 * i + 1];
    if (score < score_threshold) continue;
    float x1 = b[4 * i] * kInputWidth, y1 = b[4 * i + 1] * kInputHeight;
    float x2 = b[4 * i + 2] * kInputWidth, y2 = b[4 * i + 3] * kInputHeight;
    if (fine_level) {
      if (std::max(x2 - x1, y2 - y1) > kMaxFineFace) continue;
      const bool cut = (x1 < edge && origin.x > 0) || (y1 < edge && origin.y > 0) ||
                       (x2 > kInputWidth - edge && window.br().x < level.cols) ||
                       (y2 > kInputHeight - edge && window.br().y < level.rows);
      if (cut) continue;
    }
    x1 = std::max(x1, 0.f) + origin.x;
    y1 = std::max(y1, 0.f) + origin.y;
    x2 = std::min(x2, static_cast<float>(kInputWidth)) + origin.x;
    y2 = std::min(y2, static_cast<float>(kInputHeight)) + origin.y;
    if (x2 - x1 < 1 || y2 - y1 < 1) continue;
    out->push_back({BoundingBox{x1, y1, x2 - x1, y2 - y1}, score});
  }
  return Status::Ok();
}

StatusOr<std::vector<ScoredBox>> FaceDetector::Detect(const cv::Mat& bgr,
                                                      const DetectorOptions& options) {
  if (bgr.empty() || bgr.type() != CV_8UC3) {
    return Status::InvalidArgument("detector needs a non-empty 8-bit BGR image");
  }
  const float width = static_cast<float>(bgr.cols), height = static_cast<float>(bgr.rows);
  // Coarsest level: the whole image fits one window.
  const float fit_scale = std::min(kInputWidth / width, kInputHeight / height);
  // Finest level: a face of min_face_px becomes kSmallestNetworkFace, but the
  // image is never upsampled beyond fitting one window and never exceeds
  // max_working_side.
  float fine_scale = kSmallestNetworkFace / std::max(options.min_face_px, 1.f);
  fine_scale = std::min(fine_scale, options.max_working_side / std::max(width, height));
  fine_scale = std::max(fine_scale, fit_scale);

  std::vector<float> scales{fit_scale};
  while (scales.back() < fine_scale * 0.99f) {
    scales.push_back(std::min(scales.back() * kLevelRatio, fine_scale));
  }

  std::vector<ScoredBox> found;
  for (size_t li = 0; li < scales.size(); ++li) {
    const float scale = scales[li];
    cv::Mat level;
    const cv::Size size(std::max(1, static_cast<int>(std::lround(width * scale))),
                        std::max(1, static_cast<int>(std::lround(height * scale))));
    cv::resize(bgr, level, size, 0, 0, scale < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
    std::vector<ScoredBox> level_boxes;
    const int step_x = kInputWidth - kWindowOverlap, step_y = kInputHeight - kWindowOverlap;
    for (int y = 0;; y += step_y) {
      for (int x = 0;; x += step_x) {
        CANDOR_RETURN_IF_ERROR(DetectWindow(level, {x, y}, options.score_threshold,
                                            /*fine_level=*/li > 0, &level_boxes));
        if (x + kInputWidth >= level.cols) break;
      }
      if (y + kInputHeight >= level.rows) break;
    }
    for (ScoredBox& sb : level_boxes) {
      sb.box.left /= scale;
      sb.box.top /= scale;
      sb.box.width /= scale;
      sb.box.height /= scale;
      found.push_back(sb);
    }
  }
  std::vector<ScoredBox> merged =
      NonMaxSuppression(std::move(found), options.nms_iou, /*containment_threshold=*/0.7f);
  std::vector<ScoredBox> kept;
  for (ScoredBox& sb : merged) {
    // Boxes far below the smallest face asked for are noise, not faces.
    if (std::max(sb.box.width, sb.box.height) < 0.6f * options.min_face_px) continue;
    if (sb.score < kVerifyBelow) {
      CANDOR_ASSIGN_OR_RETURN(float verified, VerifiedScore(bgr, sb));
      if (verified < std::max(options.score_threshold, kVerifyMinScore)) continue;
      sb.score = std::max(sb.score, verified);
    }
    kept.push_back(sb);
  }
  std::stable_sort(kept.begin(), kept.end(), [](const ScoredBox& a, const ScoredBox& b) {
    return a.box.area() > b.box.area();
  });
  if (static_cast<int>(kept.size()) > options.max_faces) kept.resize(options.max_faces);
  return kept;
}

}  // namespace candor::detect
