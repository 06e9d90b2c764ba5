#include "detect/face_detector.h"

#include <algorithm>
#include <cmath>
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>
#include <string>

namespace candor::detect {
namespace {

// RetinaFace's anchors (peteryuX/retinaface-tf2, configs/retinaface_mbv2.yaml):
// per level its stride and two square anchor sizes, centred on each cell;
// box and landmark deltas scaled by the variances 0.1 (centre) and 0.2 (size).
struct Level {
  int stride;
  float anchors[2];
};
constexpr Level kLevels[] = {{8, {16, 32}}, {16, {64, 128}}, {32, {256, 512}}};
constexpr float kCentreVariance = 0.1f;
constexpr float kSizeVariance = 0.2f;
// The network's input must be a multiple of its largest stride.
constexpr int kAlign = 32;
// A pass at a scale where the image's long side is at most this sees faces
// up to the largest anchor (512) with context around them.
constexpr float kCoarseSide = 640.f;
// Neighbouring tiles share this many (scaled) pixels, so that a face up to
// this size lies whole in one of them. A face larger than that is found by the
// coarse pass: with max_scaled_side 4096 it is at least 4096 / 640 = 6.4
// times smaller there, 25 px, which the network finds.
constexpr int kTileOverlap = 160;
// A box 80% inside one at least twice its area is part of that face (on the
// WIDER subset, one face filling a press photo came with four such parts).
constexpr float kPartOfAFaceArea = 2.f;
constexpr float kPartOfAFaceContainment = 0.8f;

}  // namespace

BoundingBox LandmarkerFrame(const BoundingBox& b) {
  const float width = b.width * 0.977f, height = b.height * 1.022f;
  const float cx = b.left + b.width / 2, cy = b.top + b.height / 2 - 0.008f * b.height;
  return {cx - width / 2, cy - height / 2, width, height};
}

namespace {

// Starts of tiles of `length` covering [0, total) with at least
// `overlap` shared between neighbours.
std::vector<int> TileStarts(int total, int max_length, int overlap, int* length) {
  if (total <= max_length) {
    *length = total;
    return {0};
  }
  const int count = (total - overlap + (max_length - overlap) - 1) / (max_length - overlap);
  *length = (total - overlap + count - 1) / count + overlap;
  std::vector<int> starts;
  for (int i = 0; i < count; ++i) starts.push_back(std::min(i * (*length - overlap), total - *length));
  return starts;
}

}  // namespace

Status FaceDetector::DetectAtScale(const cv::Mat& bgr, float scale, int max_tile_side,
                                   float score_threshold, std::vector<ScoredBox>* out) {
  const int width = std::max(1, static_cast<int>(std::lround(bgr.cols * scale)));
  const int height = std::max(1, static_cast<int>(std::lround(bgr.rows * scale)));
  cv::Mat scaled;
  if (width == bgr.cols && height == bgr.rows) {
    scaled = bgr;
  } else {
    cv::resize(bgr, scaled, cv::Size(width, height), 0, 0,
               scale < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
  }
  const int tile_side = std::max(max_tile_side, 2 * kTileOverlap) / kAlign * kAlign;
  int tile_w = 0, tile_h = 0;
  const std::vector<int> xs = TileStarts(width, tile_side, kTileOverlap, &tile_w);
  const std::vector<int> ys = TileStarts(height, tile_side, kTileOverlap, &tile_h);
  for (size_t yi = 0; yi < ys.size(); ++yi) {
    for (size_t xi = 0; xi < xs.size(); ++xi) {
      const bool inner[4] = {xi > 0, yi > 0, xi + 1 < xs.size(), yi + 1 < ys.size()};
      CANDOR_RETURN_IF_ERROR(DetectTile(scaled, cv::Rect(xs[xi], ys[yi], tile_w, tile_h), inner,
                                        1.f / scale, score_threshold, out));
    }
  }
  return Status::Ok();
}

Status FaceDetector::DetectTile(const cv::Mat& scaled, const cv::Rect& tile,
                                const bool inner_sides[4], float to_image,
                                float score_threshold, std::vector<ScoredBox>* out) {
  const int width = tile.width, height = tile.height;
  // Zero padding on the right and bottom, as the network's reference code.
  const int padded_w = (width + kAlign - 1) / kAlign * kAlign;
  const int padded_h = (height + kAlign - 1) / kAlign * kAlign;
  cv::Mat input(padded_h, padded_w, CV_8UC3, cv::Scalar::all(0));
  scaled(tile).copyTo(input(cv::Rect(0, 0, width, height)));
  // RGB 0..255: the graph normalises its input itself.
  cv::Mat blob = cv::dnn::blobFromImage(input, 1.0, cv::Size(), cv::Scalar(), /*swapRB=*/true,
                                        /*crop=*/false);
  static const std::vector<std::string> kOutputs = {
      "bbox_8", "bbox_16", "bbox_32", "landmark_8", "landmark_16", "landmark_32",
      "class_8", "class_16", "class_32"};
  std::vector<cv::Mat> outputs;
  CANDOR_RETURN_IF_ERROR(net_.Forward(blob, &outputs, kOutputs));
  // A box reaching within this many pixels of an inner side is cut by it.
  constexpr float kCut = 1.f;
  for (int li = 0; li < 3; ++li) {
    const Level& level = kLevels[li];
    // NHWC: 1 x rows x cols x (2 anchors x 4 | 10 | 2).
    const cv::Mat& boxes = outputs[li];
    const cv::Mat& points = outputs[3 + li];
    const cv::Mat& logits = outputs[6 + li];
    const int rows = boxes.size[1], cols = boxes.size[2];
    if (rows != padded_h / level.stride || cols != padded_w / level.stride) {
      return Status::Internal("detector output " + std::to_string(rows) + "x" +
                              std::to_string(cols) + " does not match its input");
    }
    const float* b = boxes.ptr<float>();
    const float* p = points.ptr<float>();
    const float* c = logits.ptr<float>();
    for (int r = 0; r < rows; ++r) {
      for (int col = 0; col < cols; ++col) {
        for (int a = 0; a < 2; ++a) {
          const int i = (r * cols + col) * 2 + a;
          // Softmax over (background, face).
          const float score = 1.f / (1.f + std::exp(c[2 * i] - c[2 * i + 1]));
          if (score < score_threshold) continue;
          const float size = level.anchors[a];
          const float ax = (col + 0.5f) * level.stride, ay = (r + 0.5f) * level.stride;
          const float* d = b + 4 * i;
          const float cx = ax + d[0] * kCentreVariance * size;
          const float cy = ay + d[1] * kCentreVariance * size;
          const float w = size * std::exp(d[2] * kSizeVariance);
          const float h = size * std::exp(d[3] * kSizeVariance);
          const float x1 = std::max(cx - w / 2, 0.f), y1 = std::max(cy - h / 2, 0.f);
          const float x2 = std::min(cx + w / 2, static_cast<float>(width));
          const float y2 = std::min(cy + h / 2, static_cast<float>(height));
          if (x2 - x1 < 1 || y2 - y1 < 1) continue;
          if ((inner_sides[0] && x1 < kCut) || (inner_sides[1] && y1 < kCut) ||
              (inner_sides[2] && x2 > width - kCut) || (inner_sides[3] && y2 > height - kCut)) {
            continue;
          }
          ScoredBox sb;
          sb.score = score;
          sb.box = {(tile.x + x1) * to_image, (tile.y + y1) * to_image, (x2 - x1) * to_image,
                    (y2 - y1) * to_image};
          const float* l = p + 10 * i;
          Point* five[] = {&sb.five.left_eye, &sb.five.right_eye, &sb.five.nose,
                           &sb.five.mouth_left, &sb.five.mouth_right};
          for (int k = 0; k < 5; ++k) {
            five[k]->x = (tile.x + ax + l[2 * k] * kCentreVariance * size) * to_image;
            five[k]->y = (tile.y + ay + l[2 * k + 1] * kCentreVariance * size) * to_image;
          }
          out->push_back(sb);
        }
      }
    }
  }
  return Status::Ok();
}

StatusOr<std::vector<ScoredBox>> FaceDetector::Detect(const cv::Mat& bgr,
                                                      const DetectorOptions& options) {
  if (bgr.empty() || bgr.type() != CV_8UC3) {
    return Status::InvalidArgument("detector needs a non-empty 8-bit BGR image");
  }
  const float long_side = static_cast<float>(std::max(bgr.cols, bgr.rows));
  // Fine pass: the smallest face asked for becomes kSmallestNetworkFace, as
  // long as the image stays within max_working_side.
  float fine = kSmallestNetworkFace / std::max(options.min_face_px, 1.f);
  fine = std::min(fine, options.max_scaled_side / long_side);
  std::vector<float> scales{fine};
  // Coarser passes for faces larger than the largest anchors at the finer
  // scales: the long side at 640, then 320 (a face filling the frame).
  for (float side : {kCoarseSide, kCoarseSide / 2}) {
    const float coarse = side / long_side;
    if (coarse < scales.back() / 1.5f) scales.push_back(coarse);
  }

  std::vector<ScoredBox> found;
  for (float scale : scales) {
    CANDOR_RETURN_IF_ERROR(
        DetectAtScale(bgr, scale, options.max_tile_side, options.score_threshold, &found));
  }
  std::vector<ScoredBox> kept;
  for (ScoredBox& sb : SuppressContained(NonMaxSuppression(std::move(found), options.nms_iou),
                                         kPartOfAFaceArea, kPartOfAFaceContainment)) {
    // Boxes far below the smallest face asked for are not asked for.
    if (sb.box.height < 0.6f * options.min_face_px) continue;
    kept.push_back(sb);
  }
  std::stable_sort(kept.begin(), kept.end(), [](const ScoredBox& a, const ScoredBox& b) {
    return a.box.area() > b.box.area();
  });
  if (static_cast<int>(kept.size()) > options.max_faces) kept.resize(options.max_faces);
  return kept;
}

}  // namespace candor::detect
