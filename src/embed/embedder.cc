#include "embed/embedder.h"

#include <cmath>
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>

namespace candor::embed {
cv::Mat Embedder::AlignedChip(const cv::Mat& bgr, const align::Affine& t) {
  cv::Matx23d m(t[0], t[1], t[2], t[3], t[4], t[5]);
  cv::Mat chip;
  cv::warpAffine(bgr, chip, m, cv::Size(align::kChipSize, align::kChipSize), cv::INTER_LINEAR,
                 cv::BORDER_CONSTANT, cv::Scalar(0, 0, 0));
  return chip;
}

StatusOr<std::vector<float>> Embedder::Embed(const cv::Mat& chip_bgr,
                                             const EmbedderOptions& options) {
  if (chip_bgr.rows != align::kChipSize || chip_bgr.cols != align::kChipSize ||
      chip_bgr.type() != CV_8UC3) {
    return Status::InvalidArgument("embedder needs a 112x112 BGR chip");
  }
  std::vector<cv::Mat> images{chip_bgr};
  if (options.flip_average) {
    cv::Mat flipped;
    cv::flip(chip_bgr, flipped, 1);
    images.push_back(flipped);
  }
  const double mean = options.input_mean;
  cv::Mat blob = cv::dnn::blobFromImages(images, options.input_scale, cv::Size(),
                                         cv::Scalar(mean, mean, mean),
                                         /*swapRB=*/options.rgb, /*crop=*/false);
  std::vector<cv::Mat> outputs;
  CANDOR_RETURN_IF_ERROR(net_.Forward(blob, &outputs));
  const cv::Mat& out = outputs[0];
  if (out.total() != images.size() * kEmbeddingSize) {
    return Status::Internal("feature network returned an unexpected shape");
  }
  const float* v = out.ptr<float>();
  std::vector<float> embedding(kEmbeddingSize, 0.f);
  for (size_t img = 0; img < images.size(); ++img) {
    for (int i = 0; i < kEmbeddingSize; ++i) embedding[i] += v[img * kEmbeddingSize + i];
  }
  double norm = 0;
  for (float x : embedding) norm += double(x) * x;
  norm = std::sqrt(norm);
  if (!(norm > 0)) return Status::Internal("feature network returned a zero vector");
  for (float& x : embedding) x = static_cast<float>(x / norm);
  return embedding;
}

float Cosine(const std::vector<float>& a, const std::vector<float>& b) {
  float dot = 0;
  const size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) dot += a[i] * b[i];
  return dot;
}

}  // namespace candor::embed
