// The engine: DetectFaces, CompareFaces and face embeddings, the only entry
// point the server and the CLI use.
//
// An Engine is safe for concurrent use from multiple threads without external
// synchronization: it keeps one set of networks per worker and hands a free
// set to each call, so up to `workers` calls run in parallel and the rest
// wait.
#ifndef CANDOR_ENGINE_H_
#define CANDOR_ENGINE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "candor/calibration.h"
#include "candor/status.h"
#include "candor/types.h"

namespace candor {

struct EngineOptions {
  // Directory with the model pack's ONNX files; empty: $CANDOR_MODELS, else
  // the directory the build was configured with (.models/ in the source tree).
  std::string model_dir;
  // models/manifest.json; empty: the one in the source tree.
  std::string manifest_path;
  // models/calibration.json; empty: the one in the source tree.
  std::string calibration_path;
  // Parallel calls (sets of networks); 0: one per hardware thread.
  int workers = 0;
  // Threads OpenCV may use inside one forward pass; 0: 1 when workers > 1
  // (parallelism across images is cheaper), else the hardware threads.
  int inference_threads = 0;
  // Smallest face (pixels) that detection must find; see DetectorOptions.
  float min_face_px = 20;
  // Detector score (0..1) a face needs.
  float detection_threshold = 0.7f;
  // Average the embeddings of the chip and its mirror image: a second forward
  // pass for +0.05 points of LFW accuracy (99.45% against 99.40%).
  bool flip_average = false;
  // Second landmark pass on the first pass's extent.
  bool refine_landmarks = false;
};

// Which attributes a face is described with (Rekognition's Attributes):
// the DEFAULT members (box, confidence, landmarks, pose, quality) always,
// and each of these flags when asked for; only the networks a set needs run.
enum class AttributeSet : unsigned {
  kDefault = 0,
  kAgeRange = 1u << 0,   // AgeRange, CandorAgeEstimate (the age/gender network)
  kGender = 1u << 1,     // Gender (the same network, the same pass)
  kEmotions = 1u << 2,   // Emotions (the expression network)
  kSmile = 1u << 3,      // Smile (the expression network's HAPPY)
  kEyesOpen = 1u << 4,   // EyesOpen
  kMouthOpen = 1u << 5,  // MouthOpen (from the landmarks)
  kLiveness = 1u << 6,   // CandorLiveness (asked for by ALL only)
  kAll = (1u << 7) - 1,
};
constexpr AttributeSet operator|(AttributeSet a, AttributeSet b) {
  return static_cast<AttributeSet>(static_cast<unsigned>(a) | static_cast<unsigned>(b));
}
// Whether `set` asks for any of `part`.
constexpr bool Includes(AttributeSet set, AttributeSet part) {
  return (static_cast<unsigned>(set) & static_cast<unsigned>(part)) != 0;
}

struct ImageInfo {
  int width = 0;   // of the upright image, pixels
  int height = 0;
  Orientation orientation_correction = Orientation::kRotate0;
};

struct DetectResult {
  ImageInfo image;
  std::vector<Face> faces;  // largest first
};

// A face with its embedding.
struct EmbeddedFace {
  Face face;
  std::vector<float> embedding;  // unit length
};

struct EmbedResult {
  ImageInfo image;
  std::vector<EmbeddedFace> faces;  // largest first
};

struct FaceMatch {
  Face face;
  float similarity = 0;        // calibrated percent, 0..100
  float cosine = 0;            // raw score, for diagnostics
  double false_match_rate = 0; // estimated per comparison at this similarity
};

// A face left out of a comparison by a QualityFilter, with Rekognition's
// reasons (LOW_SHARPNESS, ...).
struct FilteredFace {
  Face face;
  std::vector<std::string> reasons;
};

struct CompareResult {
  ImageInfo source_image;
  ImageInfo target_image;
  Face source_face;
  std::vector<FaceMatch> matches;  // similarity >= threshold, highest first
  std::vector<Face> unmatched;
  std::vector<FilteredFace> filtered;  // target faces below the QualityFilter: not compared
  std::string calibration_version;  // of the calibration that gave the similarities
};

// Decoded 8-bit BGR pixels, such as a video frame: `height` rows of
// `width` pixels, `stride` bytes apart. Only read during the call.
struct Frame {
  const uint8_t* bgr = nullptr;
  int width = 0;
  int height = 0;
  size_t stride = 0;
};

class Engine {
 public:
  // Verifies and loads the whole model pack and the calibration; fails with
  // an error naming the first missing or corrupt file, nothing half-loaded.
  static StatusOr<std::unique_ptr<Engine>> Create(const EngineOptions& options);
  virtual ~Engine() = default;

  // Faces in encoded image bytes (JPEG, PNG, WebP, BMP, TIFF).
  virtual StatusOr<DetectResult> DetectFaces(const std::string& image_bytes,
                                             AttributeSet attributes) = 0;

  // Faces with embeddings, at most `max_faces`, largest first. With
  // `describe`, each face also carries those attributes (pose and quality
  // for kDefault), as IndexFaces needs for its quality filter.
  virtual StatusOr<EmbedResult> EmbedFaces(const std::string& image_bytes, int max_faces,
                                           std::optional<AttributeSet> describe = {}) = 0;

  // The largest face of the source against up to 100 faces of the target.
  // `similarity_threshold` in percent, 0..100 (Rekognition's default is 80).
  virtual StatusOr<CompareResult> CompareFaces(const std::string& source_bytes,
                                               const std::string& target_bytes,
                                               float similarity_threshold) = 0;

  // DetectFaces on decoded pixels (video): faces largest first, boxes and
  // landmarks in pixels of the frame. No embedding is computed, so that a
  // tracker can decide which faces are worth one (EmbedFaceInFrame).
  virtual StatusOr<std::vector<Face>> DetectFacesInFrame(const Frame& frame,
                                                         AttributeSet attributes) = 0;
  // The embedding of a face that DetectFacesInFrame found in this frame.
  virtual StatusOr<std::vector<float>> EmbedFaceInFrame(const Frame& frame, const Face& face) = 0;

  virtual const Calibration& calibration() const = 0;
  virtual const std::string& face_model_version() const = 0;
  // The model version plus every option that changes embeddings; caches of
  // embeddings are keyed by it.
  virtual std::string embedding_fingerprint() const = 0;
};

}  // namespace candor

#endif  // CANDOR_ENGINE_H_
