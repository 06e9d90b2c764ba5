// Service metrics in Prometheus's text exposition format (version 0.0.4):
// requests by operation and outcome, latency histograms per operation,
// requests in flight and waiting, throttled requests, faces per collection.
//
// Thread safety: all methods may be called concurrently.
#ifndef CANDOR_SERVER_METRICS_H_
#define CANDOR_SERVER_METRICS_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "candor/collections.h"

namespace candor::server {

class Metrics {
 public:
  // Upper bounds of the latency buckets, seconds.
  static constexpr std::array<double, 14> kBuckets = {0.005, 0.01, 0.025, 0.05, 0.1,  0.25, 0.5,
                                                      1,     2.5,  5,     10,   30,   60,   120};

  // One finished request: `outcome` is "ok" or the AWS error type.
  void Record(std::string_view operation, std::string_view outcome, double seconds);

  std::atomic<int64_t> in_flight{0};  // admitted requests not yet answered
  std::atomic<int64_t> waiting{0};    // of which waiting for an engine worker

  // The exposition text. `faces_per_collection`, `extra_gauges` and
  // `extra_counters` are supplied by the caller at scrape time.
  std::string Render(const std::vector<std::pair<std::string, int64_t>>& faces_per_collection,
                     const std::vector<std::pair<std::string, double>>& extra_gauges,
                     const std::vector<std::pair<std::string, double>>& extra_counters = {}) const;

 private:
  struct Histogram {
    std::array<uint64_t, kBuckets.size()> counts{};
    uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mu_;
  std::map<std::pair<std::string, std::string>, uint64_t> requests_;
  std::map<std::string, Histogram> latency_;
};

// A node's following of a shared store (candor_store_sync_*: lag, reconnects,
// store latency), appended to the gauges and counters Render takes; nothing
// when the store is not shared.
void AddStoreSyncMetrics(const StoreSyncStatus& status,
                         std::vector<std::pair<std::string, double>>* gauges,
                         std::vector<std::pair<std::string, double>>* counters);

// Label values escaped as Prometheus requires (backslash, quote, newline).
std::string EscapeLabel(std::string_view value);

}  // namespace candor::server

#endif  // CANDOR_SERVER_METRICS_H_
