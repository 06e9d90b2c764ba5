// The one adapter around the inference library: every network forward pass in
// Candor goes through DnnNet. Two backends run the same ONNX files: ONNX
// Runtime (src/models/ort_net.h; the default when built with
// CANDOR_ONNXRUNTIME, 2-4 times as fast per network on one core, README
// "Speed") and OpenCV DNN (always built; the fallback, and the reference the
// equivalence test compares against). CANDOR_INFERENCE=opencv|onnxruntime picks one at
// run time for the whole process (benchmarks compare them that way). Both use
// cv::getNumThreads() threads inside one forward pass, as set when the
// network is loaded (the engine sets it from EngineOptions::inference_threads).
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

enum class InferenceBackend { kOpenCv, kOnnxRuntime };

// "opencv" or "onnxruntime".
const char* InferenceBackendName(InferenceBackend backend);

// Whether this build has the ONNX Runtime backend (CANDOR_ONNXRUNTIME).
bool OnnxRuntimeBuilt();

// The backend Load(path) uses: CANDOR_INFERENCE when set, else ONNX Runtime
// when built, else OpenCV. An unknown CANDOR_INFERENCE value, or
// "onnxruntime" in a build without it, is InvalidArgument (never a silent
// fallback: a benchmark must measure what it names).
StatusOr<InferenceBackend> DefaultInferenceBackend();

class DnnNet {
 public:
  // Loads an ONNX file with DefaultInferenceBackend(); a file the library
  // cannot read becomes a Corruption status naming the file.
  static StatusOr<DnnNet> Load(const std::string& onnx_path);
  // The same with a named backend; Unsupported when it is not built.
  static StatusOr<DnnNet> Load(const std::string& onnx_path, InferenceBackend backend);

  DnnNet(DnnNet&&) noexcept;
  DnnNet& operator=(DnnNet&&) noexcept;
  ~DnnNet();

  // Runs the network on an NCHW float blob and returns the named outputs in
  // the order asked (all unconnected outputs, in the network's order, when
  // `output_names` is empty).
  Status Forward(const cv::Mat& blob, std::vector<cv::Mat>* outputs,
                 const std::vector<std::string>& output_names = {});

  const std::string& path() const;
  InferenceBackend backend() const;

 private:
  struct Impl;
  explicit DnnNet(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace candor::models

#endif  // CANDOR_MODELS_DNN_NET_H_
