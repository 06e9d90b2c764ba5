// Face embeddings: the aligned 112x112 chip through MobileFaceNet, 512-d,
// L2-normalised, compared by cosine (a dot product of unit vectors).
//
// An Embedder owns its network and is NOT safe for concurrent use.
#ifndef CANDOR_EMBED_EMBEDDER_H_
#define CANDOR_EMBED_EMBEDDER_H_

#include <opencv2/core.hpp>
#include <vector>

#include "align/aligner.h"
#include "candor/status.h"
#include "models/dnn_net.h"

namespace candor::embed {

inline constexpr int kEmbeddingSize = 512;

// MobileFaceNet input normalisation, as InsightFace trains its recognition
// models: (x - 127.5) / 127.5 per channel. tests/pipeline_test.cc shows that
// other values lose accuracy on LFW.
inline constexpr float kInputMean = 127.5f;
inline constexpr float kInputScale = 1.f / 127.5f;

struct EmbedderOptions {
  // Add the embedding of the mirrored chip before normalising (the usual
  // test-time augmentation for ArcFace-family models). It costs a second
  // forward pass and gains little here (LFW 99.45% with, 99.40% without), so
  // it is off by default.
  bool flip_average = false;
  // Channel order fed to the network. This MobileFaceNet was trained on BGR
  // (OpenCV-read) images: BGR gives LFW 99.40%, RGB 99.20%, and
  // tests/pipeline_test.cc checks the difference on a sample. Only tests
  // change this and the two below, to prove that the defaults matter.
  bool rgb = false;
  float input_mean = kInputMean;
  float input_scale = kInputScale;
};

class Embedder {
 public:
  explicit Embedder(models::DnnNet net) : net_(std::move(net)) {}

  // The 112x112 BGR chip for a transform from AlignmentTransform().
  static cv::Mat AlignedChip(const cv::Mat& bgr, const align::Affine& transform);

  // A unit-length kEmbeddingSize vector for a chip.
  StatusOr<std::vector<float>> Embed(const cv::Mat& chip_bgr, const EmbedderOptions& options);

 private:
  models::DnnNet net_;
};

// Cosine similarity of two unit vectors of the same length.
float Cosine(const std::vector<float>& a, const std::vector<float>& b);

}  // namespace candor::embed

#endif  // CANDOR_EMBED_EMBEDDER_H_
