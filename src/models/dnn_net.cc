#include "models/dnn_net.h"

#include <opencv2/dnn.hpp>

namespace candor::models {

struct DnnNet::Impl {
  cv::dnn::Net net;
  std::string path;
  std::vector<std::string> default_outputs;
};

DnnNet::DnnNet(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DnnNet::DnnNet(DnnNet&&) noexcept = default;
DnnNet& DnnNet::operator=(DnnNet&&) noexcept = default;
DnnNet::~DnnNet() = default;

StatusOr<DnnNet> DnnNet::Load(const std::string& onnx_path) {
  auto impl = std::make_unique<Impl>();
  impl->path = onnx_path;
  try {
    impl->net = cv::dnn::readNetFromONNX(onnx_path);
    impl->net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
    impl->net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
    impl->default_outputs = impl->net.getUnconnectedOutLayersNames();
  } catch (const cv::Exception& e) {
    return Status::Corruption("cannot load model " + onnx_path + ": " + e.what());
  }
  if (impl->net.empty()) return Status::Corruption("model " + onnx_path + " loaded empty");
  return DnnNet(std::move(impl));
}

Status DnnNet::Forward(const cv::Mat& blob, std::vector<cv::Mat>* outputs,
                       const std::vector<std::string>& output_names) {
  try {
    impl_->net.setInput(blob);
    impl_->net.forward(*outputs, output_names.empty() ? impl_->default_outputs : output_names);
  } catch (const cv::Exception& e) {
    return Status::Internal("inference failed in " + impl_->path + ": " + e.what());
  }
  return Status::Ok();
}

const std::string& DnnNet::path() const { return impl_->path; }

}  // namespace candor::models
