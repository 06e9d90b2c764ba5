// The transparency report: what the service did with biometric data over a
// period, computed from the audit log alone, for publication to the people
// it is used on: searches per stated purpose and per principal, the matches
// they returned, the thresholds applied (and raised to or refused below the
// policy floor), faces enrolled and erased, refused requests, policy changes,
// and whether the audit chain verified.
//
// How events are read (tolerant of missing keys: a count the event does not
// carry counts as 0, never as an error):
//   searches   SearchFaces, SearchFacesByImage, SearchUsers,
//              SearchUsersByImage, CompareFaces; matches are the entries of
//              results.FaceMatches or results.UserMatches, with their
//              Similarity (percent).
//   raised     a successful search whose results say "ThresholdRaised": true,
//              or whose threshold_applied is above threshold_requested.
//   refused below the floor
//              a refused search whose results say "ThresholdRefused": true,
//              or whose threshold_requested is below threshold_applied.
//   enrolled   IndexFaces: results.FaceIds (or FaceRecords) entries.
//   erased     DeleteFaces, DeleteCollection, DeleteUser, RetentionErase (and
//              any other operation named "...Erase..."): results.FaceIds
//              entries, or results.DeletedFaces (a count or a list).
//   refused    outcome other than "ok", by error type and by principal.
//   policy     PutCollectionPolicy: results.Before / results.After (or
//              results.Policy as the after state).
// Operation names may carry the "Candor." prefix. Only successful calls count
// as searches that ran, enrolments, erasures or policy changes; every refused
// call counts in the refusals (and a refused search also in `searches`).
//
// Thread safety: pure functions and plain values; a builder is not shared.
#ifndef CANDOR_REPORT_TRANSPARENCY_H_
#define CANDOR_REPORT_TRANSPARENCY_H_

#include <array>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "audit/audit_log.h"
#include "candor/status.h"

namespace candor::report {

// Edges of the similarity histogram, percent. Finer near the top because
// that is where matches are: the policy floor defaults to 99 (see
// CollectionPolicy), and Rekognition's SearchFaces default threshold is 80.
inline constexpr std::array<double, 10> kSimilarityEdges = {0,  50, 80,   90,   95,
                                                            98, 99, 99.5, 99.9, 100};

// What one purpose, one principal, or the whole service did in the period.
struct Activity {
  int64_t searches = 0;             // search calls, refused ones included
  int64_t searches_refused = 0;     // of which refused (outcome != "ok")
  int64_t matches_returned = 0;     // match entries of the searches that ran
  int64_t threshold_raised = 0;     // searches run at the policy floor, not the asked threshold
  int64_t refused_below_floor = 0;  // searches refused for asking below the floor
  int64_t faces_enrolled = 0;
  int64_t faces_erased = 0;
};

// Matches with similarity in [from, to) (the last bin includes 100).
struct SimilarityBin {
  double from = 0;
  double to = 0;
  int64_t matches = 0;
};

struct SimilarityStats {
  std::vector<SimilarityBin> bins;  // one per interval of kSimilarityEdges
  int64_t matches = 0;              // matches that carried a Similarity
  double min = 0;                   // meaningful when matches > 0
  double max = 0;
  double mean = 0;
};

// How many searches that ran used this (requested, applied) pair of
// thresholds, percent; absent when the event does not say (the caller left
// the default).
struct ThresholdUse {
  std::optional<double> requested;
  std::optional<double> applied;
  int64_t searches = 0;
};

struct Erasures {
  int64_t requests = 0;  // successful calls
  int64_t faces = 0;     // faces they erased
};

// One PutCollectionPolicy call (refused ones too: an attempt to lower a floor
// is worth publishing).
struct PolicyChange {
  int64_t seq = 0;
  int64_t time_ms = 0;
  std::string principal;
  std::string collection_id;
  std::string purpose;
  std::string reason;
  std::string outcome;    // "ok" or the error type
  nlohmann::json before;  // null when the event does not carry it
  nlohmann::json after;
};

struct TransparencyReport {
  int64_t from_ms = 0;  // the period, [from_ms, to_ms), ms since the epoch
  int64_t to_ms = 0;
  int64_t generated_ms = 0;
  audit::VerifyReport chain;  // of the whole log, not only the period

  int64_t events = 0;     // audit records in the period
  int64_t first_seq = 0;  // their seq range; 0 when there are none
  int64_t last_seq = 0;
  Activity totals;
  int64_t requests_refused = 0;  // refused calls of any operation
  int64_t policy_changes = 0;    // successful PutCollectionPolicy calls

  // Keyed by the stated purpose ("(no collection)" for CompareFaces, "(none
  // stated)" for a collection event without one) and by principal.
  std::map<std::string, Activity> by_purpose;
  std::map<std::string, Activity> by_principal;
  std::map<std::string, int64_t> searches_by_operation;
  SimilarityStats similarity;
  std::vector<ThresholdUse> thresholds;  // sorted by requested, then applied
  std::map<std::string, Erasures> erasures_by_operation;
  std::map<std::string, int64_t> refusals_by_error;
  std::map<std::string, int64_t> refusals_by_principal;
  std::map<std::string, int64_t> refusals_by_operation;
  std::vector<PolicyChange> policy_events;  // in seq order
};

// Accumulates events one at a time, so that a long period need not be held
// in memory. Events outside [from_ms, to_ms) are ignored.
class TransparencyReportBuilder {
 public:
  TransparencyReportBuilder(int64_t from_ms, int64_t to_ms);
  void Add(const audit::AuditEvent& event);
  // generated_ms is the wall clock now.
  TransparencyReport Finish(const audit::VerifyReport& chain) &&;

 private:
  TransparencyReport report_;
  double similarity_sum_ = 0;
  std::map<std::pair<std::optional<double>, std::optional<double>>, int64_t> thresholds_;
};

TransparencyReport BuildTransparencyReport(const std::vector<audit::AuditEvent>& events,
                                           int64_t from_ms, int64_t to_ms,
                                           const audit::VerifyReport& chain);

// The report of [from_ms, to_ms) read from `log` a page at a time, with the
// verification of the whole chain. A log that cannot be verified still gets
// its report, marked as such (chain.ok false, the reason in its problems):
// hiding the figures would help no one. Fails only when the log cannot be
// read. Used by `candor report transparency` and
// Candor.GetTransparencyReport.
StatusOr<TransparencyReport> BuildTransparencyReportFromLog(audit::AuditLog& log, int64_t from_ms,
                                                            int64_t to_ms);

// PascalCase keys as in the API's responses; times both as ms and as ISO 8601.
nlohmann::json ToJson(const TransparencyReport& report);

// One self-contained HTML page (inline CSS; no script, no external resource),
// written for a member of the public. Every string from the log is escaped.
std::string RenderHtml(const TransparencyReport& report);

// "&", "<", ">", '"' and "'" as character references.
std::string HtmlEscape(std::string_view text);

// Milliseconds since the epoch from "1700000000000" (ms), "2026-11-01"
// (midnight UTC), or "2026-11-01T12:00:00[.123][Z|+01:00|-0530]" ('T' or a
// space; no offset means UTC).
StatusOr<int64_t> ParseTimeMs(std::string_view text);
// "2026-11-01T12:00:00.000Z"; the number of ms outside years 0000..9999.
std::string FormatIsoTime(int64_t ms);

}  // namespace candor::report

#endif  // CANDOR_REPORT_TRANSPARENCY_H_
