// The evaluation report: what Candor's networks are worth on the shared
// labelled data, for publication beside the service. One JSON document
// (the record) and one self-contained HTML page rendered from it alone, so
// that the page can be rebuilt from the JSON without the data or the models.
//
// The JSON document:
//   {"title", "generated" (UTC date), "face_model_version",
//    "lfw":          LfwSectionJson or null (not measured),
//    "demographics": DemographicsSectionJson or null,
//    "attributes":   AttributesJson or null,
//    "detection":    DetectionJson or null}
// Each section carries its data set and the date it was measured.
//
// Thread safety: pure functions.
#ifndef CANDOR_REPORT_EVAL_REPORT_H_
#define CANDOR_REPORT_EVAL_REPORT_H_

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "eval/attributes.h"
#include "eval/demographics.h"
#include "eval/detection.h"
#include "eval/lfw.h"

namespace candor::report {

// Published LFW verification accuracies of other open models, quoted from
// their authors (not measured here); the report labels them so.
struct PublishedPeer {
  const char* model;
  double lfw_accuracy_percent;
  const char* source;
};
inline constexpr PublishedPeer kPublishedLfwPeers[] = {
    {"dlib face recognition ResNet", 99.38, "dlib model release notes (D. King, 2017)"},
    {"OpenCV SFace", 99.40, "OpenCV Zoo, face_recognition_sface"},
    {"MobileFaceNet", 99.5, "Chen et al., MobileFaceNets (2018): 99.55%"},
    {"InsightFace ArcFace ResNet-50", 99.83, "Deng et al., ArcFace (2019) / InsightFace model zoo"},
};

// Rekognition's default SearchFaces / CompareFaces threshold (Similarity 80):
// the "default threshold" of the report's warning.
inline constexpr float kDefaultReportSimilarity = 80.f;
// Worse than this worst/best ratio of within-group false-match rates at the
// default threshold, the report shows a warning box.
inline constexpr double kFmrRatioWarningAbove = 2.0;

// "2026-11-23" for now, UTC.
std::string TodayUtc();

// LFW 10-fold: the summary, genuine and impostor similarity histograms
// (cosine, 60 bins over [-0.2, 1]) and DET points (thresholds every 0.01).
nlohmann::json LfwSectionJson(const eval::LfwEvaluation& lfw, const std::string& dataset,
                              const std::string& face_model_version);

// UTKFace impostor pairs: per group, the false-match rate at each similarity
// threshold of `report` (whose thresholds should span 0..99.9 for a curve),
// and the worst/best comparison at `default_similarity` (which must be one
// of them).
nlohmann::json DemographicsSectionJson(const eval::DemographicsReport& report,
                                       const std::string& dataset, float default_similarity);

nlohmann::json AttributesJson(const eval::AttributeReport& report);
nlohmann::json DetectionJson(const eval::DetectionReport& report,
                             const eval::DetectionEvalOptions& options);

// The within-group false-match rates of the demographics section at its
// default threshold compared: highest over lowest among groups with pairs.
// nullopt when the section or the threshold is missing; +infinity when the
// best group has no false match and the worst has some; 0 when none has.
std::optional<double> DefaultThresholdFmrRatio(const nlohmann::json& report);

// The page; every string from the JSON is escaped, a missing section says
// "not measured".
std::string RenderEvalReportHtml(const nlohmann::json& report);

}  // namespace candor::report

#endif  // CANDOR_REPORT_EVAL_REPORT_H_
