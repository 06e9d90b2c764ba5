// What the load benchmarks measure besides throughput: latency percentiles
// and the process's memory over a run.
#ifndef CANDOR_BENCH_LATENCY_H_
#define CANDOR_BENCH_LATENCY_H_

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bench_support.h"

namespace candor::bench {

struct Percentiles {
  double p50 = 0, p90 = 0, p99 = 0;
};

Percentiles Of(std::vector<double> ms) {
  if (ms.empty()) return {};
  std::sort(ms.begin(), ms.end());
  auto at = [&](double q) {
    return ms[std::min(ms.size() - 1, static_cast<size_t>(q * ms.size()))];
  };
  return {at(0.50), at(0.90), at(0.99)};
}

// Samples VmRSS every `sample_seconds` (and at start and stop) and reports
// progress on stderr every `progress_seconds`, until Finish().
class RssSampler {
 public:
  RssSampler(const std::string& label, const std::atomic<int64_t>& done, int sample_seconds = 5,
             int progress_seconds = 30)
      : thread_([this, label, &done, sample_seconds, progress_seconds] {
          const auto start = Clock::now();
          std::unique_lock lock(mu_);
          for (int tick = 0;; ++tick) {
            samples_.push_back(RssBytes());
            if (tick > 0 && tick % std::max(1, progress_seconds / sample_seconds) == 0) {
              std::fprintf(stderr, "  %s: %.0f s, %lld requests, RSS %.0f MiB\n", label.c_str(),
                           Seconds(start, Clock::now()), static_cast<long long>(done.load()),
                           samples_.back() / 1048576.0);
            }
            if (stop_.wait_for(lock, std::chrono::seconds(sample_seconds),
                               [this] { return stopping_; })) {
              break;
            }
          }
          samples_.push_back(RssBytes());
        }) {}

  std::vector<int64_t> Finish() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    stop_.notify_all();
    thread_.join();
    return samples_;
  }

 private:
  std::mutex mu_;
  std::condition_variable stop_;
  bool stopping_ = false;
  std::vector<int64_t> samples_;
  std::thread thread_;  // last: starts once the members above exist
};

}  // namespace candor::bench

#endif  // CANDOR_BENCH_LATENCY_H_
