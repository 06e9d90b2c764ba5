#include "models/dnn_net.h"

#include <cstdlib>
#include <opencv2/dnn.hpp>

#ifdef CANDOR_ONNXRUNTIME
#include "models/ort_net.h"
#endif

namespace candor::models {

const char* InferenceBackendName(InferenceBackend backend) {
  return backend == InferenceBackend::kOnnxRuntime ? "onnxruntime" : "opencv";
}

bool OnnxRuntimeBuilt() {
#ifdef CANDOR_ONNXRUNTIME
  return true;
#else
  return false;
#endif
}

StatusOr<InferenceBackend> DefaultInferenceBackend() {
  const char* env = std::getenv("CANDOR_INFERENCE");
  const std::string wanted = env == nullptr ? "" : env;
  if (wanted.empty()) {
    return OnnxRuntimeBuilt() ? InferenceBackend::kOnnxRuntime : InferenceBackend::kOpenCv;
  }
  if (wanted == "opencv") return InferenceBackend::kOpenCv;
  if (wanted == "onnxruntime") {
    if (!OnnxRuntimeBuilt()) {
      return Status::InvalidArgument(
          "CANDOR_INFERENCE=onnxruntime, but this build has no ONNX Runtime "
          "(run tools/fetch_onnxruntime.sh and configure again)");
    }
    return InferenceBackend::kOnnxRuntime;
  }
  return Status::InvalidArgument("CANDOR_INFERENCE must be opencv or onnxruntime, not '" +
                                 wanted + "'");
}

struct DnnNet::Impl {
  InferenceBackend backend = InferenceBackend::kOpenCv;
  cv::dnn::Net net;
#ifdef CANDOR_ONNXRUNTIME
  std::unique_ptr<OrtNet> ort;
#endif
  std::string path;
  std::vector<std::string> default_outputs;
};

DnnNet::DnnNet(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DnnNet::DnnNet(DnnNet&&) noexcept = default;
DnnNet& DnnNet::operator=(DnnNet&&) noexcept = default;
DnnNet::~DnnNet() = default;

StatusOr<DnnNet> DnnNet::Load(const std::string& onnx_path) {
  CANDOR_ASSIGN_OR_RETURN(InferenceBackend backend, DefaultInferenceBackend());
  return Load(onnx_path, backend);
}

StatusOr<DnnNet> DnnNet::Load(const std::string& onnx_path, InferenceBackend backend) {
  auto impl = std::make_unique<Impl>();
  impl->path = onnx_path;
  impl->backend = backend;
  if (backend == InferenceBackend::kOnnxRuntime) {
#ifdef CANDOR_ONNXRUNTIME
    CANDOR_ASSIGN_OR_RETURN(impl->ort, OrtNet::Open(onnx_path, cv::getNumThreads()));
    return DnnNet(std::move(impl));
#else
    return Status::Unsupported("cannot load model " + onnx_path +
                               ": this build has no ONNX Runtime backend");
#endif
  }
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
#ifdef CANDOR_ONNXRUNTIME
  if (impl_->ort != nullptr) return impl_->ort->Run(blob, outputs, output_names);
#endif
  try {
    impl_->net.setInput(blob);
    impl_->net.forward(*outputs, output_names.empty() ? impl_->default_outputs : output_names);
  } catch (const cv::Exception& e) {
    return Status::Internal("inference failed in " + impl_->path + ": " + e.what());
  }
  return Status::Ok();
}

const std::string& DnnNet::path() const { return impl_->path; }
InferenceBackend DnnNet::backend() const { return impl_->backend; }

}  // namespace candor::models
