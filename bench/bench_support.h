// Small helpers the benchmark programs share: timing, machine description,
// size and list arguments, vector normalisation.
#ifndef CANDOR_BENCH_BENCH_SUPPORT_H_
#define CANDOR_BENCH_BENCH_SUPPORT_H_

#include <chrono>
#include <cmath>
#include <cstddef>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace candor::bench {

using Clock = std::chrono::steady_clock;

inline double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// The value of the first "prefix...: value" line of a /proc file.
inline std::string FirstLine(const std::string& path, const std::string& prefix) {
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(prefix, 0) == 0) return line.substr(line.find(':') + 2);
  }
  return "unknown";
}

inline std::string CpuModel() { return FirstLine("/proc/cpuinfo", "model name"); }

// The one-minute load average, to judge how quiet the machine was.
inline std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string one;
  in >> one;
  return one;
}

// "a,b,c" -> {"a", "b", "c"}.
inline std::vector<std::string> Split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, ',');) out.push_back(item);
  return out;
}

// "100k" -> 100000, "1M" -> 1000000, "2500" -> 2500.
inline size_t ParseSize(const std::string& s) {
  size_t used = 0;
  const double value = std::stod(s, &used);
  double scale = 1;
  if (used < s.size()) {
    const char unit = s[used];
    if (unit == 'k' || unit == 'K') scale = 1e3;
    if (unit == 'm' || unit == 'M') scale = 1e6;
  }
  return static_cast<size_t>(value * scale);
}

inline void Normalize(float* v, int dim) {
  double norm2 = 0;
  for (int i = 0; i < dim; ++i) norm2 += double{v[i]} * v[i];
  const float inverse = static_cast<float>(1.0 / std::sqrt(norm2));
  for (int i = 0; i < dim; ++i) v[i] *= inverse;
}

inline void Normalize(std::vector<float>& v) { Normalize(v.data(), static_cast<int>(v.size())); }

}  // namespace candor::bench

#endif  // CANDOR_BENCH_BENCH_SUPPORT_H_
