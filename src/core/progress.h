// A progress bar with throughput for long runs, on stderr when it is a
// terminal; a single summary line otherwise.
//
// Thread safety: Advance() may be called from several threads.
#ifndef CANDOR_CORE_PROGRESS_H_
#define CANDOR_CORE_PROGRESS_H_

#include <atomic>
#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>

namespace candor::core {

class Progress {
 public:
  Progress(std::string label, size_t total);
  ~Progress();
  void Advance(size_t n = 1);
  // Prints "label: N items in S s (R/s)" and stops drawing.
  void Finish();
  double Seconds() const;

 private:
  void Draw(bool force);

  std::string label_;
  size_t total_;
  std::atomic<size_t> done_{0};
  bool interactive_;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
  std::mutex mutex_;
};

}  // namespace candor::core

#endif  // CANDOR_CORE_PROGRESS_H_
