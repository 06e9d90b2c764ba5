#include "server/metrics.h"

#include <cstdio>

namespace candor::server {

void Metrics::Record(std::string_view operation, std::string_view outcome, double seconds) {
  std::lock_guard lock(mu_);
  ++requests_[{std::string(operation), std::string(outcome)}];
  Histogram& h = latency_[std::string(operation)];
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) ++h.counts[i];
  }
  ++h.count;
  h.sum += seconds;
}

std::string EscapeLabel(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

namespace {

std::string Number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.17g", v);
  return buf;
}

}  // namespace

std::string Metrics::Render(
    const std::vector<std::pair<std::string, int64_t>>& faces_per_collection,
    const std::vector<std::pair<std::string, double>>& extra_gauges,
    const std::vector<std::pair<std::string, double>>& extra_counters) const {
  std::string out;
  out += "# HELP candor_requests_total Requests answered, by operation and outcome.\n";
  out += "# TYPE candor_requests_total counter\n";
  std::map<std::string, Histogram> latency;
  {
    std::lock_guard lock(mu_);
    for (const auto& [key, n] : requests_) {
      out += "candor_requests_total{operation=\"" + EscapeLabel(key.first) + "\",outcome=\"" +
             EscapeLabel(key.second) + "\"} " + std::to_string(n) + "\n";
    }
    latency = latency_;
  }
  out += "# HELP candor_request_duration_seconds Time from the request's arrival to its answer.\n";
  out += "# TYPE candor_request_duration_seconds histogram\n";
  for (const auto& [op, h] : latency) {
    const std::string label = "operation=\"" + EscapeLabel(op) + "\"";
    for (size_t i = 0; i < kBuckets.size(); ++i) {
      out += "candor_request_duration_seconds_bucket{" + label + ",le=\"" + Number(kBuckets[i]) +
             "\"} " + std::to_string(h.counts[i]) + "\n";
    }
    out += "candor_request_duration_seconds_bucket{" + label + ",le=\"+Inf\"} " +
           std::to_string(h.count) + "\n";
    out += "candor_request_duration_seconds_sum{" + label + "} " + Number(h.sum) + "\n";
    out += "candor_request_duration_seconds_count{" + label + "} " + std::to_string(h.count) + "\n";
  }
  out += "# HELP candor_requests_in_flight Requests admitted and not yet answered.\n";
  out += "# TYPE candor_requests_in_flight gauge\n";
  out += "candor_requests_in_flight " + std::to_string(in_flight.load()) + "\n";
  out += "# HELP candor_queue_depth Admitted requests waiting for an engine worker.\n";
  out += "# TYPE candor_queue_depth gauge\n";
  out += "candor_queue_depth " + std::to_string(waiting.load()) + "\n";
  out += "# HELP candor_collection_faces Faces in each collection.\n";
  out += "# TYPE candor_collection_faces gauge\n";
  for (const auto& [id, n] : faces_per_collection) {
    out += "candor_collection_faces{collection=\"" + EscapeLabel(id) + "\"} " + std::to_string(n) +
           "\n";
  }
  for (const auto& [name, v] : extra_gauges) {
    out += "# TYPE " + name + " gauge\n" + name + " " + Number(v) + "\n";
  }
  for (const auto& [name, v] : extra_counters) {
    out += "# TYPE " + name + " counter\n" + name + " " + Number(v) + "\n";
  }
  return out;
}

void AddStoreSyncMetrics(const StoreSyncStatus& status,
                         std::vector<std::pair<std::string, double>>* gauges,
                         std::vector<std::pair<std::string, double>>* counters) {
  if (!status.enabled) return;
  const auto d = [](int64_t v) { return static_cast<double>(v); };
  gauges->insert(gauges->end(),
                 {{"candor_store_sync_lag_changes", d(status.lag_changes)},
                  {"candor_store_sync_applied_seq", d(status.applied_seq)},
                  {"candor_store_sync_latest_seq", d(status.latest_seq)},
                  {"candor_store_sync_store_max_seconds", status.store_max_seconds}});
  counters->insert(counters->end(),
                   {{"candor_store_sync_changes_applied_total", d(status.changes_applied)},
                    {"candor_store_sync_reconnects_total", d(status.reconnects)},
                    {"candor_store_sync_full_rebuilds_total", d(status.full_rebuilds)},
                    {"candor_store_sync_errors_total", d(status.errors)},
                    {"candor_store_sync_store_calls_total", d(status.store_calls)},
                    {"candor_store_sync_store_seconds_total", status.store_seconds}});
}

}  // namespace candor::server
