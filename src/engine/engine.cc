#include "candor/engine.h"

#include <algorithm>
#include <cstdlib>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <thread>

#include "engine/pipeline.h"
#include "models/dnn_net.h"

namespace candor {
namespace {

// CompareFaces compares the source face with at most this many target faces
// (Rekognition's documented limit).
constexpr int kMaxCompareTargets = 100;

std::string DefaultPath(const std::string& given, const char* env, const std::string& fallback) {
  if (!given.empty()) return given;
  if (const char* v = std::getenv(env); v != nullptr && *v != '\0') return v;
  return fallback;
}

class EngineImpl final : public Engine {
 public:
  EngineImpl(EngineOptions options, models::ModelPack pack, Calibration calibration,
             std::vector<std::unique_ptr<engine::Pipeline>> pipelines)
      : options_(std::move(options)),
        pack_(std::move(pack)),
        calibration_(std::move(calibration)),
        pool_(std::move(pipelines)) {
    detector_options_.min_face_px = options_.min_face_px;
    detector_options_.score_threshold = options_.detection_threshold;
    landmark_options_.refine = options_.refine_landmarks;
    embedder_options_.flip_average = options_.flip_average;
  }

  StatusOr<DetectResult> DetectFaces(const std::string& bytes, AttributeSet attributes) override {
    CANDOR_ASSIGN_OR_RETURN(engine::PreparedImage image, Prepare(bytes));
    auto pipeline = pool_.Acquire();
    DetectResult result;
    result.image = image.info;
    CANDOR_ASSIGN_OR_RETURN(result.faces,
                            pipeline->Locate(image, detector_options_, landmark_options_));
    for (Face& face : result.faces) {
      CANDOR_RETURN_IF_ERROR(pipeline->Describe(image, attributes, &face));
    }
    return result;
  }

  StatusOr<EmbedResult> EmbedFaces(const std::string& bytes, int max_faces,
                                   std::optional<AttributeSet> describe) override {
    if (max_faces < 1) return Status::InvalidArgument("max_faces must be at least 1");
    CANDOR_ASSIGN_OR_RETURN(engine::PreparedImage image, Prepare(bytes));
    auto pipeline = pool_.Acquire();
    return EmbedPrepared(*pipeline.operator->(), image, max_faces, describe);
  }

  StatusOr<CompareResult> CompareFaces(const std::string& source_bytes,
                                       const std::string& target_bytes,
                                       float similarity_threshold) override {
    if (!(similarity_threshold >= 0.f && similarity_threshold <= 100.f)) {
      return Status::InvalidArgument("SimilarityThreshold must be between 0 and 100");
    }
    CANDOR_ASSIGN_OR_RETURN(engine::PreparedImage source, Prepare(source_bytes));
    CANDOR_ASSIGN_OR_RETURN(engine::PreparedImage target, Prepare(target_bytes));
    auto pipeline = pool_.Acquire();
    CANDOR_ASSIGN_OR_RETURN(EmbedResult source_faces,
                            EmbedPrepared(*pipeline.operator->(), source, 1, AttributeSet::kDefault));
    if (source_faces.faces.empty()) {
      return Status::InvalidArgument("no face was found in the source image");
    }
    CANDOR_ASSIGN_OR_RETURN(EmbedResult target_faces,
                            EmbedPrepared(*pipeline.operator->(), target, kMaxCompareTargets,
                                          AttributeSet::kDefault));
    if (target_faces.faces.empty()) {
      // Rekognition's model: no face in the source or the target image is
      // an InvalidParameterException, not an empty answer.
      return Status::InvalidArgument("no face was found in the target image");
    }
    CompareResult result;
    result.calibration_version = calibration_.version();
    result.source_image = source.info;
    result.target_image = target.info;
    result.source_face = source_faces.faces[0].face;
    const std::vector<float>& probe = source_faces.faces[0].embedding;
    for (EmbeddedFace& candidate : target_faces.faces) {
      const float cosine = embed::Cosine(probe, candidate.embedding);
      const float similarity = calibration_.Similarity(cosine);
      if (similarity >= similarity_threshold) {
        result.matches.push_back({std::move(candidate.face), similarity, cosine,
                                  FalseMatchRateAt(similarity)});
      } else {
        result.unmatched.push_back(std::move(candidate.face));
      }
    }
    std::stable_sort(result.matches.begin(), result.matches.end(),
                     [](const FaceMatch& a, const FaceMatch& b) { return a.similarity > b.similarity; });
    return result;
  }

  StatusOr<std::vector<Face>> DetectFacesInFrame(const Frame& frame,
                                                 AttributeSet attributes) override {
    CANDOR_ASSIGN_OR_RETURN(engine::PreparedImage image, Prepare(frame));
    auto pipeline = pool_.Acquire();
    CANDOR_ASSIGN_OR_RETURN(std::vector<Face> faces,
                            pipeline->Locate(image, detector_options_, landmark_options_));
    for (Face& face : faces) {
      CANDOR_RETURN_IF_ERROR(pipeline->Describe(image, attributes, &face));
    }
    return faces;
  }

  StatusOr<std::vector<float>> EmbedFaceInFrame(const Frame& frame, const Face& face) override {
    CANDOR_ASSIGN_OR_RETURN(engine::PreparedImage image, Prepare(frame));
    auto pipeline = pool_.Acquire();
    return pipeline->Embed(image, face, embedder_options_);
  }

  const Calibration& calibration() const override { return calibration_; }
  const std::string& face_model_version() const override { return pack_.face_model_version(); }
  std::string embedding_fingerprint() const override {
    return pack_.face_model_version() + ";flip=" + std::to_string(options_.flip_average) +
           ";refine=" + std::to_string(options_.refine_landmarks) +
           ";min_face=" + std::to_string(options_.min_face_px) +
           ";det=" + std::to_string(options_.detection_threshold) + ";pipeline=4-retinaface" +
           InferenceTag();
  }

 private:
  // The inference library, so that an evaluation never reads embeddings that
  // another backend computed (they differ in the sixth digit). OpenCV, the
  // only backend before, adds nothing: existing caches stay valid for it.
  static std::string InferenceTag() {
    auto backend = models::DefaultInferenceBackend();
    if (!backend.ok() || backend.value() == models::InferenceBackend::kOpenCv) return "";
    return std::string(";inference=") + models::InferenceBackendName(backend.value());
  }

  StatusOr<engine::PreparedImage> Prepare(const std::string& bytes) const {
    engine::PreparedImage image;
    CANDOR_ASSIGN_OR_RETURN(image.decoded,
                            image::DecodeImage(reinterpret_cast<const uint8_t*>(bytes.data()),
                                               bytes.size()));
    cv::cvtColor(image.decoded.bgr, image.grey, cv::COLOR_BGR2GRAY);
    image.info.width = image.decoded.bgr.cols;
    image.info.height = image.decoded.bgr.rows;
    image.info.orientation_correction = image.decoded.orientation_correction;
    return image;
  }

  // Wraps the caller's pixels (no copy): they outlive the call.
  static StatusOr<engine::PreparedImage> Prepare(const Frame& frame) {
    if (frame.bgr == nullptr || frame.width < 1 || frame.height < 1 ||
        frame.stride < static_cast<size_t>(frame.width) * 3) {
      return Status::InvalidArgument("the frame has no pixels or a stride below 3 x width");
    }
    engine::PreparedImage image;
    image.decoded.bgr = cv::Mat(frame.height, frame.width, CV_8UC3,
                                const_cast<uint8_t*>(frame.bgr), frame.stride);
    cv::cvtColor(image.decoded.bgr, image.grey, cv::COLOR_BGR2GRAY);
    image.info.width = frame.width;
    image.info.height = frame.height;
    return image;
  }

  StatusOr<EmbedResult> EmbedPrepared(engine::Pipeline& pipeline,
                                      const engine::PreparedImage& image, int max_faces,
                                      std::optional<AttributeSet> describe) {
    EmbedResult result;
    result.image = image.info;
    detect::DetectorOptions options = detector_options_;
    options.max_faces = std::min(options.max_faces, max_faces);
    CANDOR_ASSIGN_OR_RETURN(std::vector<Face> faces,
                            pipeline.Locate(image, options, landmark_options_));
    for (Face& face : faces) {
      if (describe) {
        CANDOR_RETURN_IF_ERROR(pipeline.Describe(image, *describe, &face));
      }
      CANDOR_ASSIGN_OR_RETURN(std::vector<float> embedding,
                              pipeline.Embed(image, face, embedder_options_));
      result.faces.push_back({std::move(face), std::move(embedding)});
    }
    return result;
  }

  const EngineOptions options_;
  const models::ModelPack pack_;
  const Calibration calibration_;
  detect::DetectorOptions detector_options_;
  detect::LandmarkerOptions landmark_options_;
  embed::EmbedderOptions embedder_options_;
  engine::PipelinePool pool_;
};

}  // namespace

StatusOr<std::unique_ptr<Engine>> Engine::Create(const EngineOptions& given) {
  EngineOptions options = given;
  const std::string source_dir = CANDOR_SOURCE_DIR;
  options.model_dir = DefaultPath(options.model_dir, "CANDOR_MODELS", CANDOR_DEFAULT_MODEL_DIR);
  options.manifest_path =
      DefaultPath(options.manifest_path, "CANDOR_MANIFEST", source_dir + "/models/manifest.json");
  options.calibration_path = DefaultPath(options.calibration_path, "CANDOR_CALIBRATION",
                                         source_dir + "/models/calibration.json");
  const int hardware = std::max(1u, std::thread::hardware_concurrency());
  if (options.workers <= 0) options.workers = hardware;
  if (options.inference_threads <= 0) options.inference_threads = options.workers > 1 ? 1 : hardware;
  cv::setNumThreads(options.inference_threads);

  CANDOR_ASSIGN_OR_RETURN(models::ModelPack pack,
                          models::ModelPack::Load(options.manifest_path, options.model_dir));
  Calibration calibration;
  if (options.calibration_path != "none") {
    CANDOR_ASSIGN_OR_RETURN(calibration, Calibration::Load(options.calibration_path));
    // Similarities of one embedding read through another's table would mean
    // nothing: refuse, before anything else is loaded.
    if (calibration.metadata().face_model_version != pack.face_model_version()) {
      return Status::InvalidArgument(
          options.calibration_path + " was measured for face model " +
          calibration.metadata().face_model_version + ", but the model pack is " +
          pack.face_model_version() + " (rebuild it with `candor eval calibrate`)");
    }
  }
  std::vector<std::unique_ptr<engine::Pipeline>> pipelines;
  for (int i = 0; i < options.workers; ++i) {
    CANDOR_ASSIGN_OR_RETURN(auto pipeline, engine::Pipeline::Create(pack));
    pipelines.push_back(std::move(pipeline));
  }
  return std::unique_ptr<Engine>(
      new EngineImpl(options, std::move(pack), std::move(calibration), std::move(pipelines)));
}

}  // namespace candor
