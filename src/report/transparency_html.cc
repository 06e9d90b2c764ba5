// The HTML page of the transparency report (RenderHtml): one self-contained
// page, inline CSS, every string from the log escaped.
#include <algorithm>
#include <cstdio>
#include <set>

#include "report/transparency.h"

namespace candor::report {
namespace {

using nlohmann::json;

// "2026-11-01 12:00:00 UTC" (or the ms when out of FormatIsoTime's years).
std::string ReadableTime(int64_t ms) {
  const std::string iso = FormatIsoTime(ms);  // 2026-11-01T12:00:00.000Z
  if (iso.size() != 24 || iso[10] != 'T') return iso;
  return iso.substr(0, 10) + " " + iso.substr(11, 8) + " UTC";
}

// ---------------------------------------------------------------------------
// HTML.

// 12345 -> "12,345".
std::string Count(int64_t n) {
  const std::string digits = std::to_string(n);
  if (n < 0) return digits;  // counts are never negative
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

// "1 search", "2 searches".
std::string Counted(int64_t n, std::string_view one, std::string_view many) {
  return Count(n) + " " + std::string(n == 1 ? one : many);
}

// At most two decimals, without trailing zeros: 80, 99.5, 99.99.
std::string Percent(double v) {
  char text[64];
  std::snprintf(text, sizeof(text), "%.2f", v);
  std::string s = text;
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  return s;
}

std::string DumpJson(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

// What an error type means, in plain words, for the refusals table.
std::string_view ExplainError(std::string_view type) {
  if (type == "AccessDeniedException") {
    return "not allowed: the caller's role does not permit the call, or the collection's policy "
           "refused it";
  }
  if (type == "InvalidParameterException") return "a parameter was invalid";
  if (type == "ResourceNotFoundException") return "the collection, face or user does not exist";
  if (type == "InvalidImageFormatException") return "the image could not be read";
  if (type == "ImageTooLargeException") return "the image was too large";
  if (type == "ThrottlingException") return "the service was busy";
  if (type == "InvalidSignatureException" || type == "UnrecognizedClientException") {
    return "the caller could not be authenticated";
  }
  return "";
}

std::string_view ExplainErasure(std::string_view operation) {
  if (operation == "DeleteFaces") return "faces deleted on request";
  if (operation == "DeleteCollection") return "whole collections deleted";
  if (operation == "DeleteUser") return "users deleted";
  if (operation == "RetentionErase") {
    return "erased automatically at the end of the collection's retention period";
  }
  return "";
}

class Page {
 public:
  void Raw(std::string_view html) { out_ += html; }
  void Text(std::string_view text) { out_ += HtmlEscape(text); }
  void Cell(std::string_view text, bool number = false) {
    Raw(number ? "<td class=\"n\">" : "<td>");
    Text(text);
    Raw("</td>");
  }
  // Column names; those starting with '#' are numbers (right-aligned), the
  // '#' not shown.
  void Header(std::initializer_list<std::string_view> names) {
    Raw("<table><thead><tr>");
    for (std::string_view n : names) {
      const bool number = n.starts_with('#');
      Raw(number ? "<th class=\"n\">" : "<th>");
      Text(number ? n.substr(1) : n);
      Raw("</th>");
    }
    Raw("</tr></thead><tbody>\n");
  }
  void None() { Raw("<p class=\"none\">None in this period.</p>\n"); }
  std::string Take() && { return std::move(out_); }

 private:
  std::string out_;
};

void ActivityTable(Page& page, std::string_view first_column,
                   const std::map<std::string, Activity>& rows) {
  if (rows.empty()) return page.None();
  page.Header({first_column, "#Searches", "#of which refused", "#Matches returned",
               "#Raised to the floor", "#Refused below the floor", "#Faces enrolled",
               "#Faces erased"});
  for (const auto& [name, a] : rows) {
    page.Raw("<tr>");
    page.Cell(name);
    for (int64_t v : {a.searches, a.searches_refused, a.matches_returned, a.threshold_raised,
                      a.refused_below_floor, a.faces_enrolled, a.faces_erased}) {
      page.Cell(Count(v), true);
    }
    page.Raw("</tr>\n");
  }
  page.Raw("</tbody></table>\n");
}

// `count_column` starts with '#' (see Page::Header).
void CountTable(Page& page, std::string_view first_column, std::string_view count_column,
                const std::map<std::string, int64_t>& rows,
                std::string_view (*explain)(std::string_view) = nullptr) {
  if (rows.empty()) return page.None();
  if (explain != nullptr) {
    page.Header({first_column, count_column, "Meaning"});
  } else {
    page.Header({first_column, count_column});
  }
  for (const auto& [name, n] : rows) {
    page.Raw("<tr>");
    page.Cell(name);
    page.Cell(Count(n), true);
    if (explain != nullptr) page.Cell(explain(name));
    page.Raw("</tr>\n");
  }
  page.Raw("</tbody></table>\n");
}

// "FloorPercent: 99 → 95" for every member that differs (the store's own
// timestamp left out); every member of `after` when `before` is absent.
std::string DescribePolicyChange(const json& before, const json& after) {
  if (!after.is_object()) return "(not recorded)";
  std::set<std::string> keys;
  for (const auto& [k, v] : after.items()) keys.insert(k);
  if (before.is_object()) {
    for (const auto& [k, v] : before.items()) keys.insert(k);
  }
  std::string out;
  for (const std::string& k : keys) {
    if (k == "UpdatedMs" || k == "updated_ms") continue;
    const json* b = before.is_object() && before.contains(k) ? &before[k] : nullptr;
    const json* a = after.contains(k) ? &after[k] : nullptr;
    if (b != nullptr && a != nullptr && *a == *b) continue;
    if (!out.empty()) out += "; ";
    out += k + ": ";
    if (before.is_object()) out += (b != nullptr ? DumpJson(*b) : "(none)") + " \u2192 ";
    out += a != nullptr ? DumpJson(*a) : "(none)";
  }
  return out.empty() ? "(no change)" : out;
}

constexpr std::string_view kStyle = R"css(
body{margin:0;background:#f5f6f8;color:#1a1d21;font-family:"DejaVu Sans",Arial,Helvetica,sans-serif;line-height:1.45}
main{max-width:1120px;margin:0 auto;padding:20px 32px 48px}
h1{font-size:30px;margin:8px 0 4px}
h2{font-size:21px;margin:30px 0 8px;padding-bottom:4px;border-bottom:2px solid #cfd5dd}
p{margin:6px 0}
.period{font-size:16px;color:#39414b}
.chain{margin:18px 0;padding:14px 20px;border-radius:8px;font-size:16px}
.chain strong{display:block;font-size:22px;margin-bottom:4px}
.chain.ok{background:#e2f3e6;border:3px solid #1d7a37}
.chain.bad{background:#fde6e4;border:3px solid #b3261e}
.chain ul{margin:6px 0 0 20px;padding:0}
.cards{display:grid;grid-template-columns:repeat(4,1fr);gap:12px;margin:14px 0}
.card{background:#fff;border:1px solid #cfd5dd;border-radius:8px;padding:10px 14px}
.card .big{font-size:28px;font-weight:bold}
.card .l{font-size:14px;color:#39414b}
table{border-collapse:collapse;width:100%;margin:8px 0;background:#fff;font-size:14px}
th,td{border:1px solid #cfd5dd;padding:5px 9px;text-align:left;vertical-align:top}
td{overflow-wrap:anywhere}
th{background:#e9edf2}
th:first-child{width:22%}
.n{text-align:right}
td.n{white-space:nowrap}
.chart{background:#fff;border:1px solid #cfd5dd;border-radius:8px;padding:10px 14px}
.row{display:grid;grid-template-columns:120px 1fr 80px;gap:10px;align-items:center;margin:3px 0}
.track{background:#e6e9ee;height:18px;border-radius:3px}
.bar{background:#2c5d9c;height:18px;border-radius:3px}
.note,.none{color:#4a525d;font-size:14px}
.none{font-style:italic}
footer{margin-top:36px;color:#4a525d;font-size:13px}
)css";

}  // namespace

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string RenderHtml(const TransparencyReport& r) {
  Page page;
  const Activity& t = r.totals;
  page.Raw(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<title>Face recognition transparency report</title><style>");
  page.Raw(kStyle);
  page.Raw("</style></head><body><main>\n<h1>Face recognition transparency report</h1>\n");
  page.Raw("<p class=\"period\">Period: from <strong>");
  page.Text(ReadableTime(r.from_ms));
  page.Raw("</strong> up to (not including) <strong>");
  page.Text(ReadableTime(r.to_ms));
  page.Raw("</strong>. Generated ");
  page.Text(ReadableTime(r.generated_ms));
  page.Raw(".</p>\n");

  // The chain status first: every number below is only as good as the log.
  if (r.chain.ok) {
    page.Raw("<div class=\"chain ok\"><strong>&#10004; Audit log verified</strong>All ");
    page.Text(Counted(r.chain.records, "record", "records"));
    page.Raw(" of the audit log form an unbroken hash chain, and its ");
    page.Text(Counted(r.chain.checkpoints, "signed checkpoint", "signed checkpoints"));
    if (r.chain.checkpoints > 0) {
      page.Raw(" (the last at record ");
      page.Text(Count(r.chain.last_checkpoint_seq));
      page.Raw(")");
    }
    page.Raw(
        " carry valid signatures: no record was found edited, deleted, inserted or "
        "reordered.</div>\n");
  } else {
    page.Raw("<div class=\"chain bad\"><strong>&#10008; Audit log verification FAILED</strong>");
    page.Text(
        Counted(static_cast<int64_t>(r.chain.problems.size()), "problem was", "problems were"));
    page.Raw(
        " found in the audit log. The figures below come from a log that "
        "may have been altered.<ul>");
    for (const std::string& problem : r.chain.problems) {
      page.Raw("<li>");
      page.Text(problem);
      page.Raw("</li>");
    }
    page.Raw("</ul></div>\n");
  }

  page.Raw("<div class=\"cards\">");
  const std::pair<int64_t, std::string_view> cards[] = {
      {t.searches, "searches of enrolled faces or comparisons"},
      {t.matches_returned, "matches returned"},
      {t.threshold_raised, "searches raised to the policy's minimum threshold"},
      {t.refused_below_floor, "searches refused for asking below that minimum"},
      {t.faces_enrolled, "faces enrolled"},
      {t.faces_erased, "faces erased"},
      {r.requests_refused, "requests refused"},
      {r.policy_changes, "policy changes"},
  };
  for (const auto& [n, label] : cards) {
    page.Raw("<div class=\"card\"><div class=\"big\">");
    page.Text(Count(n));
    page.Raw("</div><div class=\"l\">");
    page.Text(label);
    page.Raw("</div></div>");
  }
  page.Raw("</div>\n<p class=\"note\">Computed from the ");
  page.Text(Counted(r.events, "audit record", "audit records"));
  page.Raw(" of the period");
  if (r.events > 0) {
    page.Raw(" (records ");
    page.Text(Count(r.first_seq));
    page.Raw(" to ");
    page.Text(Count(r.last_seq));
    page.Raw(")");
  }
  page.Raw(
      ". A search compares a face with the faces enrolled in a collection; every "
      "collection states the purpose it is used for.</p>\n");

  page.Raw("<h2>Searches by stated purpose</h2>\n");
  ActivityTable(page, "Purpose", r.by_purpose);
  page.Raw(
      "<h2>Searches by caller</h2>\n<p class=\"note\">A caller (principal) is the "
      "named access key a request was made with; \"system\" is the service itself.</p>\n");
  ActivityTable(page, "Caller", r.by_principal);
  page.Raw("<h3>Searches by kind</h3>\n");
  CountTable(page, "Operation", "#Searches", r.searches_by_operation);

  page.Raw(
      "<h2>How similar the matches were</h2>\n<p class=\"note\">Similarity is a "
      "calibrated percentage: the higher it is, the less likely the match is a different "
      "person.");
  if (r.similarity.matches > 0) {
    page.Raw(" Lowest ");
    page.Text(Percent(r.similarity.min));
    page.Raw("%, mean ");
    page.Text(Percent(r.similarity.mean));
    page.Raw("%, highest ");
    page.Text(Percent(r.similarity.max));
    page.Raw("%.");
  }
  page.Raw("</p>\n");
  if (r.similarity.matches == 0) {
    page.None();
  } else {
    int64_t most = 1;
    for (const SimilarityBin& b : r.similarity.bins) most = std::max(most, b.matches);
    page.Raw("<div class=\"chart\">");
    for (const SimilarityBin& b : r.similarity.bins) {
      char width[32];
      std::snprintf(width, sizeof(width), "%.1f",
                    100.0 * static_cast<double>(b.matches) / static_cast<double>(most));
      page.Raw("<div class=\"row\"><div>");
      page.Text(Percent(b.from) + "\u2013" + Percent(b.to) + "%");
      page.Raw("</div><div class=\"track\"><div class=\"bar\" style=\"width:");
      page.Raw(width);
      page.Raw("%\"></div></div><div class=\"n\">");
      page.Text(Count(b.matches));
      page.Raw("</div></div>\n");
    }
    page.Raw("</div>\n");
  }

  page.Raw(
      "<h2>Match thresholds</h2>\n<p>Each collection's policy sets a minimum similarity "
      "threshold. <strong>");
  page.Text(Counted(t.threshold_raised, "search", "searches"));
  page.Raw("</strong> asked for a lower threshold and ran at the minimum instead; <strong>");
  page.Text(Counted(t.refused_below_floor, "search was", "searches were"));
  page.Raw(
      "</strong> refused because their collection's policy refuses such searches. The "
      "thresholds used by the searches that ran:</p>\n");
  if (r.thresholds.empty()) {
    page.None();
  } else {
    page.Header({"Threshold asked (%)", "Threshold applied (%)", "#Searches"});
    for (const ThresholdUse& u : r.thresholds) {
      page.Raw("<tr>");
      page.Cell(u.requested ? Percent(*u.requested) : "not given (default)");
      page.Cell(u.applied ? Percent(*u.applied) : "not recorded");
      page.Cell(Count(u.searches), true);
      page.Raw("</tr>\n");
    }
    page.Raw("</tbody></table>\n");
  }

  page.Raw("<h2>Refused requests</h2>\n");
  CountTable(page, "Reason (error type)", "#Requests", r.refusals_by_error, ExplainError);
  if (!r.refusals_by_principal.empty()) {
    page.Raw("<h3>By caller</h3>\n");
    CountTable(page, "Caller", "#Requests", r.refusals_by_principal);
    page.Raw("<h3>By operation</h3>\n");
    CountTable(page, "Operation", "#Requests", r.refusals_by_operation);
  }

  page.Raw("<h2>Faces enrolled and erased</h2>\n<p><strong>");
  page.Text(Counted(t.faces_enrolled, "face was", "faces were"));
  page.Raw("</strong> enrolled and <strong>");
  page.Text(Count(t.faces_erased));
  page.Raw(
      "</strong> erased. Erasure removes the face's biometric data from the service; the "
      "audit log keeps only the record that it happened.</p>\n");
  if (r.erasures_by_operation.empty()) {
    page.None();
  } else {
    page.Header({"How", "#Requests", "#Faces erased", "Meaning"});
    for (const auto& [op, e] : r.erasures_by_operation) {
      page.Raw("<tr>");
      page.Cell(op);
      page.Cell(Count(e.requests), true);
      page.Cell(Count(e.faces), true);
      page.Cell(ExplainErasure(op));
      page.Raw("</tr>\n");
    }
    page.Raw("</tbody></table>\n");
  }

  page.Raw("<h2>Policy changes</h2>\n");
  if (r.policy_events.empty()) {
    page.None();
  } else {
    page.Header({"When", "Who", "Collection", "Purpose", "What changed", "Outcome"});
    for (const PolicyChange& c : r.policy_events) {
      page.Raw("<tr>");
      page.Cell(ReadableTime(c.time_ms));
      page.Cell(c.principal);
      page.Cell(c.collection_id);
      page.Cell(c.purpose);
      page.Cell(DescribePolicyChange(c.before, c.after));
      page.Cell(c.outcome == "ok" ? "applied" : "refused: " + c.outcome);
      page.Raw("</tr>\n");
    }
    page.Raw("</tbody></table>\n");
  }

  page.Raw(
      "<footer>Produced by Candor from its audit log. Every call that reads or writes "
      "biometric data, and every refused call, is recorded in that log before the answer "
      "is sent; each record carries a hash of the one before it, so that a record edited, "
      "removed or inserted afterwards is detected by the verification above. The log "
      "holds identifiers, similarities and counts, never face images or face templates."
      "</footer>\n</main></body></html>\n");
  return std::move(page).Take();
}

}  // namespace candor::report
