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
#include <regex>
#include <string>

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

  std::error_code ec;
  if (!HasFailure()) fs::remove_all(dir, ec);
}

}  // namespace
}  // namespace candor::report
