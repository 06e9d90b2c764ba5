// The evaluation report: the record built from small fixed results, the
// worst/best false-match ratio that decides the warning, and the page as a
// real browser sees it (headless Chromium's --dump-dom).
#include "report/eval_report.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "report/svg_chart.h"
#include "test_support.h"

namespace candor::report {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// A small LFW result: 4 genuine and 5 impostor pairs.
eval::LfwEvaluation SmallLfw() {
  eval::LfwEvaluation lfw;
  lfw.pairs = 9;
  lfw.images = 18;
  lfw.report.mean_accuracy = 0.9895;
  lfw.report.std_accuracy = 0.0048;
  lfw.report.eer = 0.0127;
  for (float s : {0.35f, 0.5f, 0.6f, 0.8f}) lfw.scored.push_back({s, true, 0});
  for (float s : {0.9f, 0.1f, 0.3f, 0.2f, 0.4f}) lfw.scored.push_back({s, false, 0});
  return lfw;
}

// Three groups at thresholds Similarity 50, 80, 99; at 80 the within-group
// false-match rates are 10/1000, 4/1000 and 5/1000: worst/best = 2.5 (or
// 1.25 with `narrow`, where the first group has 5).
eval::DemographicsReport SmallDemographics(bool narrow) {
  eval::DemographicsReport r;
  r.calibration_source = "fixed test table";
  for (float s : {50.f, 80.f, 99.f}) r.thresholds.push_back({s, s / 200.f, FalseMatchRateAt(s)});
  r.counts = eval::PairCounts(3, 3);
  const long long at80[3] = {narrow ? 5 : 10, 4, 5};
  for (int g = 0; g < 3; ++g) {
    eval::PairCell& cell = r.counts.cell(g, g);
    cell.pairs = 1000;
    cell.false_matches = {40, at80[g], 0};
  }
  r.images_by_group = {45, 45, 45};
  r.without_face_by_group = {0, 1, 0};
  r.images = 135;
  return r;
}

json SmallRecord(bool narrow) {
  eval::AttributeReport a;
  a.utkface_dataset = "utkface-fixture";
  a.fer_dataset = "fer-fixture";
  a.nuaa_dataset = "nuaa-fixture";
  for (int i = 0; i < 6; ++i) a.emotions.Add(3, 3);
  a.emotions.Add(0, 6);
  a.emotions.Add(6, 6);
  a.all.faces = 2;
  a.all.age_abs_error_sum = 30;
  a.all.age_estimates = {38, 39};
  a.all.true_ages = {10, 70};
  a.liveness = {10, 1, 10, 0, 0};
  eval::DetectionReport d;
  d.dataset = "wider-fixture";
  d.images = 1;
  d.counts.bins[2] = {4, 3, 3, 3};
  json record = {{"title", "Candor evaluation report <test>"},
                 {"generated", "2026-11-23"},
                 {"face_model_version", "test-version"},
                 {"lfw", LfwSectionJson(SmallLfw(), "lfw-fixture", "test-version")},
                 {"demographics",
                  DemographicsSectionJson(SmallDemographics(narrow), "utk-fixture", 80.f)},
                 {"attributes", AttributesJson(a)},
                 {"detection", DetectionJson(d, eval::DetectionEvalOptions{})}};
  return record;
}

eval::GroupRates Rates(const std::string& group, long long impostor_pairs,
                      std::vector<long long> false_matches, long long genuine_pairs = 0,
                      std::vector<long long> false_non_matches = {}) {
  eval::GroupRates g;
  g.group = group;
  g.impostor_pairs = impostor_pairs;
  g.false_matches = std::move(false_matches);
  g.genuine_pairs = genuine_pairs;
  g.false_non_matches = std::move(false_non_matches);
  return g;
}

// `candor eval fairness` in small, hand-made counts, at Similarity 50, 80,
// 90, 95, 99, with the table names eval::EvaluateFairness gives. At 80:
// - LFW: 5/10000, 20/20000, 1/5000: worst/best 5 (Asian over the group
//   whose name needs escaping); at 90 the best group has none: "inf".
// - UTKFace adults: 10, 30 (12 with `narrow`), 12 per 10000: worst/best 3
//   (1.2 with `narrow`), 3 times the claimed 1e-3.
// - UTKFace all ages: two groups.
eval::FairnessReport SmallFairness(bool narrow) {
  const std::vector<float> similarities = {50.f, 80.f, 90.f, 95.f, 99.f};
  eval::FairnessReport r;
  r.calibration_version = "cross-fitted (2 folds)";
  r.calibration_method = "fixed test method";
  r.cross_fitted = true;
  r.lfw_images = 120;
  r.lfw_faces = 118;
  r.utkface_images = 300;
  r.utkface_faces = 290;
  eval::FairnessTable lfw;
  lfw.dataset = "LFW with groups.tsv (identities known)";
  lfw.identities_known = true;
  lfw.similarities = similarities;
  lfw.groups = {Rates("African", 10000, {50, 5, 1, 0, 0}, 200, {1, 4, 10, 20, 40}),
                Rates("Asian", 20000, {100, 20, 4, 2, 1}, 400, {2, 8, 24, 40, 80}),
                Rates("Other & <unlisted>", 5000, {10, 1, 0, 0, 0}, 100, {0, 2, 5, 10, 20})};
  eval::FairnessTable adults;
  adults.dataset = "UTKFace, 18 and over (no identities)";
  adults.similarities = similarities;
  adults.groups = {Rates("White/Male", 10000, {100, 10, 2, 1, 0}),
                   Rates("Asian/Female", 10000, {300, narrow ? 12 : 30, 6, 3, 1}),
                   Rates("Black/Female", 10000, {150, 12, 3, 1, 0})};
  eval::FairnessTable all_ages;
  all_ages.dataset = "UTKFace, all ages (no identities)";
  all_ages.similarities = similarities;
  all_ages.groups = {Rates("White/Male", 20000, {200, 20, 4, 2, 1}),
                     Rates("Asian/Male", 20000, {2000, 1500, 800, 600, 300})};
  r.tables = {lfw, adults, all_ages};
  return r;
}

// The record as `candor eval report` writes it: the section plus its data
// set and date.
json SmallFairnessSection(bool narrow) {
  json section = FairnessSectionJson(SmallFairness(narrow), "shipped-test-version");
  section["dataset"] = "fairness-fixture";
  section["date"] = "2026-11-23";
  return section;
}

json WithFairness(json record, bool narrow) {
  record["fairness"] = SmallFairnessSection(narrow);
  record["default_similarity"] = 80;
  return record;
}

TEST(EvalReportRecord, SectionsCarryWhatThePageNeeds) {
  const json record = SmallRecord(false);
  const json& lfw = record["lfw"];
  long long genuine = 0, impostor = 0;
  for (const json& c : lfw["histogram"]["genuine"]) genuine += c.get<long long>();
  for (const json& c : lfw["histogram"]["impostor"]) impostor += c.get<long long>();
  EXPECT_EQ(genuine, 4);
  EXPECT_EQ(impostor, 5);
  // The DET point at cosine 0.45: 1 of 5 impostors accepted, 1 of 4 genuine rejected.
  bool found = false;
  for (const json& p : lfw["det"]) {
    if (std::abs(p["threshold"].get<double>() - 0.45) < 1e-6) {
      found = true;
      EXPECT_DOUBLE_EQ(p["fmr"].get<double>(), 0.2);
      EXPECT_DOUBLE_EQ(p["fnmr"].get<double>(), 0.25);
    }
  }
  EXPECT_TRUE(found);
  const json& d = record["demographics"];
  ASSERT_EQ(d["groups"].size(), 3u);
  EXPECT_DOUBLE_EQ(d["groups"][0]["fmr"][1].get<double>(), 0.01);
  EXPECT_EQ(d["at_default"]["worst_group"], "White/Male");
  EXPECT_EQ(d["at_default"]["best_group"], "White/Female");
  EXPECT_DOUBLE_EQ(d["at_default"]["ratio"].get<double>(), 2.5);
  EXPECT_EQ(record["attributes"]["emotions"]["confusion"][3][3], 6);
  EXPECT_DOUBLE_EQ(record["attributes"]["emotions"]["accuracy"].get<double>(), 7.0 / 8);
  EXPECT_DOUBLE_EQ(record["attributes"]["liveness"]["genuine_called_spoof_rate"].get<double>(), 0.1);
  EXPECT_DOUBLE_EQ(record["detection"]["bins"][2]["recall"].get<double>(), 0.75);
}

TEST(EvalReportRecord, RatioAtTheDefaultThreshold) {
  EXPECT_DOUBLE_EQ(*DefaultThresholdFmrRatio(SmallRecord(false)), 2.5);
  EXPECT_DOUBLE_EQ(*DefaultThresholdFmrRatio(SmallRecord(true)), 1.25);
  json unbounded = SmallRecord(false);
  unbounded["demographics"]["groups"][1]["fmr"][1] = 0.0;
  EXPECT_TRUE(std::isinf(*DefaultThresholdFmrRatio(unbounded)));
  json none = SmallRecord(false);
  for (json& g : none["demographics"]["groups"]) g["fmr"][1] = 0.0;
  EXPECT_EQ(*DefaultThresholdFmrRatio(none), 0.0);
  json missing = SmallRecord(false);
  missing["demographics"]["default_similarity"] = 85;  // not a measured threshold
  EXPECT_FALSE(DefaultThresholdFmrRatio(missing).has_value());
  missing["demographics"] = nullptr;
  EXPECT_FALSE(DefaultThresholdFmrRatio(missing).has_value());
  EXPECT_FALSE(DefaultThresholdFmrRatio(json::array()).has_value());
}

TEST(EvalReportRecord, FairnessSectionAsEvalFairnessPrintsIt) {
  const json f = FairnessSectionJson(SmallFairness(false), "shipped-test-version");
  EXPECT_EQ(f["shipped_calibration"], "shipped-test-version");
  EXPECT_EQ(f["calibration"], "cross-fitted (2 folds)");
  EXPECT_TRUE(f["cross_fitted"].get<bool>());
  EXPECT_EQ(f["lfw_faces"], 118);
  ASSERT_EQ(f["tables"].size(), 3u);
  const json& lfw = f["tables"][0];
  EXPECT_TRUE(lfw["identities_known"].get<bool>());
  EXPECT_DOUBLE_EQ(lfw["groups"][1]["false_match_rate"][1].get<double>(), 0.001);
  EXPECT_DOUBLE_EQ(lfw["groups"][1]["false_non_match_rate"][2].get<double>(), 0.06);
  EXPECT_LT(lfw["groups"][1]["false_match_rate_lower"][1].get<double>(), 0.001);
  EXPECT_GT(lfw["groups"][1]["false_match_rate_upper"][1].get<double>(), 0.001);
  EXPECT_EQ(lfw["worst_over_best"][1]["worst_group"], "Asian");
  EXPECT_EQ(lfw["worst_over_best"][1]["best_group"], "Other & <unlisted>");
  EXPECT_DOUBLE_EQ(lfw["worst_over_best"][1]["ratio"].get<double>(), 5.0);
  EXPECT_EQ(lfw["worst_over_best"][2]["ratio"], "inf");  // as eval fairness --json has it
  const json& adults = f["tables"][1];
  EXPECT_FALSE(adults["identities_known"].get<bool>());
  EXPECT_FALSE(adults["groups"][0].contains("false_non_match_rate"));
  EXPECT_DOUBLE_EQ(adults["worst_over_best"][1]["ratio"].get<double>(), 3.0);
  EXPECT_DOUBLE_EQ(adults["worst_over_best"][1]["claimed_false_match_rate"].get<double>(),
                   FalseMatchRateAt(80));
  EXPECT_NEAR(adults["worst_over_best"][1]["worst_over_claim"].get<double>(), 3.0, 1e-9);
}

TEST(EvalReportRecord, WarningReadsTheFairnessSectionFirst) {
  // UTKFace adults of the fairness section at 80 win over the demographics section.
  EXPECT_NEAR(*DefaultThresholdFmrRatio(WithFairness(SmallRecord(false), true)), 1.2, 1e-9);
  EXPECT_NEAR(*DefaultThresholdFmrRatio(WithFairness(SmallRecord(true), false)), 3.0, 1e-9);
  const std::optional<GroupFmrComparison> c =
      DefaultThresholdFmrComparison(WithFairness(SmallRecord(true), false));
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->section, "fairness");
  EXPECT_EQ(c->dataset, "UTKFace, 18 and over (no identities)");
  EXPECT_EQ(c->worst_group, "Asian/Female");
  EXPECT_EQ(c->best_group, "White/Male");
  EXPECT_TRUE(c->cross_fitted);
  EXPECT_DOUBLE_EQ(c->similarity, 80);
  EXPECT_GT(c->ratio_lower_bound_95, 1.0);
  EXPECT_LT(c->ratio_lower_bound_95, 3.0);
  // Not measured, or not at the default similarity, or no adults table: the
  // demographics section decides.
  json record = WithFairness(SmallRecord(false), true);
  record["fairness"] = nullptr;
  EXPECT_DOUBLE_EQ(*DefaultThresholdFmrRatio(record), 2.5);
  EXPECT_EQ(DefaultThresholdFmrComparison(record)->section, "demographics");
  record = WithFairness(SmallRecord(false), true);
  record["default_similarity"] = 85;  // the fairness tables stop at 50, 80, 90, 95, 99
  EXPECT_DOUBLE_EQ(*DefaultThresholdFmrRatio(record), 2.5);
  record = WithFairness(SmallRecord(false), true);
  record["fairness"]["tables"][1]["dataset"] = "something else";
  EXPECT_DOUBLE_EQ(*DefaultThresholdFmrRatio(record), 2.5);
  // No demographics either: nothing to say.
  record["demographics"] = nullptr;
  EXPECT_FALSE(DefaultThresholdFmrRatio(record).has_value());
  // Without a record-level default the demographics section's is used.
  record = WithFairness(SmallRecord(false), false);
  record.erase("default_similarity");
  EXPECT_DOUBLE_EQ(ReportDefaultSimilarity(record), 80);
  EXPECT_NEAR(*DefaultThresholdFmrRatio(record), 3.0, 1e-9);
  // An unbounded ratio: the best adult group has no false match at 80.
  record["fairness"]["tables"][1]["groups"][0]["false_match_rate"][1] = 0.0;
  EXPECT_TRUE(std::isinf(*DefaultThresholdFmrRatio(record)));
}

// The part of `page` from the element with this id to the next closing tag
// `close` (e.g. "</svg>", "</table>").
std::string Element(const std::string& page, const std::string& id, const std::string& close) {
  const size_t at = page.find("id=\"" + id + "\"");
  if (at == std::string::npos) return "";
  const size_t end = page.find(close, at);
  return page.substr(at, end == std::string::npos ? std::string::npos : end - at);
}

// The fairness section: from its heading to the demographics heading.
std::string FairnessPart(const std::string& page) {
  const size_t from = page.find("<h2 id=\"fairness\"");
  const size_t to = page.find("<h2 id=\"demographics\"");
  if (from == std::string::npos || to == std::string::npos || to < from) return "";
  return page.substr(from, to - from);
}

TEST(EvalReportHtml, FairnessSectionRendersEscapedBeforeDemographics) {
  const std::string page = RenderEvalReportHtml(WithFairness(SmallRecord(true), false));
  const std::string section = FairnessPart(page);
  ASSERT_FALSE(section.empty()) << "no fairness section before the demographics section";
  EXPECT_EQ(section.find("Not measured"), std::string::npos);
  EXPECT_NE(section.find("Similarity per group"), std::string::npos);
  EXPECT_NE(section.find("cross-fitted"), std::string::npos);
  EXPECT_NE(section.find("fitted on one half"), std::string::npos);
  EXPECT_NE(section.find("UTKFace has no identities"), std::string::npos);
  EXPECT_NE(section.find("same-person pairs"), std::string::npos);
  EXPECT_NE(section.find("fairness-fixture"), std::string::npos);
  // Escaped group name, in tables and chart legends alike.
  EXPECT_EQ(page.find("<unlisted>"), std::string::npos);
  EXPECT_NE(section.find("Other &amp; &lt;unlisted&gt;"), std::string::npos);
  // Three false-match charts, one false-non-match chart (LFW only).
  for (const char* id : {"fairness-fmr-0", "fairness-fmr-1", "fairness-fmr-2", "fairness-fnmr-0"})
    EXPECT_NE(section.find(std::string("id=\"") + id + "\""), std::string::npos) << id;
  EXPECT_EQ(section.find("fairness-fnmr-1"), std::string::npos);
  // Per-group counts and rates, false non-matches, worst/best at each Similarity.
  const std::string lfw_fmr = Element(section, "fairness-fmr-table-0", "</table>");
  EXPECT_NE(lfw_fmr.find("<td>20 (1.00e-03)</td>"), std::string::npos) << lfw_fmr;
  const std::string lfw_fnmr = Element(section, "fairness-fnmr-table-0", "</table>");
  EXPECT_NE(lfw_fnmr.find("<td>24 (6.0%)</td>"), std::string::npos) << lfw_fnmr;
  const std::string lfw_ratio = Element(section, "fairness-ratio-table-0", "</table>");
  EXPECT_NE(lfw_ratio.find("<td>5.00 ("), std::string::npos) << lfw_ratio;
  EXPECT_NE(lfw_ratio.find("<td>unbounded ("), std::string::npos) << lfw_ratio;
  const std::string adults_ratio = Element(section, "fairness-ratio-table-1", "</table>");
  EXPECT_NE(adults_ratio.find("<td>Asian/Female (3.00e-03)</td>"), std::string::npos);
  EXPECT_NE(adults_ratio.find("<td>3.00 ("), std::string::npos) << adults_ratio;
  EXPECT_NE(adults_ratio.find("<td>3.00</td>"), std::string::npos);  // 3x the claim
  // The warning follows the fairness section (3.00) over demographics (1.25).
  EXPECT_NE(page.find("id=\"fmr-ratio-warning\""), std::string::npos);
  EXPECT_NE(page.find("3.00 times that of the best (Asian/Female against White/Male"),
            std::string::npos);
  EXPECT_EQ(RenderEvalReportHtml(WithFairness(SmallRecord(false), true))
                .find("id=\"fmr-ratio-warning\""),
            std::string::npos);
  // The demographics paragraph still describes the demographics section.
  EXPECT_NE(page.find("1.25 times the lowest"), std::string::npos);

  // Not measured: the heading and "not measured", no chart.
  const std::string missing = FairnessPart(RenderEvalReportHtml(SmallRecord(false)));
  EXPECT_NE(missing.find("Not measured in this report."), std::string::npos);
  EXPECT_EQ(missing.find("<svg"), std::string::npos);
}

TEST(EvalReportHtml, WarningOnlyAboveTwoAndTextEscaped) {
  const std::string wide = RenderEvalReportHtml(SmallRecord(false));
  const std::string narrow = RenderEvalReportHtml(SmallRecord(true));
  EXPECT_NE(wide.find("id=\"fmr-ratio-warning\""), std::string::npos);
  EXPECT_EQ(narrow.find("id=\"fmr-ratio-warning\""), std::string::npos);
  EXPECT_EQ(wide.find("<test>"), std::string::npos);
  EXPECT_NE(wide.find("&lt;test&gt;"), std::string::npos);
  // The age warning: estimates 38 and 39 for true ages 10 and 70.
  EXPECT_NE(wide.find("id=\"age-warning\""), std::string::npos);
  for (const PublishedPeer& peer : kPublishedLfwPeers) {
    EXPECT_NE(wide.find(peer.model), std::string::npos) << peer.model;
  }
  EXPECT_NE(wide.find("published, not measured here"), std::string::npos);
  // An empty record still renders, every section "not measured".
  const std::string empty = RenderEvalReportHtml(json::object());
  EXPECT_EQ(empty.find("<svg"), std::string::npos);
  EXPECT_NE(empty.find("Not measured"), std::string::npos);
}

TEST(SvgChart, NonFiniteAndOffLogScalePointsAreLeftOut) {
  LineChartSpec spec;
  spec.id = "c";
  spec.x = {"x", 0, 1, false};
  spec.y = {"y", 1e-3, 1, true};
  spec.series.push_back({"s", "#000", {0, 0.5, 1, NAN}, {0, 0.1, 1, 0.5}, false});
  const std::string svg = LineChartSvg(spec);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(svg, m, std::regex("points=\"([^\"]*)\"")));
  // Two points survive: (0.5, 0.1) and (1, 1); y = 0 is off a log axis.
  int points = 0;
  for (char c : m[1].str()) points += c == ',';
  EXPECT_EQ(points, 2);
  spec.y.low = 0;  // invalid for a log axis: no chart, no crash
  EXPECT_NE(LineChartSvg(spec).find("no valid axis range"), std::string::npos);
}

// Chromium on $PATH (Debian's package installs /usr/bin/chromium), or
// $CANDOR_CHROMIUM.
std::string FindChromium() {
  if (const char* v = std::getenv("CANDOR_CHROMIUM"); v != nullptr && *v != '\0') return v;
  for (const char* path : {"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"}) {
    std::error_code ec;
    if (fs::is_regular_file(path, ec)) return path;
  }
  return "";
}

// The DOM Chromium builds from the page.
std::string DumpDom(const std::string& chromium, const fs::path& dir, const std::string& html) {
  const fs::path page = dir / "page.html", dom = dir / "dom.html";
  {
    std::ofstream out(page, std::ios::binary);
    out << html;
  }
  const std::string command = "timeout 180 '" + chromium +
                              "' --headless --no-sandbox --disable-gpu --disable-dev-shm-usage "
                              "--user-data-dir='" + (dir / "profile").string() +
                              "' --dump-dom 'file://" + page.string() + "' >'" + dom.string() +
                              "' 2>'" + (dir / "chromium.log").string() + "'";
  const int rc = std::system(command.c_str());
  EXPECT_EQ(rc, 0) << command << "\n" << testing::ReadFile((dir / "chromium.log").string());
  return testing::ReadFile(dom.string());
}

int Count(const std::string& text, const std::string& needle) {
  int n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

TEST(EvalReportHtml, BrowserBuildsTheChartsAndTheWarning) {
  const std::string chromium = FindChromium();
  ASSERT_FALSE(chromium.empty())
      << "chromium not found: tools/setup.sh installs it (apt-get install chromium); this test "
         "renders the report in a real browser and does not skip";
  char pattern[] = "/tmp/candor-eval-report-XXXXXX";
  ASSERT_NE(::mkdtemp(pattern), nullptr);
  const fs::path dir = pattern;
  fs::create_directories(dir / "wide");
  fs::create_directories(dir / "narrow");
  const std::string wide = DumpDom(chromium, dir / "wide", RenderEvalReportHtml(SmallRecord(false)));
  const std::string narrow =
      DumpDom(chromium, dir / "narrow", RenderEvalReportHtml(SmallRecord(true)));
  ASSERT_NE(wide.find("</html>"), std::string::npos) << "no DOM dumped";

  // Four charts, each an svg element with its id, drawn with content.
  EXPECT_EQ(Count(wide, "<svg"), 4);
  for (const char* id : {"lfw-similarity-histogram", "lfw-det", "demographic-fmr",
                         "emotion-confusion"}) {
    EXPECT_NE(wide.find(std::string("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" id=\"") + id),
              std::string::npos)
        << id;
  }
  // The per-group curves: one polyline per group and the calibrated line,
  // plus the LFW DET curve.
  EXPECT_EQ(Count(wide, "<polyline"), 3 + 1 + 1);
  EXPECT_EQ(Count(wide, "class=\"distribution\""), 2);  // genuine and impostor
  EXPECT_EQ(Count(wide, "class=\"cell\""), 49);         // 7 x 7 emotions
  // The warning: shown at 2.5, not at 1.25.
  EXPECT_NE(wide.find("id=\"fmr-ratio-warning\""), std::string::npos);
  EXPECT_NE(wide.find("2.50 times"), std::string::npos);
  EXPECT_EQ(narrow.find("id=\"fmr-ratio-warning\""), std::string::npos);
  EXPECT_NE(narrow.find("1.25 times the lowest"), std::string::npos);
  EXPECT_EQ(Count(narrow, "<svg"), 4);
  EXPECT_NE(FairnessPart(wide).find("Not measured"), std::string::npos);

  // With the fairness section: its four charts, one line per group plus the
  // claimed rate on each false-match chart, one legend entry per line.
  fs::create_directories(dir / "fairness");
  const std::string fair = DumpDom(chromium, dir / "fairness",
                                   RenderEvalReportHtml(WithFairness(SmallRecord(true), false)));
  ASSERT_NE(fair.find("</html>"), std::string::npos) << "no DOM dumped";
  EXPECT_EQ(Count(fair, "<svg"), 4 + 4);
  const std::string section = FairnessPart(fair);
  EXPECT_EQ(Count(section, "<svg"), 4);
  const struct {
    const char* id;
    int lines;
  } charts[] = {{"fairness-fmr-0", 3 + 1}, {"fairness-fmr-1", 3 + 1}, {"fairness-fmr-2", 2 + 1},
                {"fairness-fnmr-0", 3}};
  for (const auto& chart : charts) {
    const std::string svg = Element(section, chart.id, "</svg>");
    EXPECT_EQ(Count(svg, "<polyline"), chart.lines) << chart.id;
    EXPECT_EQ(Count(svg, "<rect"), chart.lines) << chart.id;  // legend swatches
    // Every line drawn: no empty polyline (rates of 0 leave points out, not lines).
    EXPECT_EQ(Count(svg, "points=\"\""), 0) << chart.id;
  }
  EXPECT_NE(Element(section, "fairness-fmr-1", "</svg>").find("claimed (FalseMatchRateAt)"),
            std::string::npos);
  // A dot per rate above 0 (3 + 5 + 2 in LFW), so that a group left with one
  // point on the log axis still shows.
  EXPECT_EQ(Count(Element(section, "fairness-fmr-0", "</svg>"), "class=\"point\""), 10);
  EXPECT_NE(Element(section, "fairness-fmr-0", "</svg>").find("Other &amp; &lt;unlisted&gt;"),
            std::string::npos);
  EXPECT_EQ(fair.find("<unlisted>"), std::string::npos);
  EXPECT_NE(Element(section, "fairness-ratio-table-1", "</table>").find("<td>3.00 ("),
            std::string::npos);
  EXPECT_NE(fair.find("id=\"fmr-ratio-warning\""), std::string::npos);
  EXPECT_NE(fair.find("3.00 times that of the best"), std::string::npos);

  std::error_code ec;
  if (!HasFailure()) fs::remove_all(dir, ec);
}

}  // namespace
}  // namespace candor::report
