#include "core/progress.h"

#include <unistd.h>

#include <cstdio>

namespace candor::core {

Progress::Progress(std::string label, size_t total)
    : label_(std::move(label)),
      total_(total),
      interactive_(isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

Progress::~Progress() { Finish(); }

double Progress::Seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void Progress::Advance(size_t n) {
  done_ += n;
  if (interactive_) Draw(false);
}

void Progress::Draw(bool force) {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto now = std::chrono::steady_clock::now();
  if (!force && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  const size_t done = done_.load();
  const double seconds = Seconds();
  const double rate = seconds > 0 ? done / seconds : 0;
  constexpr int kWidth = 30;
  const int filled = total_ ? static_cast<int>(kWidth * double(done) / total_) : 0;
  std::string bar(filled, '#');
  bar.resize(kWidth, '.');
  const double eta = rate > 0 && total_ > done ? (total_ - done) / rate : 0;
  std::fprintf(stderr, "\r%s [%s] %zu/%zu  %.1f/s  eta %.0fs ", label_.c_str(), bar.c_str(), done,
               total_, rate, eta);
  std::fflush(stderr);
}

void Progress::Finish() {
  if (finished_) return;
  finished_ = true;
  if (interactive_) {
    Draw(true);
    std::fprintf(stderr, "\n");
  }
  const double seconds = Seconds();
  std::fprintf(stderr, "%s: %zu items in %.1f s (%.1f/s)\n", label_.c_str(), done_.load(), seconds,
               seconds > 0 ? done_.load() / seconds : 0.0);
}

}  // namespace candor::core
