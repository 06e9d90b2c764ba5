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

struct EmbedderOptions {
  // Add the embedding of the mirrored chip before normalising (the usual
  // test-time augmentation for ArcFace-family models; costs a second pass).
  bool flip_average = true;
  // Feed the network RGB, as it was trained (InsightFace reads with cv2 and
  // converts to RGB). Only tests set this to false, to prove it matters.
  bool rgb = true;
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
