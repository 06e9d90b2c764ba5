// One worker's set of networks, and the pool the engine hands them out from.
//
// A Pipeline is NOT safe for concurrent use; PipelinePool is: Acquire()
// blocks until a pipeline is free and the lease returns it when destroyed.
#ifndef CANDOR_ENGINE_PIPELINE_H_
#define CANDOR_ENGINE_PIPELINE_H_

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "analyze/face_analyzer.h"
#include "candor/engine.h"
#include "detect/face_detector.h"
#include "detect/landmarker.h"
#include "embed/embedder.h"
#include "image/image_decoder.h"
#include "models/model_pack.h"

namespace candor::engine {

// The upright image in the two forms the networks read.
struct PreparedImage {
  image::DecodedImage decoded;
  cv::Mat grey;
  ImageInfo info;
};

struct Pipeline {
  static StatusOr<std::unique_ptr<Pipeline>> Create(const models::ModelPack& pack);

  // Detection and landmarks for every face (largest first, at most max_faces).
  StatusOr<std::vector<Face>> Locate(const PreparedImage& image,
                                     const detect::DetectorOptions& detector_options,
                                     const detect::LandmarkerOptions& landmark_options);
  // Pose and quality (Rekognition's DEFAULT attributes besides box and landmarks).
  Status DescribeDefault(const PreparedImage& image, Face* face);
  // DescribeDefault and what `attributes` asks for, running only the
  // networks that needs.
  Status Describe(const PreparedImage& image, AttributeSet attributes, Face* face);
  StatusOr<std::vector<float>> Embed(const PreparedImage& image, const Face& face,
                                     const embed::EmbedderOptions& options);

  std::unique_ptr<detect::FaceDetector> detector;
  std::unique_ptr<detect::Landmarker> landmarker;
  std::unique_ptr<embed::Embedder> embedder;
  std::unique_ptr<analyze::FaceAnalyzer> analyzer;
};

class PipelinePool {
 public:
  class Lease {
   public:
    Lease(PipelinePool* pool, Pipeline* pipeline) : pool_(pool), pipeline_(pipeline) {}
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() { pool_->Release(pipeline_); }
    Pipeline* operator->() const { return pipeline_; }

   private:
    PipelinePool* pool_;
    Pipeline* pipeline_;
  };

  explicit PipelinePool(std::vector<std::unique_ptr<Pipeline>> pipelines);
  Lease Acquire();

 private:
  void Release(Pipeline* pipeline);

  std::vector<std::unique_ptr<Pipeline>> owned_;
  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<Pipeline*> free_;  // guarded by mutex_
  uint64_t next_ticket_ = 0;     // guarded by mutex_: the next caller's place in line
  uint64_t serving_ = 0;         // guarded by mutex_: the place now served
};

}  // namespace candor::engine

#endif  // CANDOR_ENGINE_PIPELINE_H_
