// The one adapter around OpenCV DNN: every network forward pass in Candor goes
// through DnnNet, so the inference library can be replaced in this file alone.
//
// A DnnNet is NOT safe for concurrent use: cv::dnn::Net keeps per-call state.
// The engine gives each worker its own instances (see engine/pipeline.h).
#ifndef CANDOR_MODELS_DNN_NET_H_
#define CANDOR_MODELS_DNN_NET_H_

#include <memory>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "candor/status.h"

namespace candor::models {

class DnnNet {
 public:
  // Loads an ONNX file; exceptions from OpenCV become a Corruption status
  // naming the file.
  static StatusOr<DnnNet> Load(const std::string& onnx_path);

  DnnNet(DnnNet&&) noexcept;
  DnnNet& operator=(DnnNet&&) noexcept;
  ~DnnNet();

  // Runs the network on an NCHW float blob and returns the named outputs in
  // the order asked (all unconnected outputs, in the network's order, when
  // `output_names` is empty).
  Status Forward(const cv::Mat& blob, std::vector<cv::Mat>* outputs,
                 const std::vector<std::string>& output_names = {});

  const std::string& path() const;

 private:
  struct Impl;
  explicit DnnNet(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace candor::models

#endif  // CANDOR_MODELS_DNN_NET_H_
