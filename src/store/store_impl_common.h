// What the two stores' implementations share (sqlite_store_impl.h,
// pg_store_impl.h): the clock, names quoted in messages, and the check of a
// page limit, so that both word their errors alike. Nothing outside
// src/store includes this header.
#ifndef CANDOR_STORE_STORE_IMPL_COMMON_H_
#define CANDOR_STORE_STORE_IMPL_COMMON_H_

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "candor/status.h"

namespace candor::store {

inline int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Built by appending: GCC 12's -Wrestrict misfires on "'" + std::string
// once this is inlined.
inline std::string Quoted(std::string_view s) {
  std::string quoted;
  quoted.reserve(s.size() + 2);
  quoted += '\'';
  quoted += s;
  quoted += '\'';
  return quoted;
}

inline Status ValidateLimit(int limit) {
  if (limit <= 0)
    return Status::InvalidArgument("limit must be positive, got " + std::to_string(limit));
  return Status::Ok();
}

}  // namespace candor::store

#endif  // CANDOR_STORE_STORE_IMPL_COMMON_H_
