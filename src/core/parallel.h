// ParallelFor: runs fn(i) for i in [0, n) on `threads` threads, each taking
// the next index from a shared counter. fn must be safe to call concurrently.
#ifndef CANDOR_CORE_PARALLEL_H_
#define CANDOR_CORE_PARALLEL_H_

#include <atomic>
#include <cstddef>
#include <functional>
#include <thread>
#include <vector>

namespace candor::core {

inline void ParallelFor(size_t n, int threads, const std::function<void(size_t)>& fn) {
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i = next++; i < n; i = next++) fn(i);
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
}

}  // namespace candor::core

#endif  // CANDOR_CORE_PARALLEL_H_
