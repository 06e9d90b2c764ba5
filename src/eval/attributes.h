// How good the attribute networks are on labelled faces:
//  - gender accuracy and age error per race x gender group on UTKFace
//    (labels from the file names; see utkface.h);
//  - emotion accuracy and the confusion matrix on the FER-2013 test split
//    (the folder is the label);
//  - liveness on NUAA: genuine photos called spoofs and spoofs called
//    genuine, at a live probability of 0.5.
//
// Faces are found as the engine finds them (detector, then landmarks); the
// largest face of each image is judged. UTKFace and NUAA images without a
// face are left out and counted. FER-2013 images are 48x48: they are
// upscaled to 192x192 for the detector and, where it finds nothing, the
// whole image is the face, which is FER's own framing (as
// tests/analyze_test.cc does).
//
// Thread safety: EvaluateAttributes creates its own networks; pure
// otherwise.
#ifndef CANDOR_EVAL_ATTRIBUTES_H_
#define CANDOR_EVAL_ATTRIBUTES_H_

#include <array>
#include <string>
#include <vector>

#include "candor/status.h"
#include "eval/metrics.h"
#include "eval/utkface.h"

namespace candor::eval {

// FER-2013's classes in the order of the expression network's outputs
// (DESIGN.md), which is also the order of candor::EmotionType.
inline constexpr std::array<const char*, 7> kFerClasses = {"angry", "disgust",  "fear",  "happy",
                                                           "sad",   "surprise", "neutral"};

struct AgeGenderGroup {
  int faces = 0;         // judged
  int without_face = 0;  // no face found: left out
  int gender_correct = 0;   // of the faces given a gender
  int gender_withheld = 0;  // judged too young to tell (analyze/faceres.h)
  double age_abs_error_sum = 0;
  int age_inside_range = 0;  // true age within [AgeRange.low, AgeRange.high]
  std::vector<float> age_estimates;
  std::vector<int> true_ages;

  // Of the faces given a gender; and the share of judged faces given one.
  double GenderAccuracy() const {
    const int told = faces - gender_withheld;
    return told == 0 ? 0 : static_cast<double>(gender_correct) / told;
  }
  double GenderCoverage() const {
    return faces == 0 ? 0 : static_cast<double>(faces - gender_withheld) / faces;
  }
  double AgeMae() const { return faces == 0 ? 0 : age_abs_error_sum / faces; }
  double AgeInsideRange() const {
    return faces == 0 ? 0 : static_cast<double>(age_inside_range) / faces;
  }
};

// Mean and population standard deviation; {0, 0} for no values.
struct MeanStd {
  double mean = 0;
  double std = 0;
};
MeanStd MeanAndStd(const std::vector<float>& values);

// Pearson correlation of the estimates with the true ages (0 when either
// does not vary or the sizes differ).
double AgeCorrelation(const std::vector<float>& estimates, const std::vector<int>& true_ages);

// The error of always answering the median true age: the baseline that an
// age network must beat to know anything.
double ConstantGuessMae(std::vector<int> true_ages);

struct LivenessCounts {
  int genuine = 0;                // live faces judged
  int genuine_called_spoof = 0;   // live probability < threshold
  int spoof = 0;                  // attack faces judged
  int spoof_called_genuine = 0;   // live probability >= threshold
  int without_face = 0;           // either folder: left out
  double GenuineRejectRate() const {
    return genuine == 0 ? 0 : static_cast<double>(genuine_called_spoof) / genuine;
  }
  double SpoofAcceptRate() const {
    return spoof == 0 ? 0 : static_cast<double>(spoof_called_genuine) / spoof;
  }
};

struct AttributeEvalOptions {
  std::string model_dir;  // empty: $CANDOR_MODELS, else the configured pack
  int threads = 2;
  // Every n-th file in name order (per folder): 1 takes all. FER-2013's
  // 7,178 faces cost ~0.1 s each on one core for the expression network.
  int utkface_stride = 1;
  int fer_stride = 1;
  int nuaa_stride = 1;
  float live_threshold = 0.5f;  // live probability at or above: genuine
  bool utkface = true;          // which parts to run
  bool fer = true;
  bool nuaa = true;
};

struct AttributeReport {
  std::string utkface_dataset, fer_dataset, nuaa_dataset;
  int utkface_stride = 1, fer_stride = 1, nuaa_stride = 1;
  std::array<AgeGenderGroup, kUtkFaceGroups> groups{};  // by UtkFaceGroupIndex
  AgeGenderGroup all;                                   // every group together
  ConfusionMatrix emotions{static_cast<int>(kFerClasses.size())};
  int fer_whole_image = 0;  // FER faces the detector missed: whole image used
  LivenessCounts liveness;
  float live_threshold = 0.5f;
  double seconds = 0;
};

StatusOr<AttributeReport> EvaluateAttributes(const std::string& data_dir,
                                             const AttributeEvalOptions& options);

}  // namespace candor::eval

#endif  // CANDOR_EVAL_ATTRIBUTES_H_
