// What the SigV4 tests share: the keys and requests of AWS's test suite and
// of the Rekognition cross-check, and small helpers on requests.
#ifndef CANDOR_TESTS_SIGV4_TEST_SUPPORT_H_
#define CANDOR_TESTS_SIGV4_TEST_SUPPORT_H_

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "server/credentials.h"
#include "server/sigv4.h"
#include "test_support.h"

namespace candor::server {



// The key of AWS's SigV4 test suite (aws-sig-v4-test-suite, 2015-08-30).
constexpr char kSuiteKeyId[] = "AKIDEXAMPLE";
constexpr char kSuiteSecret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr int64_t kSuiteTime = 1440938160;  // 2015-08-30T12:36:00Z
constexpr char kEmptySha256[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

// The Rekognition-style request of the botocore cross-check.
constexpr char kKeyId[] = "CKIATESTTESTTEST2345";
constexpr char kSecret[] = "k8cZ3vYQ0m+Jx/7uTq2Lr9pWnE5aHdS1fGbC4oVi";
constexpr int64_t kRekognitionTime = 1715938200;  // 2024-05-17T09:30:00Z
constexpr char kRekognitionHost[] = "rekognition.eu-west-1.amazonaws.com";
constexpr char kRekognitionBody[] =
    R"({"Image":{"Bytes":"/9j/4AAQSkZJRgABAQ=="},"Attributes":["DEFAULT"]})";

inline CredentialStore Store(const std::string& text) {
  auto store = CredentialStore::Parse(text);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(store).value() : CredentialStore();
}

inline CredentialStore SuiteStore() {
  return Store(std::string("[suite]\naws_access_key_id = ") + kSuiteKeyId +
               "\naws_secret_access_key = " + kSuiteSecret + "\n");
}

inline CredentialStore RekognitionStore() {
  return Store(std::string("[alice]\naws_access_key_id = ") + kKeyId +
               "\naws_secret_access_key = " + kSecret + "\nrole = operator\n");
}

inline VerifyOptions SuiteOptions() { return {.service = "service", .region = "us-east-1"}; }

inline std::string Header(const HttpRequestView& r, const std::string& name) {
  for (const auto& [n, v] : r.headers) {
    if (n == name) return v;
  }
  return "";
}

inline void SetHeader(HttpRequestView& r, const std::string& name, const std::string& value) {
  for (auto& [n, v] : r.headers) {
    if (n == name) {
      v = value;
      return;
    }
  }
  r.headers.emplace_back(name, value);
}

inline void RemoveHeader(HttpRequestView& r, const std::string& name) {
  std::erase_if(r.headers, [&](const auto& h) { return h.first == name; });
}

inline void ExpectFailure(const AuthResult& r, const std::string& type, int status) {
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error_type, type) << r.message;
  EXPECT_EQ(r.http_status, status);
  EXPECT_FALSE(r.message.empty());
  EXPECT_EQ(r.credential, nullptr);
}

}  // namespace candor::server

#endif  // CANDOR_TESTS_SIGV4_TEST_SUPPORT_H_
