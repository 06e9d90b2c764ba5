// Helpers of the request-parser tests (requests_test.cc, image_request_test.cc).
#ifndef CANDOR_TESTS_REQUESTS_TEST_SUPPORT_H_
#define CANDOR_TESTS_REQUESTS_TEST_SUPPORT_H_

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

#include "protocol/requests.h"

namespace candor::protocol::test {

using nlohmann::json;

// A tiny stand-in for an image: the parsers never decode images.
inline const std::string kImage = std::string("\xff\xd8\xff\xe0", 4) + "not really a jpeg" + '\0' + "\xff";

inline std::string FaceId(int i) {
  char id[40];
  std::snprintf(id, sizeof(id), "%08x-0000-4000-8000-%012x", i, i);
  return id;
}

inline json Bytes(const std::string& bytes) { return {{"Bytes", EncodeBase64(bytes)}}; }

#define EXPECT_CODE(expr, expected_code)                                                \
  do {                                                                                  \
    const auto& result_ = (expr);                                                       \
    EXPECT_FALSE(result_.ok()) << #expr;                                                \
    if (!result_.ok()) {                                                                \
      EXPECT_EQ(result_.status().code(), expected_code) << result_.status().ToString(); \
    }                                                                                   \
  } while (0)

#define EXPECT_MESSAGE_HAS(expr, text)                                  \
  do {                                                                  \
    const auto& result_ = (expr);                                       \
    ASSERT_FALSE(result_.ok()) << #expr;                                \
    EXPECT_NE(result_.status().message().find(text), std::string::npos) \
        << result_.status().message();                                  \
  } while (0)

// --- Base64 ---

}  // namespace candor::protocol::test

#endif  // CANDOR_TESTS_REQUESTS_TEST_SUPPORT_H_
