// SigV4 verification against hostile input (huge and non-ASCII headers,
// thousands of signed headers), and round trips of SignSigV4 and
// VerifySigV4. Also run under ASan by tools/test.sh.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "server/sigv4.h"
#include "sigv4_test_support.h"

namespace candor::server {
namespace {

// ---------------------------------------------------------------------------
// Hostile input without botocore.

HttpRequestView SignedRekognitionRequest(const std::string& body_storage) {
  HttpRequestView r;
  r.method = "POST";
  r.path = "/";
  r.headers = {{"Host", kRekognitionHost},
               {"Content-Type", "application/x-amz-json-1.1"},
               {"X-Amz-Target", "RekognitionService.DetectFaces"}};
  r.body = body_storage;
  SignSigV4(r, {.principal = "alice", .access_key_id = kKeyId, .secret_access_key = kSecret},
            "eu-west-1", "rekognition", kRekognitionTime);
  return r;
}

TEST(SigV4HostileTest, VeryLongHeaderValues) {
  const CredentialStore store = RekognitionStore();
  const std::string body = kRekognitionBody;
  HttpRequestView r = SignedRekognitionRequest(body);
  ASSERT_TRUE(VerifySigV4(r, store, {}, kRekognitionTime).ok);

  const std::string huge(1 << 20, 'x');
  HttpRequestView long_target = r;
  SetHeader(long_target, "X-Amz-Target", huge);
  ExpectFailure(VerifySigV4(long_target, store, {}, kRekognitionTime), "InvalidSignatureException",
                400);
  HttpRequestView long_auth = r;
  SetHeader(long_auth, "Authorization", Header(r, "Authorization") + huge);
  AuthResult result = VerifySigV4(long_auth, store, {}, kRekognitionTime);
  ExpectFailure(result, "IncompleteSignatureException", 400);
  EXPECT_LT(result.message.size(), 1000u);  // client bytes are not echoed whole
  HttpRequestView long_date = r;
  SetHeader(long_date, "X-Amz-Date", huge);
  result = VerifySigV4(long_date, store, {}, kRekognitionTime);
  ExpectFailure(result, "IncompleteSignatureException", 400);
  EXPECT_LT(result.message.size(), 1000u);
  // A long signed header value is fine when it was signed.
  HttpRequestView big;
  big.method = "POST";
  big.path = "/";
  big.headers = {{"Host", kRekognitionHost}, {"X-Amz-Target", huge}};
  big.body = body;
  SignSigV4(big, {.access_key_id = kKeyId, .secret_access_key = kSecret}, "eu-west-1",
            "rekognition", kRekognitionTime);
  EXPECT_TRUE(VerifySigV4(big, store, {}, kRekognitionTime).ok);
}

TEST(SigV4HostileTest, ThousandsOfSignedHeaders) {
  const CredentialStore store = RekognitionStore();
  const std::string body = kRekognitionBody;
  const HttpRequestView signed_request = SignedRekognitionRequest(body);
  const std::string good = Header(signed_request, "Authorization");
  const size_t from = good.find("SignedHeaders=") + 14;
  const size_t to = good.find(',', from);
  for (const int count : {100, 10000}) {
    SCOPED_TRACE(count);
    HttpRequestView r = signed_request;
    std::vector<std::string> names = {"content-type", "host", "x-amz-date", "x-amz-target"};
    for (int i = 0; i < count; ++i) {
      char name[16];
      std::snprintf(name, sizeof name, "x-h%05d", i);
      names.push_back(name);
      r.headers.emplace_back(name, "v");
    }
    std::sort(names.begin(), names.end());
    std::string list;
    for (const std::string& n : names) list += (list.empty() ? "" : ";") + n;
    std::string authorization = good;
    authorization.replace(from, to - from, list);
    SetHeader(r, "Authorization", authorization);
    const AuthResult result = VerifySigV4(r, store, {}, kRekognitionTime);
    ExpectFailure(result, "IncompleteSignatureException", 400);
    EXPECT_LT(result.message.size(), 1000u);
  }
}

TEST(SigV4HostileTest, NonAsciiAndEmptyInput) {
  const CredentialStore store = RekognitionStore();
  const std::string body = kRekognitionBody;
  const HttpRequestView good = SignedRekognitionRequest(body);
  const std::string authorization = Header(good, "Authorization");

  // Non-ASCII bytes in the key id, the scope, the header list, the signature.
  for (const std::string& bad :
       {std::string("AWS4-HMAC-SHA256 Credential=\xc3\xa9\xff/20240517/eu-west-1/rekognition/"
                    "aws4_request, SignedHeaders=host;x-amz-date, Signature=") +
            std::string(64, 'a'),
        std::string("AWS4-HMAC-SHA256 Credential=") + kKeyId +
            "/20240517/eu-west-1/rekognition/aws4_request, SignedHeaders=host;x-\xe2\x82\xac;"
            "x-amz-date, Signature=" +
            std::string(64, 'a'),
        std::string("AWS4-HMAC-SHA256 Credential=") + kKeyId +
            "/20240517/eu-west-1/rekognition/aws4_request, SignedHeaders=host;x-amz-date, "
            "Signature=" +
            std::string(62, 'a') + "\xc3\xa9",
        std::string("\x00\x01\x02", 3) + authorization, std::string(100, '\xff'),
        std::string(",,,,,,"), std::string("AWS4-HMAC-SHA256 ,,, = , =="),
        std::string("AWS4-HMAC-SHA256 Credential=, SignedHeaders=, Signature=")}) {
    HttpRequestView r = good;
    SetHeader(r, "Authorization", bad);
    const AuthResult result = VerifySigV4(r, store, {}, kRekognitionTime);
    EXPECT_FALSE(result.ok);
    EXPECT_EQ(result.http_status, 400);
    // The message stays printable ASCII whatever the client sent.
    for (char c : result.message) {
      EXPECT_TRUE(static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7f)
          << result.message;
    }
  }
  // Empty everything.
  HttpRequestView empty;
  ExpectFailure(VerifySigV4(empty, store, {}, kRekognitionTime),
                "MissingAuthenticationTokenException", 403);
  empty.headers.emplace_back("", "");
  empty.headers.emplace_back("Authorization", "");
  ExpectFailure(VerifySigV4(empty, store, {}, kRekognitionTime), "IncompleteSignatureException",
                400);
  ExpectFailure(VerifySigV4(good, CredentialStore(), {}, kRekognitionTime),
                "UnrecognizedClientException", 400);
}

// ---------------------------------------------------------------------------
// Round trips of SignSigV4 and VerifySigV4.

TEST(SigV4RoundTripTest, SignThenVerify) {
  const CredentialStore store = RekognitionStore();
  const Credential& alice = store.credentials().at(0);
  std::string body = kRekognitionBody;
  HttpRequestView r;
  r.method = "POST";
  r.path = "/";
  r.headers = {{"host", kRekognitionHost},
               {"content-type", "application/x-amz-json-1.1"},
               {"x-amz-target", "RekognitionService.SearchFacesByImage"},
               {"x-amz-date", "19990101T000000Z"},  // replaced
               {"Authorization", "stale"}};         // replaced
  r.body = body;
  SignSigV4(r, alice, "eu-west-1", "rekognition", kRekognitionTime);
  EXPECT_EQ(r.headers.size(), 5u);
  EXPECT_NE(Header(r, "Authorization")
                .find("SignedHeaders=content-type;host;x-amz-date;"
                      "x-amz-target,"),
            std::string::npos);
  AuthResult result = VerifySigV4(r, store, {.region = "eu-west-1"}, kRekognitionTime);
  ASSERT_TRUE(result.ok) << result.error_type << ": " << result.message;
  EXPECT_EQ(result.credential, &alice);

  // Only host and x-amz-date are needed; query strings, binary bodies and
  // non-ASCII header values sign fine.
  std::string binary(256, '\0');
  for (int i = 0; i < 256; ++i) binary[i] = static_cast<char>(i);
  HttpRequestView minimal;
  minimal.method = "GET";
  minimal.path = "/a b/%7Ec";
  minimal.query = "z=1&a=%C3%A9&a=";
  minimal.headers = {{"Host", "localhost:8080"}, {"X-Amz-Target", "caf\xc3\xa9  \t x"}};
  minimal.body = binary;
  SignSigV4(minimal, alice, "local", "rekognition", kRekognitionTime + 1);
  EXPECT_TRUE(VerifySigV4(minimal, store, {}, kRekognitionTime).ok);
  minimal.body = std::string_view(binary).substr(1);
  EXPECT_FALSE(VerifySigV4(minimal, store, {}, kRekognitionTime).ok);

  // The time formatting across years, leap days and the epoch.
  for (const auto& [time, date] :
       std::vector<std::pair<int64_t, std::string>>{{0, "19700101T000000Z"},
                                                    {951782400, "20000229T000000Z"},
                                                    {1709251199, "20240229T235959Z"},
                                                    {4102444800, "21000101T000000Z"}}) {
    HttpRequestView t = r;
    SignSigV4(t, alice, "eu-west-1", "rekognition", time);
    EXPECT_EQ(Header(t, "X-Amz-Date"), date);
    EXPECT_TRUE(VerifySigV4(t, store, {}, time).ok) << date;
  }
  // Another service name than configured.
  ExpectFailure(VerifySigV4(r, store, {.service = "s3"}, kRekognitionTime),
                "IncompleteSignatureException", 400);
}

}  // namespace
}  // namespace candor::server
