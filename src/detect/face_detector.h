// Face detection with the Ultra-Light-Fast RFB-320 network over an image
// pyramid of 320x240 tiles, so that small faces in large images are found
// although the network's input is fixed.
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
  // Faces smaller than this (box side, pixels of the input image) need not be
  // found; it decides the finest pyramid level and so the cost on big images.
  float min_face_px = 20;
  // Network score (0..1) a box needs. 0.7 is the detector's published
  // default (Ultra-Light-Fast-Generic-Face-Detector, run_video_face_detect.py).
  float score_threshold = 0.7f;
  // Greedy NMS IoU, as in the detector's reference code (hard_nms, 0.3).
  float nms_iou = 0.3f;
  // Keep at most this many faces, the largest first (Rekognition: 100).
  int max_faces = 100;
  // The finest level never works on more than this many pixels a side.
  int max_working_side = 4096;
};

class FaceDetector {
 public:
  // Network input, fixed by the ONNX graph: 320 wide, 240 high.
  static constexpr int kInputWidth = 320;
  static constexpr int kInputHeight = 240;

  explicit FaceDetector(models::DnnNet net) : net_(std::move(net)) {}

  // Faces in a BGR image, boxes in its pixels, sorted by area, largest first.
  StatusOr<std::vector<ScoredBox>> Detect(const cv::Mat& bgr, const DetectorOptions& options);

 private:
  // Runs the network on one 320x240 window of `level` (an already-scaled
  // image) whose top-left is `origin`; appends boxes in level pixels. On a
  // fine level, boxes cut by the window or too large for it are dropped.
  Status DetectWindow(const cv::Mat& level, cv::Point origin, float score_threshold,
                      bool fine_level, std::vector<ScoredBox>* out);

  // The best score of a box overlapping `candidate` when the network looks
  // again at it, zoomed; see kVerifyBelow in the .cc.
  StatusOr<float> VerifiedScore(const cv::Mat& bgr, const ScoredBox& candidate);

  models::DnnNet net_;
};

}  // namespace candor::detect

#endif  // CANDOR_DETECT_FACE_DETECTOR_H_
