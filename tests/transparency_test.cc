// The transparency report (src/report/transparency.h): exact figures from a
// synthetic audit trail, period filtering, escaping, and the HTML page as a
// browser shows it (headless Chromium screenshot, checked with OpenCV).
#include "report/transparency.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <tuple>

#include "test_support.h"

namespace candor::report {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr char kMissing[] = "Finding missing persons";
constexpr char kAccess[] = "Building access";

audit::AuditEvent Event(int64_t seq, int64_t time_ms, std::string principal, std::string operation,
                        std::string collection_id, std::string purpose, std::string outcome,
                        json results = json::object(),
                        std::optional<double> requested = std::nullopt,
                        std::optional<double> applied = std::nullopt) {
  audit::AuditEvent e;
  e.seq = seq;
  e.time_ms = time_ms;
  e.principal = std::move(principal);
  e.source = "127.0.0.1";
  e.operation = std::move(operation);
  e.collection_id = std::move(collection_id);
  e.purpose = std::move(purpose);
  e.outcome = std::move(outcome);
  e.results = std::move(results);
  e.threshold_requested = requested;
  e.threshold_applied = applied;
  return e;
}

json Matches(const char* key, std::initializer_list<double> similarities) {
  json list = json::array();
  int n = 0;
  for (double s : similarities) {
    list.push_back({{"FaceId", "face-" + std::to_string(++n)}, {"Similarity", s}});
  }
  return {{key, list}};
}

// Three callers and a retention job, two stated purposes (and CompareFaces,
// which has none), raised and refused thresholds, enrolments, erasures by
// three operations, refusals, two policy events, one event with a malformed
// `results`, and two events just outside [1000, 2000).
std::vector<audit::AuditEvent> SyntheticTrail() {
  json raised = Matches("FaceMatches", {99.6, 99.2});
  raised["ThresholdRaised"] = true;
  return {
      Event(0, 999, "officer-a", "SearchFaces", "missing", kMissing, "ok",
            Matches("FaceMatches", {99.9, 99.9}), 99, 99),
      Event(1, 1000, "officer-a", "SearchFacesByImage", "missing", kMissing, "ok", raised, 80, 99),
      Event(2, 1100, "officer-a", "SearchFaces", "missing", kMissing, "ok",
            Matches("FaceMatches", {99.95}), 99, 99),
      Event(3, 1200, "officer-b", "SearchUsersByImage", "staff", kAccess, "ok",
            Matches("UserMatches", {99.1}), std::nullopt, 99),
      Event(4, 1300, "officer-b", "SearchFacesByImage", "missing", kMissing,
            "AccessDeniedException", json::object(), 50, 99),
      Event(5, 1350, "officer-b", "SearchFaces", "staff", kAccess, "ok",
            {{"FaceMatches", json::array()}}, 90, 99),
      Event(6, 1400, "officer-a", "CompareFaces", "", "", "ok", Matches("FaceMatches", {85.0}), 80,
            80),
      Event(7, 1450, "admin", "IndexFaces", "missing", kMissing, "ok",
            {{"FaceIds", {"a", "b", "c"}}}),
      Event(8, 1500, "admin", "IndexFaces", "staff", kAccess, "ok",
            {{"FaceRecords", {json::object(), json::object()}}}),
      Event(9, 1550, "admin", "DeleteFaces", "missing", kMissing, "ok", {{"FaceIds", {"a"}}}),
      Event(10, 1600, "system", "RetentionErase", "staff", kAccess, "ok", {{"DeletedFaces", 2}}),
      Event(11, 1650, "admin", "DeleteCollection", "old", "Old project", "ok",
            {{"DeletedFaces", {"w", "x", "y", "z"}}}),
      Event(12, 1700, "officer-a", "Candor.PutCollectionPolicy", "missing", kMissing,
            "AccessDeniedException"),
      Event(13, 1750, "admin", "PutCollectionPolicy", "missing", kMissing, "ok",
            {{"Before", {{"ThresholdFloor", 99}, {"Purpose", kMissing}}},
             {"After", {{"ThresholdFloor", 99.5}, {"Purpose", kMissing}}}}),
      Event(14, 1800, "officer-b", "DeleteFaces", "staff", kAccess, "ResourceNotFoundException"),
      Event(15, 1850, "officer-a", "SearchFacesByImage", "missing", kMissing, "ok",
            json("not an object")),
      Event(16, 1900, "admin", "DetectFaces", "", "", "ok"),
      Event(17, 2000, "admin", "IndexFaces", "missing", kMissing, "ok", {{"FaceIds", {"d", "e"}}}),
  };
}

audit::VerifyReport GoodChain() {
  audit::VerifyReport chain;
  chain.records = 18;
  chain.checkpoints = 1;
  chain.last_checkpoint_seq = 17;
  return chain;
}

void ExpectActivity(const Activity& a, int64_t searches, int64_t refused, int64_t matches,
                    int64_t raised, int64_t below_floor, int64_t enrolled, int64_t erased) {
  EXPECT_EQ(a.searches, searches);
  EXPECT_EQ(a.searches_refused, refused);
  EXPECT_EQ(a.matches_returned, matches);
  EXPECT_EQ(a.threshold_raised, raised);
  EXPECT_EQ(a.refused_below_floor, below_floor);
  EXPECT_EQ(a.faces_enrolled, enrolled);
  EXPECT_EQ(a.faces_erased, erased);
}

TEST(TransparencyReport, ExactFiguresFromSyntheticTrail) {
  const TransparencyReport r = BuildTransparencyReport(SyntheticTrail(), 1000, 2000, GoodChain());
  EXPECT_EQ(r.from_ms, 1000);
  EXPECT_EQ(r.to_ms, 2000);
  EXPECT_GT(r.generated_ms, 0);
  EXPECT_TRUE(r.chain.ok);
  EXPECT_EQ(r.events, 16);
  EXPECT_EQ(r.first_seq, 1);
  EXPECT_EQ(r.last_seq, 16);
  {
    SCOPED_TRACE("totals");
    ExpectActivity(r.totals, 7, 1, 5, 2, 1, 5, 7);
  }
  EXPECT_EQ(r.requests_refused, 3);
  EXPECT_EQ(r.policy_changes, 1);

  ASSERT_EQ(r.by_purpose.size(), 4u);
  {
    SCOPED_TRACE("missing persons");
    ExpectActivity(r.by_purpose.at(kMissing), 4, 1, 3, 1, 1, 3, 1);
  }
  {
    SCOPED_TRACE("building access");
    ExpectActivity(r.by_purpose.at(kAccess), 2, 0, 1, 1, 0, 2, 2);
  }
  {
    SCOPED_TRACE("no collection");
    ExpectActivity(r.by_purpose.at("(no collection)"), 1, 0, 1, 0, 0, 0, 0);
  }
  {
    SCOPED_TRACE("old project");
    ExpectActivity(r.by_purpose.at("Old project"), 0, 0, 0, 0, 0, 0, 4);
  }
  ASSERT_EQ(r.by_principal.size(), 4u);
  {
    SCOPED_TRACE("officer-a");
    ExpectActivity(r.by_principal.at("officer-a"), 4, 0, 4, 1, 0, 0, 0);
  }
  {
    SCOPED_TRACE("officer-b");
    ExpectActivity(r.by_principal.at("officer-b"), 3, 1, 1, 1, 1, 0, 0);
  }
  {
    SCOPED_TRACE("admin");
    ExpectActivity(r.by_principal.at("admin"), 0, 0, 0, 0, 0, 5, 5);
  }
  {
    SCOPED_TRACE("system");
    ExpectActivity(r.by_principal.at("system"), 0, 0, 0, 0, 0, 0, 2);
  }

  EXPECT_EQ(r.searches_by_operation, (std::map<std::string, int64_t>{{"CompareFaces", 1},
                                                                     {"SearchFaces", 2},
                                                                     {"SearchFacesByImage", 3},
                                                                     {"SearchUsersByImage", 1}}));

  EXPECT_EQ(r.similarity.matches, 5);
  EXPECT_DOUBLE_EQ(r.similarity.min, 85.0);
  EXPECT_DOUBLE_EQ(r.similarity.max, 99.95);
  EXPECT_NEAR(r.similarity.mean, (99.6 + 99.2 + 99.95 + 99.1 + 85.0) / 5, 1e-9);
  ASSERT_EQ(r.similarity.bins.size(), kSimilarityEdges.size() - 1);
  std::vector<int64_t> bins;
  for (const SimilarityBin& b : r.similarity.bins) bins.push_back(b.matches);
  // 85 in [80, 90); 99.1 and 99.2 in [99, 99.5); 99.6 in [99.5, 99.9); 99.95 in [99.9, 100].
  EXPECT_EQ(bins, (std::vector<int64_t>{0, 0, 1, 0, 0, 0, 2, 1, 1}));
  EXPECT_EQ(r.similarity.bins[6].from, 99);
  EXPECT_EQ(r.similarity.bins[6].to, 99.5);

  // The searches that ran, by (requested, applied); absent values first.
  ASSERT_EQ(r.thresholds.size(), 6u);
  const std::vector<std::tuple<std::optional<double>, std::optional<double>, int64_t>> expected = {
      {std::nullopt, std::nullopt, 1},
      {std::nullopt, 99, 1},
      {80, 80, 1},
      {80, 99, 1},
      {90, 99, 1},
      {99, 99, 1}};
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(r.thresholds[i].requested, std::get<0>(expected[i])) << i;
    EXPECT_EQ(r.thresholds[i].applied, std::get<1>(expected[i])) << i;
    EXPECT_EQ(r.thresholds[i].searches, std::get<2>(expected[i])) << i;
  }

  ASSERT_EQ(r.erasures_by_operation.size(), 3u);
  EXPECT_EQ(r.erasures_by_operation.at("DeleteFaces").requests, 1);
  EXPECT_EQ(r.erasures_by_operation.at("DeleteFaces").faces, 1);
  EXPECT_EQ(r.erasures_by_operation.at("RetentionErase").faces, 2);
  EXPECT_EQ(r.erasures_by_operation.at("DeleteCollection").faces, 4);

  EXPECT_EQ(r.refusals_by_error,
            (std::map<std::string, int64_t>{{"AccessDeniedException", 2},
                                            {"ResourceNotFoundException", 1}}));
  EXPECT_EQ(r.refusals_by_principal,
            (std::map<std::string, int64_t>{{"officer-a", 1}, {"officer-b", 2}}));
  EXPECT_EQ(r.refusals_by_operation,
            (std::map<std::string, int64_t>{
                {"DeleteFaces", 1}, {"PutCollectionPolicy", 1}, {"SearchFacesByImage", 1}}));

  ASSERT_EQ(r.policy_events.size(), 2u);
  EXPECT_EQ(r.policy_events[0].seq, 12);
  EXPECT_EQ(r.policy_events[0].outcome, "AccessDeniedException");
  EXPECT_TRUE(r.policy_events[0].before.is_null());
  EXPECT_EQ(r.policy_events[1].principal, "admin");
  EXPECT_EQ(r.policy_events[1].before["ThresholdFloor"], 99);
  EXPECT_EQ(r.policy_events[1].after["ThresholdFloor"], 99.5);

  // The JSON carries the same figures.
  const json j = ToJson(r);
  EXPECT_EQ(j["Totals"]["Searches"], 7);
  EXPECT_EQ(j["Totals"]["FacesErased"], 7);
  EXPECT_EQ(j["Totals"]["RequestsRefused"], 3);
  EXPECT_EQ(j["ByPurpose"][kMissing]["MatchesReturned"], 3);
  EXPECT_EQ(j["ByPrincipal"]["officer-b"]["RefusedBelowFloor"], 1);
  EXPECT_EQ(j["Similarity"]["Bins"][6]["Matches"], 2);
  EXPECT_TRUE(j["Thresholds"][0]["Requested"].is_null());
  EXPECT_EQ(j["Erasures"]["RetentionErase"]["Faces"], 2);
  EXPECT_EQ(j["Refusals"]["ByError"]["AccessDeniedException"], 2);
  EXPECT_EQ(j["PolicyChanges"][1]["After"]["ThresholdFloor"], 99.5);
  EXPECT_EQ(j["AuditChain"]["Verified"], true);
  EXPECT_EQ(j["Period"]["FromIso"], "1970-01-01T00:00:01.000Z");
}

// Video: a stored-video face search (recorded when its job ends) and a
// stream processor's session are searches, with their matches and purpose.
TEST(TransparencyReport, VideoSearchesAreSearches) {
  audit::AuditEvent job;
  job.seq = 1;
  job.time_ms = 1500;
  job.principal = "officer-a";
  job.operation = "StartFaceSearch.Completed";
  job.collection_id = "c";
  job.purpose = "Video review";
  job.threshold_requested = 80;
  job.threshold_applied = 90;
  job.outcome = "ok";
  job.results = {{"FaceMatches", nlohmann::json::array({{{"FaceId", "f1"}, {"Similarity", 95.0}},
                                                        {{"FaceId", "f2"}, {"Similarity", 92.0}}})},
                 {"ThresholdRaised", true}};
  audit::AuditEvent session = job;
  session.seq = 2;
  session.operation = "StreamProcessorSession";
  session.threshold_applied = 80;
  session.results = {{"FaceMatches", nlohmann::json::array({{{"FaceId", "f1"}, {"Similarity", 97.0}}})}};
  const TransparencyReport r = BuildTransparencyReport({job, session}, 1000, 2000, GoodChain());
  ExpectActivity(r.by_purpose.at("Video review"), 2, 0, 3, 1, 0, 0, 0);
  EXPECT_EQ(r.searches_by_operation,
            (std::map<std::string, int64_t>{{"StartFaceSearch.Completed", 1},
                                            {"StreamProcessorSession", 1}}));
  EXPECT_EQ(r.similarity.matches, 3);
}

TEST(TransparencyReport, OnlyEventsOfThePeriodCount) {
  const std::vector<audit::AuditEvent> trail = SyntheticTrail();
  // [1000, 1350): from is inclusive, to exclusive.
  TransparencyReport r = BuildTransparencyReport(trail, 1000, 1350, GoodChain());
  EXPECT_EQ(r.events, 4);
  EXPECT_EQ(r.first_seq, 1);
  EXPECT_EQ(r.last_seq, 4);
  ExpectActivity(r.totals, 4, 1, 4, 1, 1, 0, 0);

  // The two events outside [1000, 2000) alone.
  r = BuildTransparencyReport(trail, 0, 1000, GoodChain());
  EXPECT_EQ(r.events, 1);
  ExpectActivity(r.totals, 1, 0, 2, 0, 0, 0, 0);
  r = BuildTransparencyReport(trail, 2000, 3000, GoodChain());
  EXPECT_EQ(r.events, 1);
  ExpectActivity(r.totals, 0, 0, 0, 0, 0, 2, 0);

  // Nothing: an empty report, still rendered.
  r = BuildTransparencyReport(trail, 5000, 6000, GoodChain());
  EXPECT_EQ(r.events, 0);
  EXPECT_EQ(r.first_seq, 0);
  EXPECT_TRUE(r.by_purpose.empty());
  EXPECT_EQ(r.similarity.matches, 0);
  EXPECT_NE(RenderHtml(r).find("None in this period"), std::string::npos);
}

TEST(TransparencyReport, EveryStringFromTheLogIsEscaped) {
  EXPECT_EQ(HtmlEscape("<a href=\"x\">Tom & Jerry's</a>"),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;");

  const std::string script = "<script>alert(1)</script>";
  std::vector<audit::AuditEvent> trail = {
      Event(1, 10, script, "SearchFacesByImage", "c", "<b>purpose</b>", "ok",
            Matches("FaceMatches", {99.5}), 80, 99),
      Event(2, 11, script, "SearchFaces", "c", "<b>purpose</b>", "<i>Weird</i>Exception"),
      Event(3, 12, script, "PutCollectionPolicy", "<c>", "x", "ok",
            {{"Before", {{"Purpose", "<old>"}}}, {"After", {{"Purpose", "</td><script>"}}}}),
  };
  audit::VerifyReport chain;
  chain.ok = false;
  chain.problems = {"record 2: <img src=x onerror=alert(2)> edited"};
  const std::string html = RenderHtml(BuildTransparencyReport(trail, 0, 100, chain));

  std::string lower = html;
  std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
  EXPECT_EQ(lower.find("<script"), std::string::npos);
  EXPECT_EQ(lower.find("<img"), std::string::npos);
  EXPECT_EQ(lower.find("<b>"), std::string::npos);
  EXPECT_EQ(lower.find("<i>"), std::string::npos);
  EXPECT_EQ(lower.find("<old>"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(html.find("&lt;img src=x onerror=alert(2)&gt;"), std::string::npos);
  EXPECT_NE(html.find("&lt;i&gt;Weird&lt;/i&gt;Exception"), std::string::npos);
  // The failed verification is said, prominently.
  EXPECT_NE(html.find("verification FAILED"), std::string::npos);
}

TEST(TransparencyReport, PageIsSelfContained) {
  const std::string html =
      RenderHtml(BuildTransparencyReport(SyntheticTrail(), 1000, 2000, GoodChain()));
  std::string lower = html;
  std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
  for (const char* forbidden : {"<script", "http:", "https:", "url(", "@import", "<link", "<img",
                                "src=", "<iframe", "javascript:"}) {
    EXPECT_EQ(lower.find(forbidden), std::string::npos) << forbidden;
  }
  EXPECT_NE(html.find("Audit log verified"), std::string::npos);
  EXPECT_NE(html.find(kMissing), std::string::npos);
  EXPECT_NE(html.find("1970-01-01 00:00:01 UTC"), std::string::npos);  // the period
  EXPECT_NE(html.find("ThresholdFloor: 99 \u2192 99.5"), std::string::npos);
}

TEST(TransparencyReport, ParsesAndFormatsTimes) {
  EXPECT_EQ(*ParseTimeMs("0"), 0);
  EXPECT_EQ(*ParseTimeMs("1793491200000"), 1793491200000);
  EXPECT_EQ(*ParseTimeMs("2026-11-01"), 1793491200000);
  EXPECT_EQ(*ParseTimeMs("2026-11-01T00:00:00Z"), 1793491200000);
  EXPECT_EQ(*ParseTimeMs("2026-11-01T09:30:00.250+01:00"), 1793521800250);
  EXPECT_EQ(*ParseTimeMs("2026-11-01 09:30-0530"), 1793545200000);
  EXPECT_EQ(*ParseTimeMs("2024-02-29"), 1709164800000);
  EXPECT_EQ(*ParseTimeMs("1900-03-01"), -2203891200000);
  for (const char* bad :
       {"", "yesterday", "2023-02-29", "2026-13-01", "2026-11-01T25:00", "2026-11-01T10:00:00.",
        "2026-11-01T10:00+", "2026-11-01x", "99999999999999999999", "-"}) {
    EXPECT_FALSE(ParseTimeMs(bad).ok()) << bad;
  }
  EXPECT_EQ(FormatIsoTime(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatIsoTime(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(FormatIsoTime(1793521800250), "2026-11-01T08:30:00.250Z");
  EXPECT_EQ(*ParseTimeMs(FormatIsoTime(1793521800250)), 1793521800250);
  EXPECT_EQ(FormatIsoTime(std::numeric_limits<int64_t>::max()),
            std::to_string(std::numeric_limits<int64_t>::max()));
}

// Chromium on $PATH (Debian's package installs /usr/bin/chromium), or
// $CANDOR_CHROMIUM.
std::string FindChromium() {
  if (const char* v = std::getenv("CANDOR_CHROMIUM"); v != nullptr && *v != '\0') return v;
  std::string path = std::getenv("PATH") != nullptr ? std::getenv("PATH") : "";
  path += ":/usr/bin";
  for (const char* name : {"chromium", "chromium-browser", "google-chrome"}) {
    size_t start = 0;
    while (start <= path.size()) {
      size_t colon = path.find(':', start);
      if (colon == std::string::npos) colon = path.size();
      const fs::path candidate = fs::path(path.substr(start, colon - start)) / name;
      std::error_code ec;
      if (colon > start && fs::is_regular_file(candidate, ec)) return candidate.string();
      start = colon + 1;
    }
  }
  return "";
}

// Pixels of `image` (BGR) within `tolerance` of `bgr` in every channel.
int CountColour(const cv::Mat& image, cv::Scalar bgr, int tolerance) {
  cv::Mat mask;
  cv::inRange(image, bgr - cv::Scalar::all(tolerance), bgr + cv::Scalar::all(tolerance), mask);
  return cv::countNonZero(mask);
}

TEST(TransparencyReport, BrowserRendersThePage) {
  const std::string chromium = FindChromium();
  ASSERT_FALSE(chromium.empty())
      << "chromium not found: tools/setup.sh installs it (apt-get install chromium); this test "
         "renders the report in a real browser and does not skip";

  char pattern[] = "/tmp/candor-transparency-XXXXXX";
  ASSERT_NE(::mkdtemp(pattern), nullptr);
  const fs::path dir = pattern;
  const fs::path html = dir / "transparency.html";
  const fs::path png = dir / "transparency.png";
  {
    std::ofstream out(html, std::ios::binary);
    out << RenderHtml(BuildTransparencyReport(SyntheticTrail(), 1000, 2000, GoodChain()));
    ASSERT_TRUE(out.good());
  }
  // As root Chromium needs --no-sandbox; its own profile directory keeps it
  // off $HOME and apart from other runs.
  const std::string command = "timeout 180 '" + chromium +
                              "' --headless --no-sandbox --disable-gpu --disable-dev-shm-usage "
                              "--hide-scrollbars --user-data-dir='" +
                              (dir / "profile").string() + "' --screenshot='" + png.string() +
                              "' --window-size=1280,2000 'file://" + html.string() + "' >'" +
                              (dir / "chromium.log").string() + "' 2>&1";
  const int rc = std::system(command.c_str());
  ASSERT_EQ(rc, 0) << command << "\n" << testing::ReadFile((dir / "chromium.log").string());
  std::printf("screenshot: %s\n", png.string().c_str());

  const cv::Mat image = cv::imread(png.string(), cv::IMREAD_COLOR);
  ASSERT_FALSE(image.empty()) << "no readable PNG at " << png;
  EXPECT_EQ(image.cols, 1280);
  EXPECT_EQ(image.rows, 2000);
  cv::Mat grey;
  cv::cvtColor(image, grey, cv::COLOR_BGR2GRAY);
  cv::Scalar mean, stddev;
  cv::meanStdDev(grey, mean, stddev);
  EXPECT_GT(stddev[0], 15) << "a blank page";
  EXPECT_GT(cv::countNonZero(grey < 80), 5000) << "too little dark text";
  // The green "verified" banner (#e2f3e6) and the bars of the similarity
  // chart (#2c5d9c) are drawn.
  EXPECT_GT(CountColour(image, cv::Scalar(0xe6, 0xf3, 0xe2), 8), 20000);
  EXPECT_GT(CountColour(image, cv::Scalar(0x9c, 0x5d, 0x2c), 8), 1000);

  // A copy for humans beside the default build, if there is one.
  const fs::path build = fs::path(CANDOR_SOURCE_DIR) / "build";
  std::error_code ec;
  if (fs::is_directory(build, ec)) {
    fs::copy_file(png, build / "transparency-screenshot.png", fs::copy_options::overwrite_existing,
                  ec);
    if (!ec) std::printf("copied to %s\n", (build / "transparency-screenshot.png").c_str());
  }
  // Kept for inspection when something failed.
  if (!HasFailure()) fs::remove_all(dir, ec);
}

}  // namespace
}  // namespace candor::report
