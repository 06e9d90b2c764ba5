// The JSON record of the evaluation report (see eval_report.h); the page is
// rendered in eval_report_html.cc.
#include "report/eval_report.h"

#include <cmath>
#include <ctime>
#include <limits>
#include <optional>
#include <string>

#include "candor/calibration.h"
#include "eval/metrics.h"
#include "eval/utkface.h"

namespace candor::report {
namespace {

using nlohmann::json;

// Cosine range of the LFW histograms: impostors sit near 0, genuine pairs
// near 0.7; faces not found score -1 and are clamped into the first bin.
constexpr float kHistogramLow = -0.2f, kHistogramHigh = 1.0f;
constexpr int kHistogramBins = 60;

json MaybeNumber(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

json GroupJson(const eval::AgeGenderGroup& g, const std::string& name) {
  const eval::MeanStd estimate = eval::MeanAndStd(g.age_estimates);
  return {{"group", name},
          {"faces", g.faces},
          {"without_face", g.without_face},
          {"gender_accuracy", g.GenderAccuracy()},
          {"gender_coverage", g.GenderCoverage()},
          {"gender_withheld", g.gender_withheld},
          {"age_mae", g.AgeMae()},
          {"age_inside_range", g.AgeInsideRange()},
          {"age_estimate_mean", estimate.mean},
          {"age_estimate_std", estimate.std},
          {"constant_guess_mae", eval::ConstantGuessMae(g.true_ages)},
          {"age_correlation", eval::AgeCorrelation(g.age_estimates, g.true_ages)}};
}

// "inf" where the ratio is unbounded, as `candor eval fairness --json` has
// always written it.
json RatioOrInf(double x) {
  if (std::isinf(x)) return "inf";
  return x;
}

json FairnessTableJson(const eval::FairnessTable& t) {
  json groups = json::array();
  for (const eval::GroupRates& g : t.groups) {
    json fmr = json::array(), lower = json::array(), upper = json::array(), fnmr = json::array();
    for (size_t s = 0; s < t.similarities.size(); ++s) {
      const eval::ProportionInterval ci =
          eval::ClopperPearson(g.false_matches[s], g.impostor_pairs);
      fmr.push_back(g.impostor_pairs ? static_cast<double>(g.false_matches[s]) / g.impostor_pairs
                                     : 0.0);
      lower.push_back(ci.lower);
      upper.push_back(ci.upper);
      if (g.genuine_pairs)
        fnmr.push_back(static_cast<double>(g.false_non_matches[s]) / g.genuine_pairs);
    }
    json row = {{"group", g.group},
                {"impostor_pairs", g.impostor_pairs},
                {"likely_duplicates", g.likely_duplicates},
                {"false_matches", g.false_matches},
                {"false_match_rate", fmr},
                {"false_match_rate_lower", lower},
                {"false_match_rate_upper", upper}};
    if (t.identities_known) {
      row["genuine_pairs"] = g.genuine_pairs;
      row["false_non_matches"] = g.false_non_matches;
      row["false_non_match_rate"] = fnmr;
    }
    groups.push_back(row);
  }
  json ratios = json::array();
  for (size_t s = 0; s < t.similarities.size(); ++s) {
    const eval::RateRatio r = eval::CompareGroupRates(t, s);
    const double claim = FalseMatchRateAt(t.similarities[s]);
    ratios.push_back({{"similarity", t.similarities[s]},
                      {"claimed_false_match_rate", claim},
                      {"worst_group", r.worst_group},
                      {"best_group", r.best_group},
                      {"worst_rate", r.worst_rate},
                      {"best_rate", r.best_rate},
                      {"worst_over_claim", r.worst_rate / claim},
                      {"ratio", RatioOrInf(r.ratio)},
                      {"ratio_lower_bound", r.ratio_lower_bound}});
  }
  return {{"dataset", t.dataset},
          {"identities_known", t.identities_known},
          {"similarities", t.similarities},
          {"groups", groups},
          {"worst_over_best", ratios}};
}

bool SameSimilarity(const json& v, double similarity) {
  return v.is_number() && std::abs(v.get<double>() - similarity) < 1e-6;
}

// Highest over lowest of `rates[index]` among the groups with pairs
// (`pairs_key` > 0 or absent), the first group of a tie, as
// eval::CompareGroupRates and eval::CompareWithinGroupRates choose.
std::optional<GroupFmrComparison> CompareRates(const json& groups, const char* rates_key,
                                               const char* pairs_key, size_t index) {
  if (!groups.is_array()) return std::nullopt;
  const json* worst = nullptr;
  const json* best = nullptr;
  const auto rate = [&](const json& g) { return g[rates_key][index].get<double>(); };
  for (const json& g : groups) {
    if (!g.is_object() || !g.contains(rates_key) || !g[rates_key].is_array() ||
        g[rates_key].size() <= index || !g[rates_key][index].is_number())
      continue;
    if (g.contains(pairs_key) && g[pairs_key].is_number() && g[pairs_key].get<double>() <= 0)
      continue;
    if (!worst || rate(g) > rate(*worst)) worst = &g;
    if (!best || rate(g) < rate(*best)) best = &g;
  }
  if (!worst) return std::nullopt;
  GroupFmrComparison out;
  const auto name = [](const json& g) {
    return g.contains("group") && g["group"].is_string() ? g["group"].get<std::string>()
                                                         : std::string("-");
  };
  out.worst_group = name(*worst);
  out.best_group = name(*best);
  out.worst_rate = rate(*worst);
  out.best_rate = rate(*best);
  if (out.best_rate > 0) {
    out.ratio = out.worst_rate / out.best_rate;
  } else if (out.worst_rate > 0) {
    out.ratio = std::numeric_limits<double>::infinity();
  }
  out.ratio_lower_bound_95 = NAN;
  return out;
}

}  // namespace

std::string TodayUtc() {
  char date[32];
  const std::time_t now = std::time(nullptr);
  std::strftime(date, sizeof(date), "%Y-%m-%d", std::gmtime(&now));
  return date;
}

json LfwSectionJson(const eval::LfwEvaluation& lfw, const std::string& dataset,
                    const std::string& face_model_version) {
  std::vector<float> genuine, impostor;
  for (const eval::ScoredPair& p : lfw.scored) (p.same ? genuine : impostor).push_back(p.score);
  std::vector<float> thresholds;
  for (int i = -20; i <= 100; ++i) thresholds.push_back(static_cast<float>(i) / 100.f);
  json det = json::array();
  for (const eval::DetPoint& p : eval::DetCurve(genuine, impostor, thresholds)) {
    det.push_back({{"threshold", p.threshold}, {"fmr", p.fmr}, {"fnmr", p.fnmr}});
  }
  return {{"dataset", dataset},
          {"date", TodayUtc()},
          {"protocol", "LFW 10-fold (pairs.txt), threshold chosen on the other 9 folds"},
          {"face_model_version", face_model_version},
          {"pairs", lfw.pairs},
          {"images", lfw.images},
          {"images_without_face", lfw.images_without_face},
          {"mean_accuracy", lfw.report.mean_accuracy},
          {"std_accuracy", lfw.report.std_accuracy},
          {"eer", lfw.report.eer},
          {"eer_threshold", lfw.report.eer_threshold},
          {"tar_at_far_1e-2", lfw.tar_at_far_1e2},
          {"tar_at_far_1e-3", lfw.tar_at_far_1e3},
          {"histogram",
           {{"score", "cosine"},
            {"low", kHistogramLow},
            {"high", kHistogramHigh},
            {"genuine", eval::Histogram(genuine, kHistogramLow, kHistogramHigh, kHistogramBins)},
            {"impostor", eval::Histogram(impostor, kHistogramLow, kHistogramHigh, kHistogramBins)}}},
          {"det", det}};
}

json DemographicsSectionJson(const eval::DemographicsReport& r, const std::string& dataset,
                             float default_similarity) {
  const eval::PairCounts& counts = r.counts;
  json similarities = json::array(), cosines = json::array(), calibrated = json::array();
  size_t default_index = r.thresholds.size();
  for (size_t t = 0; t < r.thresholds.size(); ++t) {
    similarities.push_back(r.thresholds[t].similarity);
    cosines.push_back(r.thresholds[t].cosine);
    calibrated.push_back(r.thresholds[t].calibrated_fmr);
    if (r.thresholds[t].similarity == default_similarity) default_index = t;
  }
  json groups = json::array();
  for (int g = 0; g < counts.groups(); ++g) {
    const eval::PairCell& cell = counts.cell(g, g);
    json fmr = json::array();
    for (size_t t = 0; t < cell.false_matches.size(); ++t) fmr.push_back(cell.Rate(t));
    groups.push_back({{"group", eval::UtkFaceGroupName(g)},
                      {"faces", r.images_by_group[g] - r.without_face_by_group[g]},
                      {"without_face", r.without_face_by_group[g]},
                      {"pairs", cell.pairs},
                      {"false_matches", cell.false_matches},
                      {"fmr", fmr}});
  }
  json at_default = nullptr;
  if (default_index < r.thresholds.size()) {
    const eval::GroupRateRatio ratio = eval::CompareWithinGroupRates(counts, default_index);
    if (ratio.worst_group >= 0) {
      at_default = {{"similarity", default_similarity},
                    {"index", default_index},
                    {"worst_group", eval::UtkFaceGroupName(ratio.worst_group)},
                    {"best_group", eval::UtkFaceGroupName(ratio.best_group)},
                    {"ratio", MaybeNumber(ratio.ratio)},
                    {"ratio_lower_bound_95", ratio.ratio_lower_bound},
                    {"worst_ci95", {ratio.worst_interval.lower, ratio.worst_interval.upper}},
                    {"best_ci95", {ratio.best_interval.lower, ratio.best_interval.upper}}};
    }
  }
  const eval::PairCell total = counts.Total();
  return {{"dataset", dataset},
          {"date", TodayUtc()},
          {"what", "impostor pairs within UTKFace, per race x gender group (within-group pairs)"},
          {"calibration_source", r.calibration_source},
          {"min_age", r.min_age},
          {"images", r.images},
          {"pairs", total.pairs},
          {"likely_duplicates_left_out", total.likely_duplicates},
          {"similarities", similarities},
          {"cosines", cosines},
          {"calibrated_fmr", calibrated},
          {"default_similarity", default_similarity},
          {"groups", groups},
          {"at_default", at_default},
          {"cannot_measure",
           "UTKFace has no identities: no mated pairs, so no per-group false non-match rate. "
           "The curves are false-match rates against the threshold, not full DET curves."}};
}

json FairnessSectionJson(const eval::FairnessReport& r,
                         const std::string& shipped_calibration_version) {
  json tables = json::array();
  for (const eval::FairnessTable& t : r.tables) tables.push_back(FairnessTableJson(t));
  return {{"what",
           "false-match rate within each group (pairs of different people of one group) and "
           "false-non-match rate (pairs of photos of one person, LFW only) at each Similarity"},
          {"calibration", r.calibration_version},
          {"calibration_method", r.calibration_method},
          {"shipped_calibration", shipped_calibration_version},
          {"cross_fitted", r.cross_fitted},
          {"lfw_images", r.lfw_images},
          {"lfw_faces", r.lfw_faces},
          {"utkface_images", r.utkface_images},
          {"utkface_faces", r.utkface_faces},
          {"tables", tables}};
}

json AttributesJson(const eval::AttributeReport& r) {
  json out = {{"date", TodayUtc()}, {"seconds", r.seconds}};
  if (!r.utkface_dataset.empty()) {
    json groups = json::array();
    for (int g = 0; g < eval::kUtkFaceGroups; ++g)
      groups.push_back(GroupJson(r.groups[g], eval::UtkFaceGroupName(g)));
    out["utkface"] = {{"dataset", r.utkface_dataset},
                      {"date", out["date"]},
                      {"stride", r.utkface_stride},
                      {"groups", groups},
                      {"all", GroupJson(r.all, "all")}};
  }
  if (!r.fer_dataset.empty()) {
    json recall = json::array(), precision = json::array(), classes = json::array();
    for (int c = 0; c < r.emotions.classes(); ++c) {
      classes.push_back(eval::kFerClasses[c]);
      recall.push_back(r.emotions.Recall(c));
      precision.push_back(r.emotions.Precision(c));
    }
    out["emotions"] = {{"dataset", r.fer_dataset},
                       {"date", out["date"]},
                       {"stride", r.fer_stride},
                       {"classes", classes},
                       {"confusion", r.emotions.counts},
                       {"faces", r.emotions.Total()},
                       {"accuracy", r.emotions.Accuracy()},
                       {"recall", recall},
                       {"precision", precision},
                       {"whole_image_used", r.fer_whole_image}};
  }
  if (!r.nuaa_dataset.empty()) {
    const eval::LivenessCounts& l = r.liveness;
    out["liveness"] = {{"dataset", r.nuaa_dataset},
                       {"date", out["date"]},
                       {"stride", r.nuaa_stride},
                       {"live_threshold", r.live_threshold},
                       {"genuine", l.genuine},
                       {"genuine_called_spoof", l.genuine_called_spoof},
                       {"genuine_called_spoof_rate", l.GenuineRejectRate()},
                       {"spoof", l.spoof},
                       {"spoof_called_genuine", l.spoof_called_genuine},
                       {"spoof_called_genuine_rate", l.SpoofAcceptRate()},
                       {"without_face", l.without_face}};
  }
  return out;
}

json DetectionJson(const eval::DetectionReport& r, const eval::DetectionEvalOptions& options) {
  json bins = json::array();
  const auto bin_json = [](const eval::DetectionBinCounts& b, const std::string& name) {
    return json{{"size", name},
                {"faces", b.faces},
                {"found", b.faces_found},
                {"recall", b.Recall()},
                {"detections", b.detections},
                {"true_detections", b.true_detections},
                {"precision", b.Precision()}};
  };
  for (int b = 0; b < eval::kFaceSizeBins; ++b)
    bins.push_back(bin_json(r.counts.bins[b], eval::FaceSizeBinName(b)));
  return {{"dataset", r.dataset},
          {"date", TodayUtc()},
          {"conventions",
           "face size = box height in pixels of the 416x416 stretched image; IoU >= " +
               std::to_string(options.min_iou).substr(0, 4) +
               " matching, greedy by detection score; faces flagged invalid are don't-care "
               "(neither missed nor false when detected); every other face counts however tiny"},
          {"min_face_px", options.min_face_px},
          {"restore_aspect", options.restore_aspect},
          {"score_threshold", options.score_threshold},
          {"min_iou", options.min_iou},
          {"images", r.images},
          {"invalid_faces", r.counts.invalid_faces},
          {"ignored_detections", r.counts.ignored_detections},
          {"bins", bins},
          {"total", bin_json(r.counts.Total(), "all")},
          {"seconds", r.seconds}};
}

double ReportDefaultSimilarity(const json& report) {
  if (report.is_object() && report.contains("default_similarity") &&
      report["default_similarity"].is_number())
    return report["default_similarity"].get<double>();
  if (report.is_object() && report.contains("demographics") &&
      report["demographics"].is_object() &&
      report["demographics"].contains("default_similarity") &&
      report["demographics"]["default_similarity"].is_number())
    return report["demographics"]["default_similarity"].get<double>();
  return kDefaultReportSimilarity;
}

std::optional<GroupFmrComparison> FairnessFmrComparison(const json& report, double similarity) {
  if (!report.is_object() || !report.contains("fairness")) return std::nullopt;
  const json& f = report["fairness"];
  if (!f.is_object() || !f.contains("tables") || !f["tables"].is_array()) return std::nullopt;
  for (const json& t : f["tables"]) {
    if (!t.is_object() || !t.contains("dataset") || !t["dataset"].is_string() ||
        t["dataset"].get<std::string>().rfind(kFairnessWarningTablePrefix, 0) != 0 ||
        !t.contains("similarities") || !t["similarities"].is_array() || !t.contains("groups"))
      continue;
    const json& similarities = t["similarities"];
    size_t index = similarities.size();
    for (size_t s = 0; s < similarities.size(); ++s) {
      if (SameSimilarity(similarities[s], similarity)) index = s;
    }
    if (index == similarities.size()) return std::nullopt;
    std::optional<GroupFmrComparison> out =
        CompareRates(t["groups"], "false_match_rate", "impostor_pairs", index);
    if (!out) return std::nullopt;
    out->section = "fairness";
    out->dataset = t["dataset"].get<std::string>();
    out->cross_fitted = f.contains("cross_fitted") && f["cross_fitted"].is_boolean() &&
                        f["cross_fitted"].get<bool>();
    out->similarity = similarity;
    if (t.contains("worst_over_best") && t["worst_over_best"].is_array()) {
      for (const json& w : t["worst_over_best"]) {
        if (w.is_object() && w.contains("similarity") &&
            SameSimilarity(w["similarity"], similarity) && w.contains("ratio_lower_bound") &&
            w["ratio_lower_bound"].is_number())
          out->ratio_lower_bound_95 = w["ratio_lower_bound"].get<double>();
      }
    }
    return out;
  }
  return std::nullopt;
}

std::optional<GroupFmrComparison> DemographicsFmrComparison(const json& report) {
  if (!report.is_object() || !report.contains("demographics")) return std::nullopt;
  const json& d = report["demographics"];
  if (!d.is_object() || !d.contains("similarities") || !d.contains("groups") ||
      !d.contains("default_similarity") || !d["similarities"].is_array() ||
      !d["groups"].is_array() || !d["default_similarity"].is_number())
    return std::nullopt;
  const double wanted = d["default_similarity"].get<double>();
  size_t index = d["similarities"].size();
  for (size_t t = 0; t < d["similarities"].size(); ++t) {
    if (SameSimilarity(d["similarities"][t], wanted)) index = t;
  }
  if (index == d["similarities"].size()) return std::nullopt;
  std::optional<GroupFmrComparison> out = CompareRates(d["groups"], "fmr", "pairs", index);
  if (!out) return std::nullopt;
  out->section = "demographics";
  out->dataset = d.contains("dataset") && d["dataset"].is_string()
                     ? d["dataset"].get<std::string>()
                     : std::string("UTKFace");
  out->similarity = wanted;
  if (d.contains("at_default") && d["at_default"].is_object() &&
      d["at_default"].contains("ratio_lower_bound_95") &&
      d["at_default"]["ratio_lower_bound_95"].is_number())
    out->ratio_lower_bound_95 = d["at_default"]["ratio_lower_bound_95"].get<double>();
  return out;
}

std::optional<GroupFmrComparison> DefaultThresholdFmrComparison(const json& report) {
  std::optional<GroupFmrComparison> fairness =
      FairnessFmrComparison(report, ReportDefaultSimilarity(report));
  if (fairness) return fairness;
  return DemographicsFmrComparison(report);
}

std::optional<double> DefaultThresholdFmrRatio(const json& report) {
  const std::optional<GroupFmrComparison> c = DefaultThresholdFmrComparison(report);
  if (!c) return std::nullopt;
  return c->ratio;
}

}  // namespace candor::report
