#include "models/ort_net.h"

#include <onnxruntime_c_api.h>

#include <algorithm>
#include <cstring>

namespace candor::models {
namespace {

// The C API table and the one OrtEnv of the process (ORT wants a single
// environment; sessions share its logging). Never released: sessions may be
// destroyed during static destruction, after an Env freed here would be gone.
struct Runtime {
  const OrtApi* api = nullptr;
  OrtEnv* env = nullptr;
  OrtMemoryInfo* cpu = nullptr;
  std::string error;
};

const Runtime& GetRuntime() {
  static const Runtime* runtime = [] {
    auto* r = new Runtime;
    r->api = OrtGetApiBase()->GetApi(ORT_API_VERSION);
    if (r->api == nullptr) {
      r->error = std::string("the ONNX Runtime library (") + OrtGetApiBase()->GetVersionString() +
                 ") is older than the C API header built against (API " +
                 std::to_string(ORT_API_VERSION) + "); run tools/fetch_onnxruntime.sh";
      return r;
    }
    OrtStatus* status = r->api->CreateEnv(ORT_LOGGING_LEVEL_ERROR, "candor", &r->env);
    if (status == nullptr) {
      status = r->api->CreateCpuMemoryInfo(OrtDeviceAllocator, OrtMemTypeDefault, &r->cpu);
    }
    if (status != nullptr) {
      r->error = r->api->GetErrorMessage(status);
      r->api->ReleaseStatus(status);
    }
    return r;
  }();
  return *runtime;
}

// An OrtStatus turned into a Status of `code`, the status released.
Status Take(OrtStatus* status, StatusCode code, const std::string& context) {
  if (status == nullptr) return Status::Ok();
  const OrtApi* api = GetRuntime().api;
  std::string message = context + ": " + api->GetErrorMessage(status);
  api->ReleaseStatus(status);
  return Status(code, std::move(message));
}

// Copies one output tensor into a CV_32F Mat of its shape. Integer and double
// outputs are converted, as OpenCV DNN hands every output back as float.
StatusOr<cv::Mat> ToMat(const OrtApi* api, OrtValue* value, const std::string& context) {
  OrtTensorTypeAndShapeInfo* info = nullptr;
  CANDOR_RETURN_IF_ERROR(
      Take(api->GetTensorTypeAndShape(value, &info), StatusCode::kInternal, context));
  size_t rank = 0;
  ONNXTensorElementDataType type = ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED;
  std::vector<int64_t> dims;
  Status read = Take(api->GetDimensionsCount(info, &rank), StatusCode::kInternal, context);
  if (read.ok()) {
    dims.resize(rank);
    read = Take(api->GetDimensions(info, dims.data(), rank), StatusCode::kInternal, context);
  }
  if (read.ok()) {
    read = Take(api->GetTensorElementType(info, &type), StatusCode::kInternal, context);
  }
  api->ReleaseTensorTypeAndShapeInfo(info);
  CANDOR_RETURN_IF_ERROR(read);

  // A Mat has at least two dimensions; a scalar or vector becomes one row.
  std::vector<int> sizes;
  for (int64_t d : dims) sizes.push_back(static_cast<int>(d));
  if (sizes.empty()) sizes = {1, 1};
  if (sizes.size() == 1) sizes.insert(sizes.begin(), 1);
  cv::Mat out(static_cast<int>(sizes.size()), sizes.data(), CV_32F);
  if (out.total() == 0) return out;

  void* data = nullptr;
  CANDOR_RETURN_IF_ERROR(
      Take(api->GetTensorMutableData(value, &data), StatusCode::kInternal, context));
  int cv_type = -1;
  switch (type) {
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT:
      std::memcpy(out.data, data, out.total() * sizeof(float));
      return out;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_DOUBLE: cv_type = CV_64F; break;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32: cv_type = CV_32S; break;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8:
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_BOOL: cv_type = CV_8U; break;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64: {
      const auto* values = static_cast<const int64_t*>(data);
      auto* dst = out.ptr<float>();
      for (size_t i = 0; i < out.total(); ++i) dst[i] = static_cast<float>(values[i]);
      return out;
    }
    default:
      return Status::Unsupported(context + ": output element type " + std::to_string(type) +
                                 " is not numeric");
  }
  cv::Mat(static_cast<int>(sizes.size()), sizes.data(), cv_type, data).convertTo(out, CV_32F);
  return out;
}

}  // namespace

struct OrtNet::Handles {
  const OrtApi* api = nullptr;
  ::OrtSession* session = nullptr;
  std::string path;
  std::vector<std::string> input_names;
  std::vector<std::string> output_names;
  // The input's first dimension is fixed at 1 in the file (every network of
  // the pack but the detector). OpenCV DNN runs such a network on a batch
  // anyway (the embedder's flip-averaging feeds two chips), ORT refuses: a
  // batch is then run one sample at a time and the outputs stacked.
  bool batch_of_one = false;

  ~Handles() {
    if (session != nullptr) api->ReleaseSession(session);
  }
};

OrtNet::OrtNet(std::unique_ptr<Handles> handles) : handles_(std::move(handles)) {}
OrtNet::~OrtNet() = default;

StatusOr<std::unique_ptr<OrtNet>> OrtNet::Open(const std::string& onnx_path, int intra_threads) {
  const Runtime& runtime = GetRuntime();
  if (runtime.api == nullptr) return Status::Unsupported(runtime.error);
  if (!runtime.error.empty()) {
    return Status::Internal("cannot start ONNX Runtime: " + runtime.error);
  }
  const OrtApi* api = runtime.api;
  auto handles = std::make_unique<Handles>();
  handles->api = api;
  handles->path = onnx_path;

  OrtSessionOptions* options = nullptr;
  CANDOR_RETURN_IF_ERROR(
      Take(api->CreateSessionOptions(&options), StatusCode::kInternal, "session options"));
  Status configured = Take(api->SetIntraOpNumThreads(options, std::max(1, intra_threads)),
                           StatusCode::kInternal, "threads");
  if (configured.ok() && intra_threads > 1) {
    // Each network of each worker has its own pool; spinning idle pools would
    // take the cores from the network that is running.
    configured = Take(api->AddSessionConfigEntry(options, "session.intra_op.allow_spinning", "0"),
                      StatusCode::kInternal, "threads");
  }
  if (configured.ok()) {
    configured = Take(api->SetInterOpNumThreads(options, 1), StatusCode::kInternal, "threads");
  }
  if (configured.ok()) {
    configured = Take(api->SetSessionGraphOptimizationLevel(options, ORT_ENABLE_ALL),
                      StatusCode::kInternal, "optimisation level");
  }
  if (configured.ok()) {
    configured = Take(api->CreateSession(runtime.env, onnx_path.c_str(), options, &handles->session),
                      StatusCode::kCorruption, "cannot load model " + onnx_path);
  }
  api->ReleaseSessionOptions(options);
  CANDOR_RETURN_IF_ERROR(configured);

  OrtAllocator* allocator = nullptr;
  CANDOR_RETURN_IF_ERROR(Take(api->GetAllocatorWithDefaultOptions(&allocator),
                              StatusCode::kInternal, "allocator"));
  auto names = [&](bool inputs, std::vector<std::string>* out) -> Status {
    size_t count = 0;
    CANDOR_RETURN_IF_ERROR(Take(inputs ? api->SessionGetInputCount(handles->session, &count)
                                       : api->SessionGetOutputCount(handles->session, &count),
                                StatusCode::kCorruption, onnx_path));
    for (size_t i = 0; i < count; ++i) {
      char* name = nullptr;
      CANDOR_RETURN_IF_ERROR(
          Take(inputs ? api->SessionGetInputName(handles->session, i, allocator, &name)
                      : api->SessionGetOutputName(handles->session, i, allocator, &name),
               StatusCode::kCorruption, onnx_path));
      out->emplace_back(name);
      CANDOR_RETURN_IF_ERROR(
          Take(api->AllocatorFree(allocator, name), StatusCode::kInternal, onnx_path));
    }
    return Status::Ok();
  };
  CANDOR_RETURN_IF_ERROR(names(true, &handles->input_names));
  CANDOR_RETURN_IF_ERROR(names(false, &handles->output_names));
  // Every network of the pack takes one image blob; DnnNet has no way to feed
  // a second input, so a model asking for one cannot be served.
  if (handles->input_names.size() != 1) {
    return Status::Unsupported("model " + onnx_path + " has " +
                               std::to_string(handles->input_names.size()) +
                               " inputs; Candor feeds exactly one");
  }
  OrtTypeInfo* type_info = nullptr;
  CANDOR_RETURN_IF_ERROR(Take(api->SessionGetInputTypeInfo(handles->session, 0, &type_info),
                              StatusCode::kCorruption, onnx_path));
  const OrtTensorTypeAndShapeInfo* tensor_info = nullptr;
  size_t rank = 0;
  Status shape = Take(api->CastTypeInfoToTensorInfo(type_info, &tensor_info),
                      StatusCode::kCorruption, onnx_path);
  if (shape.ok() && tensor_info != nullptr) {
    shape = Take(api->GetDimensionsCount(tensor_info, &rank), StatusCode::kCorruption, onnx_path);
  }
  if (shape.ok() && rank > 0) {
    std::vector<int64_t> dims(rank);
    shape = Take(api->GetDimensions(tensor_info, dims.data(), rank), StatusCode::kCorruption,
                 onnx_path);
    handles->batch_of_one = shape.ok() && dims[0] == 1;
  }
  api->ReleaseTypeInfo(type_info);
  CANDOR_RETURN_IF_ERROR(shape);
  return std::unique_ptr<OrtNet>(new OrtNet(std::move(handles)));
}

Status OrtNet::Run(const cv::Mat& blob, std::vector<cv::Mat>* outputs,
                   const std::vector<std::string>& output_names) {
  const std::string context = "inference failed in " + handles_->path;
  if (blob.depth() != CV_32F || blob.channels() != 1 || blob.empty() || blob.dims < 2) {
    return Status::InvalidArgument(context + ": the input must be a non-empty float blob");
  }
  const cv::Mat input = blob.isContinuous() ? blob : blob.clone();
  const int batch = input.size[0];
  if (!handles_->batch_of_one || batch == 1) return RunOnce(input, outputs, output_names);

  // One sample at a time, each output stacked along the first dimension.
  const std::vector<int> sample_shape = [&] {
    std::vector<int> shape(input.size.p, input.size.p + input.dims);
    shape[0] = 1;
    return shape;
  }();
  const size_t sample_size = input.total() / batch;
  std::vector<std::vector<cv::Mat>> per_sample(batch);
  for (int b = 0; b < batch; ++b) {
    const cv::Mat sample(input.dims, sample_shape.data(), CV_32F,
                         const_cast<float*>(input.ptr<float>()) + b * sample_size);
    CANDOR_RETURN_IF_ERROR(RunOnce(sample, &per_sample[b], output_names));
  }
  outputs->clear();
  for (size_t o = 0; o < per_sample[0].size(); ++o) {
    const cv::Mat& first = per_sample[0][o];
    std::vector<int> stacked(first.size.p, first.size.p + first.dims);
    stacked[0] = batch;
    cv::Mat out(first.dims, stacked.data(), CV_32F);
    for (int b = 0; b < batch; ++b) {
      std::memcpy(out.ptr<float>() + b * first.total(), per_sample[b][o].ptr<float>(),
                  first.total() * sizeof(float));
    }
    outputs->push_back(std::move(out));
  }
  return Status::Ok();
}

Status OrtNet::RunOnce(const cv::Mat& input, std::vector<cv::Mat>* outputs,
                       const std::vector<std::string>& output_names) {
  const OrtApi* api = handles_->api;
  const std::string context = "inference failed in " + handles_->path;
  std::vector<int64_t> shape(input.size.p, input.size.p + input.dims);

  OrtValue* tensor = nullptr;
  CANDOR_RETURN_IF_ERROR(Take(
      api->CreateTensorWithDataAsOrtValue(GetRuntime().cpu, const_cast<uchar*>(input.data),
                                          input.total() * sizeof(float), shape.data(),
                                          shape.size(), ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT,
                                          &tensor),
      StatusCode::kInternal, context));

  const std::vector<std::string>& wanted =
      output_names.empty() ? handles_->output_names : output_names;
  std::vector<const char*> wanted_c;
  for (const std::string& name : wanted) wanted_c.push_back(name.c_str());
  const char* input_name = handles_->input_names[0].c_str();
  std::vector<OrtValue*> results(wanted.size(), nullptr);
  Status ran = Take(api->Run(handles_->session, nullptr, &input_name, &tensor, 1, wanted_c.data(),
                             wanted_c.size(), results.data()),
                    StatusCode::kInternal, context);
  api->ReleaseValue(tensor);

  outputs->clear();
  for (OrtValue* value : results) {
    if (ran.ok()) {
      StatusOr<cv::Mat> mat = ToMat(api, value, context);
      if (mat.ok()) {
        outputs->push_back(std::move(mat.value()));
      } else {
        ran = mat.status();
      }
    }
    if (value != nullptr) api->ReleaseValue(value);
  }
  if (!ran.ok()) outputs->clear();
  return ran;
}

}  // namespace candor::models
