#include "server/replay_cache.h"

namespace candor::server {

bool ReplayCache::Accept(const std::string& signature, int64_t signed_at, int64_t now) {
  std::lock_guard lock(mutex_);
  // Forget what could no longer be accepted. Entries arrive roughly in
  // expiry order (signing time plus a constant); one that expires later than
  // an older neighbour only stays a little longer.
  while (!by_expiry_.empty() && by_expiry_.front().first < now) {
    seen_.erase(by_expiry_.front().second);
    by_expiry_.pop_front();
  }
  if (auto it = seen_.find(signature); it != seen_.end()) {
    return now - it->second <= grace_seconds_;
  }
  while (by_expiry_.size() >= capacity_ && !by_expiry_.empty()) {
    seen_.erase(by_expiry_.front().second);
    by_expiry_.pop_front();
  }
  seen_.emplace(signature, now);
  by_expiry_.emplace_back(signed_at + max_skew_seconds_, signature);
  return true;
}

size_t ReplayCache::size() const {
  std::lock_guard lock(mutex_);
  return seen_.size();
}

}  // namespace candor::server
