// One ONNX Runtime session behind DnnNet (src/models/dnn_net.h), through the
// ORT C API alone (tools/fetch_onnxruntime.sh installs the header and library
// in .deps/onnxruntime). Built only with CANDOR_ONNXRUNTIME.
//
// An OrtNet is NOT safe for concurrent use through DnnNet's contract (ORT
// itself would allow it): each engine worker owns its own networks.
#ifndef CANDOR_MODELS_ORT_NET_H_
#define CANDOR_MODELS_ORT_NET_H_

#include <memory>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "candor/status.h"

namespace candor::models {

class OrtNet {
 public:
  // Opens `onnx_path` with `intra_threads` threads inside one forward pass
  // (DnnNet passes OpenCV's cv::getNumThreads(), which the engine sets from
  // EngineOptions::inference_threads: 1 when workers run in parallel) and
  // one inter-op thread. A file ORT cannot read becomes Corruption naming the
  // file; a library whose API is older than the header built against becomes
  // Unsupported.
  static StatusOr<std::unique_ptr<OrtNet>> Open(const std::string& onnx_path, int intra_threads);

  ~OrtNet();
  OrtNet(const OrtNet&) = delete;
  OrtNet& operator=(const OrtNet&) = delete;

  // Feeds the NCHW float `blob` to the network's one input and returns the
  // outputs named (all graph outputs in order when `output_names` is empty),
  // each as a CV_32F cv::Mat of the tensor's shape, as OpenCV DNN returns them.
  Status Run(const cv::Mat& blob, std::vector<cv::Mat>* outputs,
             const std::vector<std::string>& output_names);

 private:
  struct Handles;
  // One ORT Run of a continuous float blob whose shape the file accepts.
  Status RunOnce(const cv::Mat& input, std::vector<cv::Mat>* outputs,
                 const std::vector<std::string>& output_names);
  explicit OrtNet(std::unique_ptr<Handles> handles);
  std::unique_ptr<Handles> handles_;
};

}  // namespace candor::models

#endif  // CANDOR_MODELS_ORT_NET_H_
