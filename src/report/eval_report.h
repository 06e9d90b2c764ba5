// The evaluation report: what Candor's networks are worth on the shared
// labelled data, for publication beside the service. One JSON document
// (the record) and one self-contained HTML page rendered from it alone, so
// that the page can be rebuilt from the JSON without the data or the models.
//
// The JSON document:
//   {"title", "generated" (UTC date), "face_model_version",
//    "default_similarity": the threshold of the group comparison and its
//                    warning (absent in older records: the demographics
//                    section's, else kDefaultReportSimilarity),
//    "lfw":          LfwSectionJson or null (not measured),
//    "fairness":     FairnessSectionJson plus "dataset" (the data directory)
//                    and "date", or null,
//    "demographics": DemographicsSectionJson or null,
//    "attributes":   AttributesJson or null,
//    "detection":    DetectionJson or null}
// Each section carries its data set and the date it was measured.
//
// FairnessSectionJson (also what `candor eval fairness --json` prints):
//   {"what", "calibration" (the version measured, or "cross-fitted (2 folds)"),
//    "calibration_method", "shipped_calibration" (the engine's version),
//    "cross_fitted", "lfw_images", "lfw_faces", "utkface_images",
//    "utkface_faces",
//    "tables": [ per eval::FairnessTable (LFW, UTKFace adults, UTKFace all
//                ages): {"dataset", "identities_known", "similarities",
//      "groups": [{"group", "impostor_pairs", "likely_duplicates",
//                  "false_matches", "false_match_rate",
//                  "false_match_rate_lower", "false_match_rate_upper"
//                  (95% Clopper-Pearson), and where identities are known
//                  "genuine_pairs", "false_non_matches",
//                  "false_non_match_rate"}; arrays per similarity],
//      "worst_over_best": [per similarity: {"similarity",
//                  "claimed_false_match_rate" (FalseMatchRateAt),
//                  "worst_group", "best_group", "worst_rate", "best_rate",
//                  "worst_over_claim", "ratio" (a number, or the string
//                  "inf" when the best group has no false match),
//                  "ratio_lower_bound" (at 95%)}]}]}
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
#include "eval/fairness.h"
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
// The fairness table the warning reads: UTKFace's adults, as named by
// eval::EvaluateFairness (src/eval/fairness.cc), the faces whose groups the
// shipped calibration's worst-group fit also uses (FitShippedCalibration).
inline constexpr const char* kFairnessWarningTablePrefix = "UTKFace, 18 and over";

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

// The per-group rates of eval::EvaluateFairness (see the JSON description
// above); `shipped_calibration_version` is the engine's calibration.
nlohmann::json FairnessSectionJson(const eval::FairnessReport& report,
                                   const std::string& shipped_calibration_version);

nlohmann::json AttributesJson(const eval::AttributeReport& report);
nlohmann::json DetectionJson(const eval::DetectionReport& report,
                             const eval::DetectionEvalOptions& options);

// Within-group false-match rates at one similarity compared: highest over
// lowest among groups with pairs (the first group of a tie).
struct GroupFmrComparison {
  std::string section;  // "fairness" or "demographics"
  std::string dataset;  // the table or data set compared
  bool cross_fitted = false;
  double similarity = 0;
  std::string worst_group, best_group;
  double worst_rate = 0, best_rate = 0;
  // +infinity when the best group has no false match and the worst has
  // some; 0 when none has.
  double ratio = 0;
  double ratio_lower_bound_95 = 0;  // NaN where the section does not say
};

// The record's default similarity: "default_similarity", else the
// demographics section's, else kDefaultReportSimilarity.
double ReportDefaultSimilarity(const nlohmann::json& report);

// The fairness section's UTKFace-adults table (kFairnessWarningTablePrefix)
// at `similarity`; nullopt when the section, the table or the similarity is
// missing, or no group has pairs.
std::optional<GroupFmrComparison> FairnessFmrComparison(const nlohmann::json& report,
                                                        double similarity);
// The demographics section at its own default threshold; nullopt likewise.
std::optional<GroupFmrComparison> DemographicsFmrComparison(const nlohmann::json& report);
// What the warning reads: the fairness comparison at the default similarity
// when there is one, else the demographics section's.
std::optional<GroupFmrComparison> DefaultThresholdFmrComparison(const nlohmann::json& report);
// DefaultThresholdFmrComparison's ratio: nullopt when neither section can
// say, +infinity and 0 as above.
std::optional<double> DefaultThresholdFmrRatio(const nlohmann::json& report);

// The page; every string from the JSON is escaped, a missing section says
// "not measured".
std::string RenderEvalReportHtml(const nlohmann::json& report);

}  // namespace candor::report

#endif  // CANDOR_REPORT_EVAL_REPORT_H_
