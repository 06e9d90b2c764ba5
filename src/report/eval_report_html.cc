// The HTML page of the evaluation report (RenderEvalReportHtml): one
// self-contained page, inline CSS and SVG, every string from the JSON
// escaped. Reads the JSON defensively: a missing or mistyped field shows as
// "-", never as an error.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "report/eval_report.h"
#include "report/svg_chart.h"
#include "report/transparency.h"  // HtmlEscape

namespace candor::report {
namespace {

using nlohmann::json;

// Ten distinguishable colours (Tableau 10), one per UTKFace group.
constexpr const char* kGroupColours[] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
                                         "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};

double Number(const json& j, const char* key, double fallback = NAN) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_number()) return fallback;
  return j[key].get<double>();
}

std::string Str(const json& j, const char* key) {
  if (!j.is_object() || !j.contains(key)) return "-";
  if (j[key].is_string()) return j[key].get<std::string>();
  if (j[key].is_number()) return j[key].dump();
  return "-";
}

std::vector<double> Numbers(const json& j, const char* key) {
  std::vector<double> out;
  if (!j.is_object() || !j.contains(key) || !j[key].is_array()) return out;
  for (const json& v : j[key]) out.push_back(v.is_number() ? v.get<double>() : NAN);
  return out;
}

std::vector<long long> Counts(const json& j) {
  std::vector<long long> out;
  if (!j.is_array()) return out;
  for (const json& v : j) out.push_back(v.is_number() ? v.get<long long>() : 0);
  return out;
}

std::string Fixed(double v, int decimals) {
  if (!std::isfinite(v)) return "-";
  char text[64];
  std::snprintf(text, sizeof(text), "%.*f", decimals, v);
  return text;
}
std::string Pct(double fraction, int decimals = 2) {
  return std::isfinite(fraction) ? Fixed(100 * fraction, decimals) + "%" : "-";
}
std::string Sci(double v) {
  if (!std::isfinite(v)) return "-";
  char text[32];
  std::snprintf(text, sizeof(text), "%.2e", v);
  return text;
}
std::string Int(double v) { return std::isfinite(v) ? Fixed(v, 0) : "-"; }

// A worst/best ratio: a number, or "inf" (the best group has no false match).
double Ratio(const json& j, const char* key) {
  if (j.is_object() && j.contains(key) && j[key].is_string() && j[key].get<std::string>() == "inf")
    return INFINITY;
  return Number(j, key);
}
std::string RatioText(double ratio) {
  return std::isinf(ratio) && ratio > 0 ? std::string("unbounded") : Fixed(ratio, 2);
}

const json& Member(const json& j, const char* key) {
  static const json kNull;
  return j.is_object() && j.contains(key) ? j[key] : kNull;
}

class Page {
 public:
  void Raw(const std::string& s) { out_ += s; }
  void Text(const std::string& s) { out_ += HtmlEscape(s); }
  void Tag(const char* tag, const std::string& text, const char* attrs = "") {
    out_ += std::string("<") + tag + attrs + ">" + HtmlEscape(text) + "</" + tag + ">";
  }
  void Row(const std::vector<std::string>& cells, bool header = false) {
    out_ += "<tr>";
    for (const std::string& c : cells) Tag(header ? "th" : "td", c);
    out_ += "</tr>";
  }
  void Source(const json& section) {
    out_ += "<p class=\"source\">Data set: ";
    Text(Str(section, "dataset"));
    out_ += " &middot; measured ";
    Text(Str(section, "date"));
    out_ += "</p>";
  }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

constexpr const char* kStyle = R"(<style>
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;max-width:1100px;color:#1d1d1d;padding:0 16px}
h1{font-size:26px;margin-bottom:4px}h2{margin-top:36px;border-bottom:2px solid #2c5d9c;padding-bottom:4px}
table{border-collapse:collapse;margin:10px 0}th,td{border:1px solid #ccc;padding:4px 8px;text-align:right;font-size:13px}
th{background:#eef2f7}td:first-child,th:first-child{text-align:left}
.warning{background:#fde8e8;border:3px solid #b00020;padding:14px 18px;margin:18px 0;font-size:16px}
.warning strong{color:#b00020}.note{background:#fff6dd;border-left:5px solid #e0a800;padding:8px 12px}
.source{color:#555;font-size:12px}.chart{display:block;margin:8px 0;background:#fff}
.missing{color:#777;font-style:italic}.published{color:#555;font-style:italic}
</style>)";

void RenderLfw(const json& lfw, Page& p) {
  p.Raw("<h2 id=\"lfw\">Verification: LFW</h2>");
  if (!lfw.is_object()) {
    p.Raw("<p class=\"missing\">Not measured in this report.</p>");
    return;
  }
  p.Source(lfw);
  p.Raw("<table id=\"lfw-table\">");
  p.Row({"measure", "value"}, true);
  p.Row({"protocol", Str(lfw, "protocol")});
  p.Row({"pairs", Int(Number(lfw, "pairs"))});
  p.Row({"accuracy (mean +- std over 10 folds)",
         Pct(Number(lfw, "mean_accuracy")) + " +- " + Pct(Number(lfw, "std_accuracy"))});
  p.Row({"equal error rate", Pct(Number(lfw, "eer")) + " (cosine " +
                                 Fixed(Number(lfw, "eer_threshold"), 3) + ")"});
  p.Row({"TAR at FAR 1e-2", Pct(Number(lfw, "tar_at_far_1e-2"))});
  p.Row({"TAR at FAR 1e-3", Pct(Number(lfw, "tar_at_far_1e-3"))});
  p.Row({"images without a face found", Int(Number(lfw, "images_without_face")) + " of " +
                                            Int(Number(lfw, "images"))});
  p.Raw("</table>");

  const json hist = lfw.contains("histogram") ? lfw["histogram"] : json();
  HistogramSpec h;
  h.id = "lfw-similarity-histogram";
  h.title = "Cosine similarity of genuine and impostor LFW pairs";
  h.x_label = "cosine similarity (pairs with no face found score -1, in the first bin)";
  h.low = Number(hist, "low", -0.2);
  h.high = Number(hist, "high", 1.0);
  h.distributions = {
      {"genuine pairs", "#2c5d9c", Counts(hist.is_object() && hist.contains("genuine") ? hist["genuine"] : json())},
      {"impostor pairs", "#e15759", Counts(hist.is_object() && hist.contains("impostor") ? hist["impostor"] : json())}};
  p.Raw("<h3>Similarity histograms</h3>");
  p.Raw(HistogramSvg(h));

  LineChartSpec det;
  det.id = "lfw-det";
  det.title = "DET curve on LFW pairs";
  det.x = {"false-match rate (impostor pairs accepted)", 1e-4, 1, true};
  det.y = {"false non-match rate (genuine pairs rejected)", 1e-3, 1, true};
  ChartSeries s{"LFW, all 6,000 pairs", "#2c5d9c", {}, {}, false};
  if (lfw.contains("det") && lfw["det"].is_array()) {
    for (const json& point : lfw["det"]) {
      s.x.push_back(Number(point, "fmr"));
      s.y.push_back(Number(point, "fnmr"));
    }
  }
  det.series.push_back(s);
  p.Raw("<h3>DET curve</h3><p>With only 3,000 impostor pairs, rates below 1e-3 rest on a few "
        "pairs.</p>");
  p.Raw(LineChartSvg(det));

  p.Raw("<h3>Published results of other models</h3>");
  p.Raw("<table id=\"peers\">");
  p.Row({"model", "LFW accuracy", "kind", "source"}, true);
  p.Row({"Candor (this pack, MobileFaceNet)", Pct(Number(lfw, "mean_accuracy")),
         "measured here", Str(lfw, "dataset") + ", " + Str(lfw, "date")});
  for (const PublishedPeer& peer : kPublishedLfwPeers) {
    p.Row({peer.model, Fixed(peer.lfw_accuracy_percent, 2) + "%", "published, not measured here",
           peer.source});
  }
  p.Raw("</table><p class=\"published\">Published figures come from their authors' own "
        "pipelines and alignment; only the first row was measured by this report.</p>");
}

// Decades around the positive values of `series` (for a logarithmic rate
// axis); 1e-6..1 when there is none.
ChartAxis RateAxis(const std::string& label, const std::vector<ChartSeries>& series) {
  double low = INFINITY, high = 0;
  for (const ChartSeries& s : series) {
    for (double v : s.y) {
      if (std::isfinite(v) && v > 0) {
        low = std::min(low, v);
        high = std::max(high, v);
      }
    }
  }
  if (!(high > 0)) return {label, 1e-6, 1, true};
  low = std::max(1e-9, std::pow(10, std::floor(std::log10(low))));
  high = std::min(1.0, std::pow(10, std::ceil(std::log10(high))));
  if (high <= low) high = std::min(1.0, low * 10);
  if (high <= low) low = high / 10;
  return {label, low, high, true};
}

// One table of the fairness section: its per-group rates, the worst/best
// comparison at each Similarity, and its charts. `index` names the ids.
void RenderFairnessTable(const json& t, size_t index, double default_similarity, Page& p) {
  const std::string id = std::to_string(index);
  const std::vector<double> similarities = Numbers(t, "similarities");
  const json& groups = Member(t, "groups").is_array() ? Member(t, "groups") : json::array();
  const json& ratios =
      Member(t, "worst_over_best").is_array() ? Member(t, "worst_over_best") : json::array();
  const bool identities_known = Member(t, "identities_known").is_boolean() &&
                                Member(t, "identities_known").get<bool>();
  p.Raw("<h3 id=\"fairness-" + id + "\">");
  p.Text(Str(t, "dataset"));
  p.Raw("</h3>");

  const double low_similarity =
      similarities.empty() ? 0
                           : std::min(90.0, 10 * std::floor(*std::min_element(similarities.begin(),
                                                                              similarities.end()) /
                                                            10));
  std::vector<double> claimed;
  for (const json& r : ratios) claimed.push_back(Number(r, "claimed_false_match_rate"));
  LineChartSpec fmr;
  fmr.id = "fairness-fmr-" + id;
  fmr.title = "False-match rate against the Similarity threshold, per group: " + Str(t, "dataset");
  fmr.x = {"Similarity threshold (percent)", low_similarity, 100, false};
  fmr.width = 860;
  fmr.height = 380;
  fmr.legend_width = 190;
  fmr.has_marker = std::isfinite(default_similarity);
  fmr.marker_x = default_similarity;
  fmr.marker_label = "default " + Fixed(default_similarity, 0);
  size_t colour = 0;
  for (const json& g : groups) {
    fmr.series.push_back({Str(g, "group"), kGroupColours[colour++ % 10], similarities,
                          Numbers(g, "false_match_rate"), false, true});
  }
  std::vector<double> claimed_x;
  for (const json& r : ratios) claimed_x.push_back(Number(r, "similarity"));
  fmr.series.push_back({"claimed (FalseMatchRateAt)", "#000", claimed_x, claimed, true, false});
  fmr.y = RateAxis("false-match rate (within-group impostor pairs)", fmr.series);
  p.Raw(LineChartSvg(fmr));

  p.Raw("<table id=\"fairness-fmr-table-" + id + "\">");
  std::vector<std::string> header = {"group", "impostor pairs", "likely duplicates left out"};
  for (double s : similarities) header.push_back("false matches at " + Fixed(s, 0));
  p.Row(header, true);
  for (const json& g : groups) {
    std::vector<std::string> row = {Str(g, "group"), Int(Number(g, "impostor_pairs")),
                                    Int(Number(g, "likely_duplicates"))};
    const std::vector<double> counts = Numbers(g, "false_matches");
    const std::vector<double> rates = Numbers(g, "false_match_rate");
    for (size_t s = 0; s < similarities.size(); ++s) {
      row.push_back((s < counts.size() ? Int(counts[s]) : "-") + " (" +
                    (s < rates.size() ? Sci(rates[s]) : "-") + ")");
    }
    p.Row(row);
  }
  std::vector<std::string> claim_row = {"claimed (FalseMatchRateAt)", "", ""};
  for (size_t s = 0; s < similarities.size(); ++s)
    claim_row.push_back(s < claimed.size() ? Sci(claimed[s]) : "-");
  p.Row(claim_row);
  p.Raw("</table>");

  p.Raw("<table id=\"fairness-ratio-table-" + id + "\">");
  p.Row({"Similarity", "claimed false-match rate", "worst group (rate)", "best group (rate)",
         "worst / best (at least, 95%)", "worst / claimed"},
        true);
  for (const json& r : ratios) {
    p.Row({Fixed(Number(r, "similarity"), 0), Sci(Number(r, "claimed_false_match_rate")),
           Str(r, "worst_group") + " (" + Sci(Number(r, "worst_rate")) + ")",
           Str(r, "best_group") + " (" + Sci(Number(r, "best_rate")) + ")",
           RatioText(Ratio(r, "ratio")) + " (" + Fixed(Number(r, "ratio_lower_bound"), 2) + ")",
           Fixed(Number(r, "worst_over_claim"), 2)});
  }
  p.Raw("</table>");

  if (!identities_known) return;
  LineChartSpec fnmr;
  fnmr.id = "fairness-fnmr-" + id;
  fnmr.title = "False-non-match rate against the Similarity threshold, per group: " +
               Str(t, "dataset");
  fnmr.width = 860;
  fnmr.height = 340;
  fnmr.legend_width = 190;
  fnmr.has_marker = fmr.has_marker;
  fnmr.marker_x = default_similarity;
  fnmr.marker_label = fmr.marker_label;
  double highest = 0;
  colour = 0;
  for (const json& g : groups) {
    fnmr.series.push_back({Str(g, "group"), kGroupColours[colour++ % 10], similarities,
                           Numbers(g, "false_non_match_rate"), false, true});
    for (double v : fnmr.series.back().y) {
      if (std::isfinite(v)) highest = std::max(highest, v);
    }
  }
  fnmr.x = fmr.x;
  fnmr.y = {"false-non-match rate (genuine pairs rejected)", 0,
            std::min(1.0, std::max(0.05, std::ceil(highest * 20) / 20)), false};
  p.Raw(LineChartSvg(fnmr));
  p.Raw("<table id=\"fairness-fnmr-table-" + id + "\">");
  header = {"group", "genuine pairs"};
  for (double s : similarities) header.push_back("false non-matches at " + Fixed(s, 0));
  p.Row(header, true);
  for (const json& g : groups) {
    std::vector<std::string> row = {Str(g, "group"), Int(Number(g, "genuine_pairs"))};
    const std::vector<double> counts = Numbers(g, "false_non_matches");
    const std::vector<double> rates = Numbers(g, "false_non_match_rate");
    for (size_t s = 0; s < similarities.size(); ++s) {
      row.push_back((s < counts.size() ? Int(counts[s]) : "-") + " (" +
                    (s < rates.size() ? Pct(rates[s], 1) : "-") + ")");
    }
    p.Row(row);
  }
  p.Raw("</table>");
}

void RenderFairness(const json& report, Page& p) {
  const json& f = Member(report, "fairness");
  p.Raw("<h2 id=\"fairness\">Similarity per group: LFW and UTKFace</h2>");
  if (!f.is_object()) {
    p.Raw("<p class=\"missing\">Not measured in this report.</p>");
    return;
  }
  p.Source(f);
  p.Raw("<p>");
  p.Text("What a Similarity means for each demographic group: the " + Str(f, "what") +
         ", as the engine decides a match (calibrated Similarity at or above the threshold). "
         "Claimed: the false-match rate the Similarity scale promises for all pairs "
         "(FalseMatchRateAt).");
  p.Raw("</p><p class=\"note\" id=\"fairness-cross-fit\">");
  const bool cross_fitted =
      Member(f, "cross_fitted").is_boolean() && Member(f, "cross_fitted").get<bool>();
  if (cross_fitted) {
    p.Text("These numbers are cross-fitted: the calibration is fitted on one half of the faces "
           "(LFW split by person, UTKFace by image) and measured on the other half, both ways, and "
           "the counts of both halves are added, so no pair is measured with a calibration fitted "
           "on it. The shipped calibration (" + Str(f, "shipped_calibration") +
           ") is fitted on all of them and would look better measured on its own data.");
  } else {
    p.Text("In-sample: calibration " + Str(f, "calibration") + " measured on the faces it was "
           "fitted on, which flatters it; `candor eval fairness` cross-fits by default.");
  }
  p.Raw("</p><p class=\"note\" id=\"fairness-utkface\">");
  p.Text("UTKFace has no identities: every pair of two UTKFace images of one group counts as an "
         "impostor pair (pairs so similar that they are likely the same image are left out), so "
         "its rates include same-person pairs, one person photographed twice, which inflates "
         "them most at high Similarity where true impostors are rare; and it has no false "
         "non-match rate. LFW, with identities, measures both.");
  p.Raw("</p><p>");
  p.Text("Calibration method: " + Str(f, "calibration_method") + ". LFW: " +
         Int(Number(f, "lfw_faces")) + " of " + Int(Number(f, "lfw_images")) +
         " images with a face found; UTKFace: " + Int(Number(f, "utkface_faces")) + " of " +
         Int(Number(f, "utkface_images")) + " labelled images. Rates of 0 cannot be drawn on a "
         "logarithmic axis and are left out of the charts (the tables give them); the worst/best "
         "lower bound is the worst group's lower 95% Clopper-Pearson bound over the best group's "
         "upper one.");
  p.Raw("</p>");
  const json& tables = Member(f, "tables");
  if (!tables.is_array() || tables.empty()) {
    p.Raw("<p class=\"missing\">No table in this section.</p>");
    return;
  }
  const double default_similarity = ReportDefaultSimilarity(report);
  for (size_t t = 0; t < tables.size(); ++t) {
    RenderFairnessTable(tables[t], t, default_similarity, p);
  }
}

void RenderDemographics(const json& report, Page& p) {
  const json d = report.contains("demographics") ? report["demographics"] : json();
  p.Raw("<h2 id=\"demographics\">False matches by demographic group: UTKFace</h2>");
  if (!d.is_object()) {
    p.Raw("<p class=\"missing\">Not measured in this report.</p>");
    return;
  }
  p.Source(d);
  p.Raw("<p>");
  p.Text(Str(d, "what") + ". Thresholds: " + Str(d, "calibration_source") + ".");
  p.Raw("</p><p class=\"note\">");
  p.Text(Str(d, "cannot_measure"));
  p.Raw("</p>");
  const std::vector<double> similarities = Numbers(d, "similarities");
  const double default_similarity = Number(d, "default_similarity");
  size_t default_index = similarities.size();
  for (size_t t = 0; t < similarities.size(); ++t) {
    if (std::abs(similarities[t] - default_similarity) < 1e-6) default_index = t;
  }
  LineChartSpec chart;
  chart.id = "demographic-fmr";
  chart.title = "False-match rate against the Similarity threshold, per group";
  chart.x = {"Similarity threshold (percent)", 0, 100, false};
  chart.y = {"false-match rate (within-group impostor pairs)", 1e-7, 1, true};
  chart.height = 420;
  chart.width = 860;
  chart.legend_width = 190;
  chart.has_marker = std::isfinite(default_similarity);
  chart.marker_x = default_similarity;
  chart.marker_label = "default " + Fixed(default_similarity, 0);
  const json groups = d.contains("groups") && d["groups"].is_array() ? d["groups"] : json::array();
  size_t colour = 0;
  for (const json& g : groups) {
    chart.series.push_back({Str(g, "group"), kGroupColours[colour++ % 10], similarities,
                            Numbers(g, "fmr"), false});
  }
  chart.series.push_back({"calibrated (all LFW pairs)", "#000", similarities,
                          Numbers(d, "calibrated_fmr"), true});
  p.Raw(LineChartSvg(chart));

  p.Raw("<table id=\"demographic-table\">");
  std::vector<std::string> header = {"group", "faces", "pairs"};
  for (double s : similarities) {
    if (s == 80 || s == 90 || s == 95 || s == 99) header.push_back("FMR at " + Fixed(s, 0));
  }
  p.Row(header, true);
  for (const json& g : groups) {
    std::vector<std::string> row = {Str(g, "group"), Int(Number(g, "faces")),
                                    Int(Number(g, "pairs"))};
    const std::vector<double> fmr = Numbers(g, "fmr");
    for (size_t t = 0; t < similarities.size(); ++t) {
      const double s = similarities[t];
      if (s == 80 || s == 90 || s == 95 || s == 99) row.push_back(t < fmr.size() ? Sci(fmr[t]) : "-");
    }
    p.Row(row);
  }
  p.Raw("</table>");
  const std::optional<GroupFmrComparison> ratio = DemographicsFmrComparison(report);
  if (ratio && default_index < similarities.size()) {
    p.Raw("<p id=\"fmr-ratio\">At the default threshold (Similarity ");
    p.Text(Fixed(default_similarity, 0) + ") the highest within-group false-match rate is " +
           (std::isinf(ratio->ratio) ? std::string("unboundedly") : Fixed(ratio->ratio, 2)) +
           " times the lowest (" + ratio->worst_group + " over " + ratio->best_group +
           "; at least " + Fixed(ratio->ratio_lower_bound_95, 2) + " with 95% confidence).");
    p.Raw("</p>");
  }
}

void RenderAttributes(const json& a, Page& p) {
  p.Raw("<h2 id=\"attributes\">Attributes: gender, age, emotion, liveness</h2>");
  if (!a.is_object()) {
    p.Raw("<p class=\"missing\">Not measured in this report.</p>");
    return;
  }
  if (a.contains("utkface") && a["utkface"].is_object()) {
    const json& u = a["utkface"];
    p.Raw("<h3>Gender and age on UTKFace</h3>");
    p.Source(u);
    const json all = u.contains("all") ? u["all"] : json();
    const double spread = Number(all, "age_estimate_std");
    const double mae = Number(all, "age_mae"), constant = Number(all, "constant_guess_mae");
    if ((std::isfinite(spread) && spread < 3) || (std::isfinite(mae) && mae >= 0.9 * constant)) {
      p.Raw("<div class=\"warning\" id=\"age-warning\"><strong>The age estimate is not usable.</strong> ");
      p.Text("Its estimates barely move: standard deviation " + Fixed(spread, 1) +
             " years around " + Fixed(Number(all, "age_estimate_mean"), 1) +
             " (the true ages span 1 to 100+), correlation with the true age " +
             Fixed(Number(all, "age_correlation"), 2) + ", and its mean error of " + Fixed(mae, 1) +
             " years is no better than always answering the median age (" + Fixed(constant, 1) +
             " years). AgeRange is reported by the API but says almost nothing about the face.");
      p.Raw("</div>");
    }
    p.Raw("<table id=\"age-gender-table\">");
    p.Row({"group", "faces", "no face", "gender accuracy (of those given one)",
           "given a gender", "age MAE (years)", "true age in AgeRange",
           "estimate mean", "estimate std", "MAE of a constant guess",
           "correlation with true age"},
          true);
    std::vector<json> rows;
    if (u.contains("groups") && u["groups"].is_array()) {
      for (const json& g : u["groups"]) rows.push_back(g);
    }
    rows.push_back(all);
    for (const json& g : rows) {
      p.Row({Str(g, "group"), Int(Number(g, "faces")), Int(Number(g, "without_face")),
             Pct(Number(g, "gender_accuracy"), 1), Pct(Number(g, "gender_coverage"), 1),
             Fixed(Number(g, "age_mae"), 1),
             Pct(Number(g, "age_inside_range"), 1), Fixed(Number(g, "age_estimate_mean"), 1),
             Fixed(Number(g, "age_estimate_std"), 1), Fixed(Number(g, "constant_guess_mae"), 1),
             Fixed(Number(g, "age_correlation"), 2)});
    }
    p.Raw("</table>");
  }
  if (a.contains("emotions") && a["emotions"].is_object()) {
    const json& e = a["emotions"];
    p.Raw("<h3>Emotions on FER-2013 (test split)</h3>");
    p.Source(e);
    p.Raw("<p>");
    const double stride = Number(e, "stride", 1);
    const std::string sample =
        stride > 1 ? "every " + Int(stride) + "th file of each class" : std::string("all files");
    p.Text("Top-1 accuracy " + Pct(Number(e, "accuracy"), 1) + " on " + Int(Number(e, "faces")) +
           " faces (" + sample + "; chance 14%; published "
           "FER-2013 results of good models are about 70%). The detector missed " +
           Int(Number(e, "whole_image_used")) + " faces, which were then taken whole.");
    p.Raw("</p>");
    HeatMapSpec m;
    m.id = "emotion-confusion";
    m.title = "Confusion matrix of emotions on FER-2013";
    m.row_label = "true (FER folder)";
    m.column_label = "predicted (top emotion)";
    if (e.contains("classes") && e["classes"].is_array()) {
      for (const json& c : e["classes"]) m.names.push_back(c.is_string() ? c.get<std::string>() : "?");
    }
    if (e.contains("confusion") && e["confusion"].is_array()) {
      for (const json& row : e["confusion"]) m.counts.push_back(Counts(row));
    }
    p.Raw(HeatMapSvg(m));
    p.Raw("<table id=\"emotion-table\">");
    p.Row({"class", "recall", "precision"}, true);
    const std::vector<double> recall = Numbers(e, "recall"), precision = Numbers(e, "precision");
    for (size_t c = 0; c < m.names.size(); ++c) {
      p.Row({m.names[c], c < recall.size() ? Pct(recall[c], 1) : "-",
             c < precision.size() ? Pct(precision[c], 1) : "-"});
    }
    p.Raw("</table>");
  }
  if (a.contains("liveness") && a["liveness"].is_object()) {
    const json& l = a["liveness"];
    p.Raw("<h3>Liveness on NUAA (printed-photo attacks)</h3>");
    p.Source(l);
    p.Raw("<table id=\"liveness-table\">");
    p.Row({"", "faces", "wrongly judged", "rate"}, true);
    p.Row({"genuine faces called spoofs", Int(Number(l, "genuine")),
           Int(Number(l, "genuine_called_spoof")), Pct(Number(l, "genuine_called_spoof_rate"))});
    p.Row({"spoofs called genuine", Int(Number(l, "spoof")), Int(Number(l, "spoof_called_genuine")),
           Pct(Number(l, "spoof_called_genuine_rate"))});
    p.Raw("</table><p>");
    p.Text("At a live probability of " + Fixed(Number(l, "live_threshold"), 2) + "; " +
           Int(Number(l, "without_face")) + " images without a face found were left out. NUAA "
           "holds 9 subjects: a small test of one kind of attack only.");
    p.Raw("</p>");
  }
}

void RenderDetection(const json& d, Page& p) {
  p.Raw("<h2 id=\"detection\">Face detection: WIDER FACE subset</h2>");
  if (!d.is_object()) {
    p.Raw("<p class=\"missing\">Not measured in this report.</p>");
    return;
  }
  p.Source(d);
  p.Raw("<p>");
  p.Text(Str(d, "conventions") + ". Detector run as the engine runs it: smallest face " +
         Fixed(Number(d, "min_face_px"), 0) + " px, score threshold " +
         Fixed(Number(d, "score_threshold"), 2) + ". " +
         Int(Number(d, "invalid_faces")) + " faces flagged invalid (don't care). The subset is "
         "stretched to 416x416: not comparable with published WIDER easy/medium/hard results.");
  p.Raw("</p><table id=\"detection-table\">");
  p.Row({"face height (px)", "faces", "found", "recall", "detections", "true", "precision"}, true);
  std::vector<json> rows;
  if (d.contains("bins") && d["bins"].is_array()) {
    for (const json& b : d["bins"]) rows.push_back(b);
  }
  if (d.contains("total")) rows.push_back(d["total"]);
  for (const json& b : rows) {
    p.Row({Str(b, "size"), Int(Number(b, "faces")), Int(Number(b, "found")),
           Pct(Number(b, "recall"), 1), Int(Number(b, "detections")),
           Int(Number(b, "true_detections")), Pct(Number(b, "precision"), 1)});
  }
  p.Raw("</table>");
}

}  // namespace

std::string RenderEvalReportHtml(const json& report) {
  Page p;
  p.Raw("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>");
  p.Text(Str(report, "title"));
  p.Raw("</title>");
  p.Raw(kStyle);
  p.Raw("</head><body><h1>");
  p.Text(Str(report, "title"));
  p.Raw("</h1><p class=\"source\">Generated ");
  p.Text(Str(report, "generated") + " · face model " + Str(report, "face_model_version"));
  p.Raw("</p>");
  const std::optional<GroupFmrComparison> ratio = DefaultThresholdFmrComparison(report);
  if (ratio && ratio->ratio > kFmrRatioWarningAbove) {
    p.Raw("<div class=\"warning\" id=\"fmr-ratio-warning\"><strong>Warning: false matches depend "
          "on who you are.</strong> ");
    p.Text("At the default threshold (Similarity " + Fixed(ratio->similarity, 0) +
           ") the false-match rate of the worst demographic group is " +
           (std::isinf(ratio->ratio) ? std::string("unboundedly many") : Fixed(ratio->ratio, 2)) +
           " times that of the best (" + ratio->worst_group + " against " + ratio->best_group +
           ", within-group impostor pairs of " + ratio->dataset +
           (ratio->cross_fitted ? ", cross-fitted" : "") + "), worse than the ratio of " +
           Fixed(kFmrRatioWarningAbove, 0) + " this project accepts. Searches of people in the "
           "worst group return more wrong candidates: use a higher threshold and human review.");
    p.Raw(ratio->section == "fairness" ? " <a href=\"#fairness\">Similarity per group</a></div>"
                                       : " <a href=\"#demographics\">Demographics</a></div>");
  }
  RenderLfw(report.contains("lfw") ? report["lfw"] : json(), p);
  RenderFairness(report, p);
  RenderDemographics(report, p);
  RenderAttributes(report.contains("attributes") ? report["attributes"] : json(), p);
  RenderDetection(report.contains("detection") ? report["detection"] : json(), p);
  p.Raw("</body></html>\n");
  return p.Take();
}

}  // namespace candor::report
