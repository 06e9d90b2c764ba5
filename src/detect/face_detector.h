// Face detection with RetinaFace (MobileNetV2 backbone, FPN with SSH context
// modules; anchors of 16 and 32 px at stride 8, 64 and 128 at stride 16, 256
// and 512 at stride 32), converted from PyPI retinaface 1.1.1 by
// tools/models/convert_retinaface.py. The network is fully convolutional: it
// runs on the image scaled so that the smallest face asked for is large
// enough for it, padded to a multiple of 32, in overlapping tiles when the
// scaled image is larger than the network should see at once; large images
// also get a coarser pass for faces bigger than the largest anchors.
//
// A FaceDetector owns its network and is NOT safe for concurrent use; the
// engine keeps one per worker.
#ifndef CANDOR_DETECT_FACE_DETECTOR_H_
#define CANDOR_DETECT_FACE_DETECTOR_H_

#include <opencv2/core.hpp>
#include <vector>

#include "candor/status.h"
#include "detect/nms.h"
#include "models/dnn_net.h"

namespace candor::detect {

struct DetectorOptions {
  // Faces smaller than this (box height, pixels of the input image) need not
  // be found; it decides how much the image is enlarged and so the cost.
  float min_face_px = 20;
  // Network score (0..1) a box needs; see kDefaultScoreThreshold.
  float score_threshold = 0.7f;
  // Greedy NMS IoU, as in RetinaFace's reference code (0.4).
  float nms_iou = 0.4f;
  // Keep at most this many faces, the largest first (Rekognition: 100).
  int max_faces = 100;
  // The scaled image is never larger than this many pixels a side: it bounds
  // the work on very large images (the cost grows with the area, about 1.3 s
  // per 1920x1920 on one core), at the price of their smallest faces.
  int max_scaled_side = 4096;
  // The network never sees more than this many pixels a side at once; a
  // larger scaled image is cut into overlapping tiles (bounds the memory).
  int max_tile_side = 1920;
};

class FaceDetector {
 public:
  // The image is scaled so that a face of min_face_px becomes this many
  // pixels high. The smallest anchor is 16 px, but measured on the WIDER
  // subset the network finds 16-32 px faces (network pixels) far less often
  // than larger ones; 20 keeps a 640x480 image at its size with the default
  // min_face_px of 20 (README, "Detection").
  static constexpr float kSmallestNetworkFace = 20.f;

  explicit FaceDetector(models::DnnNet net) : net_(std::move(net)) {}

  // Faces in a BGR image, boxes in its pixels, sorted by area, largest first;
  // each with the network's five points (eyes, nose, mouth corners).
  StatusOr<std::vector<ScoredBox>> Detect(const cv::Mat& bgr, const DetectorOptions& options);

 private:
  // Runs the network on `bgr` scaled by `scale`, in tiles of at most
  // `max_tile_side`; appends boxes in `bgr`'s pixels scoring at least
  // `score_threshold`.
  Status DetectAtScale(const cv::Mat& bgr, float scale, int max_tile_side,
                       float score_threshold, std::vector<ScoredBox>* out);
  // Runs the network once on `tile` of `scaled`. Boxes touching a side of the
  // tile listed in `inner_sides` (left, top, right, bottom) are dropped:
  // that face lies whole in the neighbouring tile.
  Status DetectTile(const cv::Mat& scaled, const cv::Rect& tile, const bool inner_sides[4],
                    float to_image, float score_threshold, std::vector<ScoredBox>* out);

  models::DnnNet net_;
};

// The box the 68-point landmarker is given for a face RetinaFace found: the
// box the previous detector (RFB-320) drew around the same face, which the
// landmarker's crop was tuned on. Measured on 192 LFW images (every 40th
// file): RFB's box is, in the median, 0.977 times as wide and 1.022 times as
// high, with its centre 0.8% of the height higher. Keeping that frame keeps
// the 68 points, the alignment and so the stored embeddings as they were.
BoundingBox LandmarkerFrame(const BoundingBox& retinaface_box);

}  // namespace candor::detect

#endif  // CANDOR_DETECT_FACE_DETECTOR_H_
