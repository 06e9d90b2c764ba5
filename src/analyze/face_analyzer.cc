// FaceAnalyzer over the model pack's five attribute networks.
//
// Preprocessing lives in preprocess.cc, output decoding in faceres.cc,
// hopenet.cc and emotion.cc, network-free measures in face_measures.cc; this
// file runs the networks and turns their outputs into Rekognition's values.
#include "analyze/face_analyzer.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <opencv2/imgproc.hpp>
#include <string>
#include <utility>
#include <vector>

#include "analyze/emotion.h"
#include "analyze/face_analyzer_internal.h"
#include "analyze/face_measures.h"
#include "analyze/faceres.h"
#include "analyze/hopenet.h"
#include "analyze/preprocess.h"
#include "models/dnn_net.h"

namespace candor::analyze {
namespace {

// Hopenet-lite's output names in fr_pose.onnx, in the order yaw, pitch, roll
// (the graph's exported names; "617" and "618" are PyTorch node numbers).
const std::vector<std::string>& PoseOutputNames() {
  static const std::vector<std::string> kNames = {"output", "617", "618"};
  return kNames;
}

// The eye-state net's classes: 0 closed, 1 open (DESIGN.md). Checked on two
// samples of 97 LFW faces: class 1 wins on 86 and on 77 of them, and
// painting the eyes over with skin colour drops its mean probability from
// 87% (75%) to 27%.
constexpr int kEyeOpenClass = 1;
// The anti-spoofing net's live class (DESIGN.md): on NUAA with BGR input its
// mean probability is 1.00 for live faces and 0.00 for print attacks. (The
// original Silent-Face-Anti-Spoofing test.py reads class 1 as real; this
// export's class 0 is live, as the package's JavaScript used it.)
constexpr int kLiveClass = 0;
constexpr int kLivenessClasses = 3;

Status CheckImage(const FaceRegion& face) {
  if (face.bgr.empty() || face.bgr.type() != CV_8UC3) {
    return Status::InvalidArgument("face analysis needs a non-empty 8-bit BGR image");
  }
  if (face.box.width <= 0 || face.box.height <= 0) {
    return Status::InvalidArgument("face analysis needs a non-empty face box");
  }
  return Status::Ok();
}

// All values of the outputs, concatenated in order.
std::vector<float> Flatten(const std::vector<cv::Mat>& outputs) {
  std::vector<float> values;
  for (const cv::Mat& output : outputs) {
    cv::Mat continuous = output.isContinuous() ? output : output.clone();
    const float* data = continuous.ptr<float>();
    values.insert(values.end(), data, data + continuous.total());
  }
  return values;
}

class NetFaceAnalyzer final : public FaceAnalyzer {
 public:
  NetFaceAnalyzer(AnalyzerInputs inputs, models::DnnNet age_gender, models::DnnNet expression,
                  models::DnnNet pose, models::DnnNet eye, models::DnnNet liveness)
      : inputs_(std::move(inputs)),
        age_gender_(std::move(age_gender)),
        expression_(std::move(expression)),
        pose_(std::move(pose)),
        eye_(std::move(eye)),
        liveness_(std::move(liveness)) {}

  StatusOr<AgeRange> Age(const FaceRegion& face) override {
    CANDOR_ASSIGN_OR_RETURN(const FaceResResult* result, RunFaceRes(face));
    return AgeFromFaceRes(result->age, inputs_.age_range_mass);
  }

  StatusOr<std::optional<BoolAttribute>> IsFemale(const FaceRegion& face) override {
    CANDOR_ASSIGN_OR_RETURN(const FaceResResult* result, RunFaceRes(face));
    return FemaleFromFaceRes(result->age, result->male);
  }

  StatusOr<std::vector<Emotion>> Emotions(const FaceRegion& face) override {
    CANDOR_RETURN_IF_ERROR(CheckImage(face));
    const cv::Mat blob =
        MakeBlob(face.bgr, RegionFor(face.box, inputs_.expression), inputs_.expression);
    std::vector<cv::Mat> outputs;
    CANDOR_RETURN_IF_ERROR(expression_.Forward(blob, &outputs));
    const std::vector<float> values = Flatten(outputs);
    if (values.size() != kExpressionClasses) {
      return Status::Internal("expression network returned " + std::to_string(values.size()) +
                              " values, expected 7");
    }
    ExpressionProbabilities probabilities;
    std::copy(values.begin(), values.end(), probabilities.begin());
    return EmotionsFromProbabilities(probabilities);
  }

  StatusOr<Pose> HeadPose(const FaceRegion& face) override {
    CANDOR_RETURN_IF_ERROR(CheckImage(face));
    const cv::Mat blob = MakeBlob(face.bgr, RegionFor(face.box, inputs_.pose), inputs_.pose);
    std::vector<cv::Mat> outputs;
    CANDOR_RETURN_IF_ERROR(pose_.Forward(blob, &outputs, PoseOutputNames()));
    const std::vector<float> values = Flatten(outputs);
    if (outputs.size() != 3 || values.size() != 3 * kHopenetBins) {
      return Status::Internal("pose network returned " + std::to_string(values.size()) +
                              " values, expected 3 x 66");
    }
    Pose pose;
    pose.yaw = HopenetAngle(values.data());
    pose.pitch = HopenetAngle(values.data() + kHopenetBins);
    pose.roll = HopenetAngle(values.data() + 2 * kHopenetBins);
    return pose;
  }

  StatusOr<BoolAttribute> EyesOpen(const FaceRegion& face) override {
    CANDOR_RETURN_IF_ERROR(CheckImage(face));
    const EyeRegions eyes = EyeRegionsFrom(face.landmarks, inputs_.eye_crop_scale);
    const cv::Mat& source = face.grey.empty() ? face.bgr : face.grey;
    float open_sum = 0;
    for (const cv::Rect2f& region : {eyes.left, eyes.right}) {
      const cv::Mat blob = MakeBlob(source, region, inputs_.eye);
      std::vector<cv::Mat> outputs;
      CANDOR_RETURN_IF_ERROR(eye_.Forward(blob, &outputs));
      std::vector<float> values = Flatten(outputs);
      if (values.size() != 2) {
        return Status::Internal("eye network returned " + std::to_string(values.size()) +
                                " values, expected 2");
      }
      SoftmaxInPlace(values.data(), 2);
      open_sum += values[kEyeOpenClass];
    }
    const float open = open_sum / 2;
    const bool is_open = open > 0.5f;
    return BoolAttribute{is_open, 100.f * (is_open ? open : 1.f - open)};
  }

  StatusOr<float> Liveness(const FaceRegion& face) override {
    CANDOR_RETURN_IF_ERROR(CheckImage(face));
    const cv::Mat blob =
        MakeBlob(face.bgr, RegionFor(face.box, inputs_.liveness), inputs_.liveness);
    std::vector<cv::Mat> outputs;
    CANDOR_RETURN_IF_ERROR(liveness_.Forward(blob, &outputs));
    std::vector<float> values = Flatten(outputs);
    if (values.size() != kLivenessClasses) {
      return Status::Internal("liveness network returned " + std::to_string(values.size()) +
                              " values, expected 3");
    }
    SoftmaxInPlace(values.data(), kLivenessClasses);
    return values[kLiveClass];
  }

  ImageQuality Quality(const FaceRegion& face) override {
    if (!face.grey.empty()) return QualityOf(face.grey, face.box);
    if (face.bgr.empty() || face.bgr.type() != CV_8UC3) return ImageQuality{};
    cv::Mat grey;
    cv::cvtColor(face.bgr, grey, cv::COLOR_BGR2GRAY);
    return QualityOf(grey, face.box);
  }

  BoolAttribute MouthOpen(const FaceRegion& face) override { return MouthOpenFrom(face.landmarks); }

  BoolAttribute Smile(const FaceRegion& face, float happy_percent) override {
    return SmileFrom(happy_percent, face.landmarks);
  }

 private:
  struct FaceResResult {
    FaceResAgeProbabilities age{};
    float male = 0;
  };

  // One FaceRes pass serves both Age and IsFemale, which the engine asks for
  // one after the other: the last input blob and its outputs are kept, and
  // a call whose blob is byte-for-byte the same reuses them. Comparing the
  // blob (600 KB, well under a millisecond) rather than the image's address
  // and the box stays right when a caller reuses a buffer for new pixels
  // (video frames). The pointer is valid until the next call.
  StatusOr<const FaceResResult*> RunFaceRes(const FaceRegion& face) {
    CANDOR_RETURN_IF_ERROR(CheckImage(face));
    const cv::Mat blob =
        MakeBlob(face.bgr, RegionFor(face.box, inputs_.age_gender), inputs_.age_gender);
    if (!faceres_blob_.empty() && faceres_blob_.total() == blob.total() &&
        std::memcmp(faceres_blob_.ptr<float>(), blob.ptr<float>(),
                    blob.total() * sizeof(float)) == 0) {
      return &faceres_result_;
    }
    faceres_blob_.release();  // a failed pass must not leave a stale match
    std::vector<cv::Mat> outputs;
    CANDOR_RETURN_IF_ERROR(age_gender_.Forward(blob, &outputs, FaceResOutputNames()));
    if (outputs.size() != 2 || outputs[0].total() != kFaceResAgeClasses ||
        outputs[1].total() != 1) {
      return Status::Internal(age_gender_.path() + " returned " +
                              std::to_string(Flatten(outputs).size()) +
                              " values, expected 100 + 1");
    }
    const std::vector<float> values = Flatten(outputs);
    std::copy(values.begin(), values.begin() + kFaceResAgeClasses, faceres_result_.age.begin());
    faceres_result_.male = values[kFaceResAgeClasses];
    faceres_blob_ = blob.clone();
    return &faceres_result_;
  }

  AnalyzerInputs inputs_;
  models::DnnNet age_gender_;
  models::DnnNet expression_;
  models::DnnNet pose_;
  models::DnnNet eye_;
  models::DnnNet liveness_;
  cv::Mat faceres_blob_;  // the input of the last FaceRes pass, or empty
  FaceResResult faceres_result_;
};

StatusOr<models::DnnNet> LoadRole(const models::ModelPack& pack, const std::string& role) {
  CANDOR_ASSIGN_OR_RETURN(const std::string path, pack.PathOf(role));
  return models::DnnNet::Load(path);
}

}  // namespace

StatusOr<std::unique_ptr<FaceAnalyzer>> CreateFaceAnalyzer(const models::ModelPack& pack,
                                                           const AnalyzerInputs& inputs) {
  CANDOR_ASSIGN_OR_RETURN(models::DnnNet age_gender, LoadRole(pack, "age_gender"));
  CANDOR_ASSIGN_OR_RETURN(models::DnnNet expression, LoadRole(pack, "expression"));
  CANDOR_ASSIGN_OR_RETURN(models::DnnNet pose, LoadRole(pack, "pose"));
  CANDOR_ASSIGN_OR_RETURN(models::DnnNet eye, LoadRole(pack, "eye"));
  CANDOR_ASSIGN_OR_RETURN(models::DnnNet liveness, LoadRole(pack, "liveness"));
  return std::unique_ptr<FaceAnalyzer>(
      new NetFaceAnalyzer(inputs, std::move(age_gender), std::move(expression),
                          std::move(pose), std::move(eye), std::move(liveness)));
}

StatusOr<std::unique_ptr<FaceAnalyzer>> FaceAnalyzer::Create(const models::ModelPack& pack) {
  return CreateFaceAnalyzer(pack, DefaultAnalyzerInputs());
}

}  // namespace candor::analyze
