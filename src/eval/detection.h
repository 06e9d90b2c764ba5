// Face detection on the shared WIDER FACE subset (200 validation images
// stretched to 416x416): recall and precision by face size at IoU 0.5.
//
// Conventions (say them with every number):
//  - Ground truth is gt_resized_416_wider_format.txt: the official boxes
//    rescaled to the stretched 416x416 images.
//  - Faces the annotators flagged "invalid" are "don't care": they count
//    neither for recall nor against precision (a detection on one is
//    ignored), as in the official WIDER evaluation. Every other face counts,
//    however tiny; most faces of this subset are under 16 px high, so the
//    smallest bin's recall is low by construction: the detector is not asked
//    for faces below its min_face_px (20 px by default).
//  - Face size is the box height in pixels of the 416x416 image (WIDER's
//    own difficulty split is by height too). A ground-truth face falls in
//    its bin for recall; a detection in the bin of its own height for
//    precision.
//  - Matching is greedy by detection score: each detection takes the
//    unmatched valid face of highest IoU if that is >= 0.5 (a true positive),
//    else is ignored if it overlaps an invalid face by >= 0.5, else is a
//    false positive.
// The subset is stretched and small: its figures are not comparable with
// published WIDER easy/medium/hard numbers.
//
// Thread safety: pure functions, except EvaluateDetection (see there).
#ifndef CANDOR_EVAL_DETECTION_H_
#define CANDOR_EVAL_DETECTION_H_

#include <array>
#include <limits>
#include <string>
#include <vector>

#include "candor/status.h"
#include "candor/types.h"
#include "detect/nms.h"

namespace candor::eval {

struct GroundTruthFace {
  BoundingBox box;       // pixels of the (stretched) image
  bool invalid = false;  // WIDER's "invalid" flag: don't care
};

struct AnnotatedImage {
  std::string file;  // as written in the annotation file
  std::vector<GroundTruthFace> faces;
};

// Parses the WIDER text format: per image a file name line, a count line,
// then `count` lines of "x1 y1 w h blur expression illumination invalid
// occlusion pose" (an image with 0 faces has one all-zero line that is not a
// face). Any deviation is InvalidArgument naming the line.
StatusOr<std::vector<AnnotatedImage>> ParseWiderAnnotations(const std::string& text);

// Upper edges of the size bins (box height, pixels): <16, 16-32, 32-64,
// 64-128, >=128.
inline constexpr std::array<float, 5> kFaceSizeBinUpper = {
    16, 32, 64, 128, std::numeric_limits<float>::infinity()};
inline constexpr int kFaceSizeBins = static_cast<int>(kFaceSizeBinUpper.size());
int FaceSizeBin(float height);
std::string FaceSizeBinName(int bin);  // "<16", "16-32", ..., ">=128"

struct DetectionBinCounts {
  long long faces = 0;             // valid ground-truth faces
  long long faces_found = 0;       // of which matched
  long long detections = 0;        // true + false positives (ignored ones left out)
  long long true_detections = 0;
  double Recall() const { return faces == 0 ? 0 : static_cast<double>(faces_found) / faces; }
  double Precision() const {
    return detections == 0 ? 0 : static_cast<double>(true_detections) / detections;
  }
};

struct DetectionCounts {
  std::array<DetectionBinCounts, kFaceSizeBins> bins{};
  long long invalid_faces = 0;        // don't-care faces seen
  long long ignored_detections = 0;   // detections on don't-care faces
  DetectionBinCounts Total() const;
};

// Adds one image's matching to `counts`.
void MatchDetections(const std::vector<GroundTruthFace>& truth,
                     const std::vector<detect::ScoredBox>& detections, float min_iou,
                     DetectionCounts* counts);

struct DetectionEvalOptions {
  std::string model_dir;  // empty: $CANDOR_MODELS, else the configured pack
  int threads = 2;
  float min_face_px = 20;           // the engine's default
  float score_threshold = 0.7f;     // the engine's default
  float min_iou = 0.5f;
  // The subset's images were stretched to 416x416 from their original sizes
  // (voc_xml_original/*.xml), which squashes every face; when true, each
  // image is resized back to its original width and height before detection
  // and the boxes are mapped back onto the 416x416 ground truth, so the
  // detector sees faces of natural shape (the bins stay in 416x416 pixels).
  // min_face_px then counts pixels of the restored image.
  bool restore_aspect = false;
};

struct DetectionReport {
  std::string dataset;
  int images = 0;
  DetectionCounts counts;
  double seconds = 0;
};

// Runs the detector over <data_dir>/widerface_val200. Creates its own
// networks (one set per thread).
StatusOr<DetectionReport> EvaluateDetection(const std::string& data_dir,
                                            const DetectionEvalOptions& options);

}  // namespace candor::eval

#endif  // CANDOR_EVAL_DETECTION_H_
