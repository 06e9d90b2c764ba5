// The transparency report's figures (TransparencyReportBuilder), its JSON,
// and the times it reads and writes. The page itself: transparency_html.cc.
#include "report/transparency.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>

namespace candor::report {
namespace {

using nlohmann::json;

constexpr char kNoCollection[] = "(no collection)";
constexpr char kNoPurpose[] = "(none stated)";
constexpr char kUnknownPrincipal[] = "(unknown)";
constexpr char kNoOutcome[] = "(no outcome recorded)";
// A count an event claims is capped, so that one malformed record cannot
// overflow the totals.
constexpr int64_t kMaxCountPerEvent = 1'000'000'000'000;
constexpr int64_t kMsPerDay = 86'400'000;

// ---------------------------------------------------------------------------
// Reading events.

const json* Member(const json& object, const char* key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

// A list's length, or a non-negative number.
int64_t CountOf(const json* value) {
  if (value == nullptr) return 0;
  if (value->is_array()) return static_cast<int64_t>(value->size());
  if (value->is_number_unsigned()) {
    return static_cast<int64_t>(std::min<uint64_t>(value->get<uint64_t>(), kMaxCountPerEvent));
  }
  if (value->is_number_integer()) {
    return std::clamp<int64_t>(value->get<int64_t>(), 0, kMaxCountPerEvent);
  }
  if (value->is_number_float()) {
    const double d = value->get<double>();
    if (std::isfinite(d) && d > 0) {
      return std::llround(std::min(d, static_cast<double>(kMaxCountPerEvent)));
    }
  }
  return 0;
}

bool IsTrue(const json* value) {
  return value != nullptr && value->is_boolean() && value->get<bool>();
}

std::optional<double> Finite(const std::optional<double>& v) {
  return v && std::isfinite(*v) ? v : std::nullopt;
}

std::string_view OperationName(std::string_view operation) {
  constexpr std::string_view kPrefix = "Candor.";
  if (operation.starts_with(kPrefix)) operation.remove_prefix(kPrefix.size());
  return operation;
}

// A stored-video face search (its record when the job ends) and a stream
// processor's session each count as one search, with all their matches.
bool IsSearch(std::string_view op) {
  return op == "SearchFaces" || op == "SearchFacesByImage" || op == "SearchUsers" ||
         op == "SearchUsersByImage" || op == "CompareFaces" ||
         op == "StartFaceSearch.Completed" || op == "StreamProcessorSession";
}

bool IsErasure(std::string_view op) {
  return op == "DeleteFaces" || op == "DeleteCollection" || op == "DeleteUser" ||
         op == "RetentionErase" || op.find("Erase") != std::string_view::npos;
}

std::string PurposeKey(const audit::AuditEvent& e) {
  if (!e.purpose.empty()) return e.purpose;
  return e.collection_id.empty() ? kNoCollection : kNoPurpose;
}

// ---------------------------------------------------------------------------
// Time.

int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {  // H. Hinnant's algorithm
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void CivilFromDays(int64_t z, int64_t* y, int64_t* m, int64_t* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = yoe + era * 400 + (*m <= 2);
}

int64_t DaysInMonth(int64_t y, int64_t m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

// Reads exactly `digits` decimal digits at *pos.
bool ReadDigits(std::string_view text, size_t* pos, int digits, int64_t* out) {
  if (*pos + digits > text.size()) return false;
  int64_t v = 0;
  for (int i = 0; i < digits; ++i) {
    const char c = text[*pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *pos += digits;
  *out = v;
  return true;
}

std::optional<int64_t> ParseIso(std::string_view t) {
  size_t p = 0;
  int64_t y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0, ms = 0, offset_min = 0;
  auto expect = [&](char c) {
    if (p < t.size() && t[p] == c) {
      ++p;
      return true;
    }
    return false;
  };
  if (!ReadDigits(t, &p, 4, &y) || !expect('-') || !ReadDigits(t, &p, 2, &mo) || !expect('-') ||
      !ReadDigits(t, &p, 2, &d)) {
    return std::nullopt;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > DaysInMonth(y, mo)) return std::nullopt;
  if (p < t.size()) {
    if (t[p] != 'T' && t[p] != 't' && t[p] != ' ') return std::nullopt;
    ++p;
    if (!ReadDigits(t, &p, 2, &h) || !expect(':') || !ReadDigits(t, &p, 2, &mi))
      return std::nullopt;
    if (expect(':')) {
      if (!ReadDigits(t, &p, 2, &s)) return std::nullopt;
      if (expect('.') || expect(',')) {
        int digits = 0;
        int64_t scale = 100;
        while (p < t.size() && t[p] >= '0' && t[p] <= '9' && digits < 9) {
          ms += (t[p] - '0') * scale;
          scale /= 10;
          ++p;
          ++digits;
        }
        if (digits == 0) return std::nullopt;
      }
    }
    if (h > 23 || mi > 59 || s > 59) return std::nullopt;
    if (expect('Z') || expect('z')) {
    } else if (p < t.size() && (t[p] == '+' || t[p] == '-')) {
      const int sign = t[p] == '-' ? -1 : 1;
      ++p;
      int64_t oh = 0, om = 0;
      if (!ReadDigits(t, &p, 2, &oh)) return std::nullopt;
      if (p < t.size()) {
        expect(':');
        if (!ReadDigits(t, &p, 2, &om)) return std::nullopt;
      }
      if (oh > 23 || om > 59) return std::nullopt;
      offset_min = sign * (oh * 60 + om);
    }
  }
  if (p != t.size()) return std::nullopt;
  return DaysFromCivil(y, mo, d) * kMsPerDay + ((h * 60 + mi) * 60 + s) * 1000 + ms -
         offset_min * 60'000;
}

// ---------------------------------------------------------------------------
// JSON.

json ActivityJson(const Activity& a) {
  return {{"Searches", a.searches},
          {"SearchesRefused", a.searches_refused},
          {"MatchesReturned", a.matches_returned},
          {"ThresholdRaised", a.threshold_raised},
          {"RefusedBelowFloor", a.refused_below_floor},
          {"FacesEnrolled", a.faces_enrolled},
          {"FacesErased", a.faces_erased}};
}

json OptionalJson(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

}  // namespace

// ---------------------------------------------------------------------------

TransparencyReportBuilder::TransparencyReportBuilder(int64_t from_ms, int64_t to_ms) {
  report_.from_ms = from_ms;
  report_.to_ms = to_ms;
  for (size_t i = 0; i + 1 < kSimilarityEdges.size(); ++i) {
    report_.similarity.bins.push_back({kSimilarityEdges[i], kSimilarityEdges[i + 1], 0});
  }
}

void TransparencyReportBuilder::Add(const audit::AuditEvent& e) {
  TransparencyReport& r = report_;
  if (e.time_ms < r.from_ms || e.time_ms >= r.to_ms) return;
  ++r.events;
  r.first_seq = r.events == 1 ? e.seq : std::min(r.first_seq, e.seq);
  r.last_seq = r.events == 1 ? e.seq : std::max(r.last_seq, e.seq);

  const std::string op(OperationName(e.operation));
  const bool ok = e.outcome == "ok";
  const std::string principal = e.principal.empty() ? kUnknownPrincipal : e.principal;
  const std::string purpose = PurposeKey(e);
  auto count = [&](auto&& update) {
    update(r.totals);
    update(r.by_purpose[purpose]);
    update(r.by_principal[principal]);
  };
  if (!ok) {
    ++r.requests_refused;
    ++r.refusals_by_error[e.outcome.empty() ? kNoOutcome : e.outcome];
    ++r.refusals_by_principal[principal];
    ++r.refusals_by_operation[op];
  }

  if (IsSearch(op)) {
    ++r.searches_by_operation[op];
    const std::optional<double> requested = Finite(e.threshold_requested);
    const std::optional<double> applied = Finite(e.threshold_applied);
    const bool below_request = requested && applied && *requested < *applied;
    if (!ok) {
      const bool below_floor = IsTrue(Member(e.results, "ThresholdRefused")) || below_request;
      count([&](Activity& a) {
        ++a.searches;
        ++a.searches_refused;
        a.refused_below_floor += below_floor;
      });
      return;
    }
    int64_t matches = 0;
    for (const char* key : {"FaceMatches", "UserMatches"}) {
      const json* list = Member(e.results, key);
      if (list == nullptr || !list->is_array()) continue;
      matches += static_cast<int64_t>(list->size());
      for (const json& match : *list) {
        const json* s = Member(match, "Similarity");
        if (s == nullptr || !s->is_number()) continue;
        const double similarity = s->get<double>();
        if (!std::isfinite(similarity)) continue;
        SimilarityStats& stats = r.similarity;
        stats.min = stats.matches == 0 ? similarity : std::min(stats.min, similarity);
        stats.max = stats.matches == 0 ? similarity : std::max(stats.max, similarity);
        ++stats.matches;
        similarity_sum_ += similarity;
        const auto upper =
            std::upper_bound(kSimilarityEdges.begin(), kSimilarityEdges.end(), similarity);
        const int64_t bin = std::clamp<int64_t>(upper - kSimilarityEdges.begin() - 1, 0,
                                                static_cast<int64_t>(stats.bins.size()) - 1);
        ++stats.bins[bin].matches;
      }
    }
    const bool raised = IsTrue(Member(e.results, "ThresholdRaised")) || below_request;
    ++thresholds_[{requested, applied}];
    count([&](Activity& a) {
      ++a.searches;
      a.matches_returned += matches;
      a.threshold_raised += raised;
    });
    return;
  }

  if (op == "PutCollectionPolicy") {
    PolicyChange change{.seq = e.seq,
                        .time_ms = e.time_ms,
                        .principal = principal,
                        .collection_id = e.collection_id,
                        .purpose = e.purpose,
                        .reason = e.reason,
                        .outcome = e.outcome.empty() ? kNoOutcome : e.outcome};
    if (const json* before = Member(e.results, "Before")) change.before = *before;
    if (const json* after = Member(e.results, "After")) {
      change.after = *after;
    } else if (const json* policy = Member(e.results, "Policy")) {
      change.after = *policy;
    }
    r.policy_events.push_back(std::move(change));
    r.policy_changes += ok;
    return;
  }

  if (!ok) return;  // counted among the refusals above
  if (op == "IndexFaces") {
    const json* ids = Member(e.results, "FaceIds");
    const int64_t n = CountOf(ids != nullptr ? ids : Member(e.results, "FaceRecords"));
    if (n > 0) count([&](Activity& a) { a.faces_enrolled += n; });
  } else if (IsErasure(op)) {
    const json* ids = Member(e.results, "FaceIds");
    const int64_t n = CountOf(ids != nullptr ? ids : Member(e.results, "DeletedFaces"));
    Erasures& erasures = r.erasures_by_operation[op];
    ++erasures.requests;
    erasures.faces += n;
    if (n > 0) count([&](Activity& a) { a.faces_erased += n; });
  }
}

TransparencyReport TransparencyReportBuilder::Finish(const audit::VerifyReport& chain) && {
  TransparencyReport& r = report_;
  r.chain = chain;
  r.generated_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  if (r.similarity.matches > 0) {
    r.similarity.mean = similarity_sum_ / static_cast<double>(r.similarity.matches);
  }
  for (const auto& [pair, n] : thresholds_) {
    r.thresholds.push_back({pair.first, pair.second, n});
  }
  std::stable_sort(r.policy_events.begin(), r.policy_events.end(),
                   [](const PolicyChange& a, const PolicyChange& b) { return a.seq < b.seq; });
  return std::move(report_);
}

StatusOr<TransparencyReport> BuildTransparencyReportFromLog(audit::AuditLog& log, int64_t from_ms,
                                                            int64_t to_ms) {
  TransparencyReportBuilder builder(from_ms, to_ms);
  audit::AuditQuery query{.from_ms = from_ms, .to_ms = to_ms, .max_results = 1000};
  do {
    CANDOR_ASSIGN_OR_RETURN(audit::AuditPage page, log.Query(query));
    for (const audit::AuditEvent& event : page.events) builder.Add(event);
    query.next_token = std::move(page.next_token);
  } while (!query.next_token.empty());

  audit::VerifyReport chain;
  StatusOr<audit::VerifyReport> verified = log.Verify();
  if (verified.ok()) {
    chain = std::move(verified).value();
  } else {
    chain.ok = false;
    chain.problems.push_back("the verification could not be completed: " +
                             verified.status().ToString());
  }
  return std::move(builder).Finish(chain);
}

TransparencyReport BuildTransparencyReport(const std::vector<audit::AuditEvent>& events,
                                           int64_t from_ms, int64_t to_ms,
                                           const audit::VerifyReport& chain) {
  TransparencyReportBuilder builder(from_ms, to_ms);
  for (const audit::AuditEvent& e : events) builder.Add(e);
  return std::move(builder).Finish(chain);
}

nlohmann::json ToJson(const TransparencyReport& r) {
  json by_purpose = json::object();
  for (const auto& [k, a] : r.by_purpose) by_purpose[k] = ActivityJson(a);
  json by_principal = json::object();
  for (const auto& [k, a] : r.by_principal) by_principal[k] = ActivityJson(a);
  json bins = json::array();
  for (const SimilarityBin& b : r.similarity.bins) {
    bins.push_back({{"From", b.from}, {"To", b.to}, {"Matches", b.matches}});
  }
  json similarity = {{"Matches", r.similarity.matches}, {"Bins", bins}};
  if (r.similarity.matches > 0) {
    similarity["Min"] = r.similarity.min;
    similarity["Max"] = r.similarity.max;
    similarity["Mean"] = r.similarity.mean;
  }
  json thresholds = json::array();
  for (const ThresholdUse& t : r.thresholds) {
    thresholds.push_back({{"Requested", OptionalJson(t.requested)},
                          {"Applied", OptionalJson(t.applied)},
                          {"Searches", t.searches}});
  }
  json erasures = json::object();
  for (const auto& [op, e] : r.erasures_by_operation) {
    erasures[op] = {{"Requests", e.requests}, {"Faces", e.faces}};
  }
  json policy = json::array();
  for (const PolicyChange& c : r.policy_events) {
    policy.push_back({{"Seq", c.seq},
                      {"Time", c.time_ms},
                      {"TimeIso", FormatIsoTime(c.time_ms)},
                      {"Principal", c.principal},
                      {"CollectionId", c.collection_id},
                      {"Purpose", c.purpose},
                      {"Reason", c.reason},
                      {"Outcome", c.outcome},
                      {"Before", c.before},
                      {"After", c.after}});
  }
  json totals = ActivityJson(r.totals);
  totals["RequestsRefused"] = r.requests_refused;
  totals["PolicyChanges"] = r.policy_changes;
  return {
      {"Period",
       {{"From", r.from_ms},
        {"To", r.to_ms},
        {"FromIso", FormatIsoTime(r.from_ms)},
        {"ToIso", FormatIsoTime(r.to_ms)}}},
      {"Generated", r.generated_ms},
      {"GeneratedIso", FormatIsoTime(r.generated_ms)},
      {"AuditChain",
       {{"Verified", r.chain.ok},
        {"Records", r.chain.records},
        {"Checkpoints", r.chain.checkpoints},
        {"LastCheckpointSeq", r.chain.last_checkpoint_seq},
        {"Problems", r.chain.problems}}},
      {"Events", r.events},
      {"FirstSeq", r.first_seq},
      {"LastSeq", r.last_seq},
      {"Totals", totals},
      {"ByPurpose", by_purpose},
      {"ByPrincipal", by_principal},
      {"SearchesByOperation", r.searches_by_operation},
      {"Similarity", similarity},
      {"Thresholds", thresholds},
      {"Erasures", erasures},
      {"Refusals",
       {{"ByError", r.refusals_by_error},
        {"ByPrincipal", r.refusals_by_principal},
        {"ByOperation", r.refusals_by_operation}}},
      {"PolicyChanges", policy},
  };
}

StatusOr<int64_t> ParseTimeMs(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  const bool number =
      !text.empty() && std::all_of(text.begin() + (text.front() == '-' ? 1 : 0), text.end(),
                                   [](char c) { return c >= '0' && c <= '9'; });
  if (number && text.size() > (text.front() == '-' ? 1u : 0u)) {
    int64_t ms = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), ms);
    if (ec == std::errc() && end == text.data() + text.size()) return ms;
  } else if (std::optional<int64_t> ms = ParseIso(text)) {
    return *ms;
  }
  return Status::InvalidArgument("cannot read the time '" + std::string(text.substr(0, 64)) +
                                 "': expected ms since the epoch, or ISO 8601 such as "
                                 "2026-11-01 or 2026-11-01T09:30:00Z");
}

std::string FormatIsoTime(int64_t ms) {
  int64_t days = ms / kMsPerDay;
  int64_t rest = ms % kMsPerDay;
  if (rest < 0) {
    rest += kMsPerDay;
    --days;
  }
  int64_t y = 0, m = 0, d = 0;
  CivilFromDays(days, &y, &m, &d);
  if (y < 0 || y > 9999) return std::to_string(ms);
  const int64_t s = rest / 1000;
  char text[40];
  std::snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", static_cast<int>(y),
                static_cast<int>(m), static_cast<int>(d), static_cast<int>(s / 3600),
                static_cast<int>(s / 60 % 60), static_cast<int>(s % 60),
                static_cast<int>(rest % 1000));
  return text;
}

}  // namespace candor::report
