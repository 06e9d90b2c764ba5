#include "engine/pipeline.h"

#include <algorithm>

namespace candor::engine {

StatusOr<std::unique_ptr<Pipeline>> Pipeline::Create(const models::ModelPack& pack) {
  auto p = std::make_unique<Pipeline>();
  CANDOR_ASSIGN_OR_RETURN(std::string detect_path, pack.PathOf("detect"));
  CANDOR_ASSIGN_OR_RETURN(models::DnnNet detect_net, models::DnnNet::Load(detect_path));
  p->detector = std::make_unique<detect::FaceDetector>(std::move(detect_net));
  CANDOR_ASSIGN_OR_RETURN(std::string landmark_path, pack.PathOf("landmark"));
  CANDOR_ASSIGN_OR_RETURN(models::DnnNet landmark_net, models::DnnNet::Load(landmark_path));
  p->landmarker = std::make_unique<detect::Landmarker>(std::move(landmark_net));
  CANDOR_ASSIGN_OR_RETURN(std::string feature_path, pack.PathOf("feature"));
  CANDOR_ASSIGN_OR_RETURN(models::DnnNet feature_net, models::DnnNet::Load(feature_path));
  p->embedder = std::make_unique<embed::Embedder>(std::move(feature_net));
  CANDOR_ASSIGN_OR_RETURN(p->analyzer, analyze::FaceAnalyzer::Create(pack));
  return p;
}

StatusOr<std::vector<Face>> Pipeline::Locate(const PreparedImage& image,
                                             const detect::DetectorOptions& detector_options,
                                             const detect::LandmarkerOptions& landmark_options) {
  CANDOR_ASSIGN_OR_RETURN(std::vector<detect::ScoredBox> boxes,
                          detector->Detect(image.decoded.bgr, detector_options));
  std::vector<Face> faces;
  faces.reserve(boxes.size());
  for (const detect::ScoredBox& sb : boxes) {
    Face face;
    face.box = sb.box;
    face.confidence = sb.score * 100.f;
    CANDOR_ASSIGN_OR_RETURN(
        face.landmarks68,
        landmarker->Predict(image.grey, detect::LandmarkerFrame(sb.box), landmark_options));
    face.five = detect::FivePointsFrom68(face.landmarks68);
    faces.push_back(face);
  }
  return faces;
}

Status Pipeline::DescribeDefault(const PreparedImage& image, Face* face) {
  analyze::FaceRegion region{image.decoded.bgr, image.grey, face->box, face->landmarks68};
  CANDOR_ASSIGN_OR_RETURN(face->pose, analyzer->HeadPose(region));
  face->quality = analyzer->Quality(region);
  return Status::Ok();
}

Status Pipeline::Describe(const PreparedImage& image, AttributeSet attributes, Face* face) {
  CANDOR_RETURN_IF_ERROR(DescribeDefault(image, face));
  analyze::FaceRegion region{image.decoded.bgr, image.grey, face->box, face->landmarks68};
  FaceAttributes& a = face->attributes;
  if (Includes(attributes, AttributeSet::kAgeRange)) {
    CANDOR_ASSIGN_OR_RETURN(a.age_range, analyzer->Age(region));
  }
  if (Includes(attributes, AttributeSet::kGender)) {
    CANDOR_ASSIGN_OR_RETURN(std::optional<BoolAttribute> female, analyzer->IsFemale(region));
    if (female) {
      a.gender = female->value ? Gender::kFemale : Gender::kMale;
      a.gender_confidence = female->confidence;
    } else {
      a.gender_withheld = true;
    }
  }
  if (Includes(attributes, AttributeSet::kEmotions | AttributeSet::kSmile)) {
    CANDOR_ASSIGN_OR_RETURN(std::vector<Emotion> emotions, analyzer->Emotions(region));
    float happy = 0;
    for (const Emotion& e : emotions) {
      if (e.type == EmotionType::kHappy) happy = e.confidence;
    }
    if (Includes(attributes, AttributeSet::kSmile)) a.smile = analyzer->Smile(region, happy);
    if (Includes(attributes, AttributeSet::kEmotions)) a.emotions = std::move(emotions);
  }
  if (Includes(attributes, AttributeSet::kEyesOpen)) {
    CANDOR_ASSIGN_OR_RETURN(a.eyes_open, analyzer->EyesOpen(region));
  }
  if (Includes(attributes, AttributeSet::kMouthOpen)) a.mouth_open = analyzer->MouthOpen(region);
  if (Includes(attributes, AttributeSet::kLiveness)) {
    CANDOR_ASSIGN_OR_RETURN(a.liveness_score, analyzer->Liveness(region));
  }
  return Status::Ok();
}

StatusOr<std::vector<float>> Pipeline::Embed(const PreparedImage& image, const Face& face,
                                             const embed::EmbedderOptions& options) {
  cv::Mat chip =
      embed::Embedder::AlignedChip(image.decoded.bgr, align::AlignmentTransform(face.five));
  return embedder->Embed(chip, options);
}

PipelinePool::PipelinePool(std::vector<std::unique_ptr<Pipeline>> pipelines)
    : owned_(std::move(pipelines)) {
  for (auto& p : owned_) free_.push_back(p.get());
}

PipelinePool::Lease PipelinePool::Acquire() {
  std::unique_lock<std::mutex> lock(mutex_);
  // First come, first served: a caller that just released a pipeline and
  // asks again waits behind the callers already waiting (otherwise the
  // latency tail under saturation grows without bound for unlucky callers).
  const uint64_t ticket = next_ticket_++;
  available_.wait(lock, [&] { return !free_.empty() && ticket == serving_; });
  ++serving_;
  Pipeline* p = free_.back();
  free_.pop_back();
  const bool more = !free_.empty();
  lock.unlock();
  if (more) available_.notify_all();  // the next ticket may take the next pipeline
  return Lease(this, p);
}

void PipelinePool::Release(Pipeline* pipeline) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    free_.push_back(pipeline);
  }
  available_.notify_all();
}

}  // namespace candor::engine
