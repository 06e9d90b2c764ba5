// Signatures of signed write requests seen lately, so that a captured
// request cannot be sent again: SigV4 accepts a signature for 15 minutes
// either side of the server's clock, and nothing else stops a second
// IndexFaces from the same bytes.
//
// A signature is remembered until it could no longer be accepted (signed
// time + the allowed skew); at most `capacity` are held, the oldest
// forgotten first when more arrive (a flood shortens the window, it never
// grows memory). The same signature within `grace_seconds` of its first
// arrival is not a replay: X-Amz-Date counts seconds, so a client that sends
// the same request twice in one second (a repeat, a quick retry) signs it
// alike, and must get the answer a repeat gets, not a signature error.
//
// Thread safety: all methods may be called concurrently.
#ifndef CANDOR_SERVER_REPLAY_CACHE_H_
#define CANDOR_SERVER_REPLAY_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>

namespace candor::server {

class ReplayCache {
 public:
  ReplayCache(int64_t max_skew_seconds, size_t capacity, int64_t grace_seconds = 1)
      : max_skew_seconds_(max_skew_seconds), capacity_(capacity), grace_seconds_(grace_seconds) {}

  // False for a replay: `signature` first seen more than grace_seconds
  // before `now`; true otherwise (remembering it the first time).
  // `signed_at` is the request's X-Amz-Date, `now` the server's clock.
  bool Accept(const std::string& signature, int64_t signed_at, int64_t now);

  size_t size() const;

 private:
  const int64_t max_skew_seconds_;
  const size_t capacity_;
  const int64_t grace_seconds_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, int64_t> seen_;  // signature -> first arrival
  std::deque<std::pair<int64_t, std::string>> by_expiry_;  // arrival order
};

}  // namespace candor::server

#endif  // CANDOR_SERVER_REPLAY_CACHE_H_
