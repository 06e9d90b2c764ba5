// AWS Signature Version 4 (src/server/sigv4.*) and the credentials file
// (src/server/credentials.*): AWS's published test-suite vectors, a
// cross-check against botocore (the signer of the AWS CLI and boto3), hostile
// Authorization headers, and the INI parser.
#include "server/sigv4.h"

#include <gtest/gtest.h>
#include <stdio.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "server/credentials.h"
#include "server/replay_cache.h"
#include "sigv4_test_support.h"
#include "test_support.h"

namespace candor::server {
namespace {

using ::candor::testing::TempDir;

// ---------------------------------------------------------------------------
// AWS's published test suite.

HttpRequestView SuiteRequest(std::string method, std::string query = "") {
  HttpRequestView r;
  r.method = std::move(method);
  r.path = "/";
  r.query = std::move(query);
  r.headers = {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}};
  return r;
}

std::string SuiteAuthorization(const std::string& signed_headers, const std::string& signature) {
  return std::string(
             "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/"
             "aws4_request, SignedHeaders=") +
         signed_headers + ", Signature=" + signature;
}

TEST(SigV4SuiteTest, GetVanilla) {
  HttpRequestView r = SuiteRequest("GET");
  const std::string canonical = CanonicalRequest(r, {"host", "x-amz-date"}, Sha256Hex(""));
  EXPECT_EQ(canonical,
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
            "host;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  // The hash that ends the published string to sign.
  EXPECT_EQ(Sha256Hex(canonical),
            "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
  const std::string authorization = SuiteAuthorization(
      "host;x-amz-date", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");

  HttpRequestView signed_request = SuiteRequest("GET");
  RemoveHeader(signed_request, "X-Amz-Date");
  SignSigV4(signed_request, {.access_key_id = kSuiteKeyId, .secret_access_key = kSuiteSecret},
            "us-east-1", "service", kSuiteTime);
  EXPECT_EQ(Header(signed_request, "X-Amz-Date"), "20150830T123600Z");
  EXPECT_EQ(Header(signed_request, "Authorization"), authorization);

  r.headers.emplace_back("Authorization", authorization);
  const CredentialStore store = SuiteStore();
  const AuthResult result = VerifySigV4(r, store, SuiteOptions(), kSuiteTime);
  EXPECT_TRUE(result.ok) << result.error_type << ": " << result.message;
  ASSERT_NE(result.credential, nullptr);
  EXPECT_EQ(result.credential->principal, "suite");
}

TEST(SigV4SuiteTest, PostXWwwFormUrlencoded) {
  HttpRequestView r = SuiteRequest("POST");
  r.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  r.body = "Param1=value1";
  EXPECT_EQ(Sha256Hex(r.body), "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e");
  const std::string canonical =
      CanonicalRequest(r, {"content-type", "host", "x-amz-date"}, Sha256Hex(r.body));
  EXPECT_EQ(canonical,
            "POST\n/\n\ncontent-type:application/x-www-form-urlencoded\n"
            "host:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
            "content-type;host;x-amz-date\n"
            "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e");
  const std::string authorization =
      SuiteAuthorization("content-type;host;x-amz-date",
                         "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a");
  HttpRequestView signed_request = r;
  SignSigV4(signed_request, {.access_key_id = kSuiteKeyId, .secret_access_key = kSuiteSecret},
            "us-east-1", "service", kSuiteTime);
  EXPECT_EQ(Header(signed_request, "Authorization"), authorization);

  r.headers.emplace_back("Authorization", authorization);
  const CredentialStore store = SuiteStore();
  EXPECT_TRUE(VerifySigV4(r, store, SuiteOptions(), kSuiteTime).ok);
  r.body = "Param1=value2";
  ExpectFailure(VerifySigV4(r, store, SuiteOptions(), kSuiteTime), "InvalidSignatureException",
                400);
}

TEST(SigV4SuiteTest, GetVanillaQueryOrderKeyCase) {
  HttpRequestView r = SuiteRequest("GET", "Param2=value2&Param1=value1");
  EXPECT_EQ(CanonicalRequest(r, {"host", "x-amz-date"}, kEmptySha256),
            "GET\n/\nParam1=value1&Param2=value2\nhost:example.amazonaws.com\n"
            "x-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" +
                std::string(kEmptySha256));
  r.headers.emplace_back("Authorization", SuiteAuthorization("host;x-amz-date",
                                                             "b97d918cfa904a5beff61c982a1b6f458b7"
                                                             "99221646efd99d3219ec94cdf2500"));
  const CredentialStore store = SuiteStore();
  EXPECT_TRUE(VerifySigV4(r, store, SuiteOptions(), kSuiteTime).ok);
}

TEST(SigV4SuiteTest, GetHeaderValueTrim) {
  HttpRequestView r = SuiteRequest("GET");
  r.headers.emplace_back("My-Header1", " value1");
  r.headers.emplace_back("My-Header2", " \"a   b   c\"");
  const std::vector<std::string> names = {"host", "my-header1", "my-header2", "x-amz-date"};
  EXPECT_EQ(CanonicalRequest(r, names, kEmptySha256),
            "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value1\nmy-header2:\"a b c\"\n"
            "x-amz-date:20150830T123600Z\n\nhost;my-header1;my-header2;x-amz-date\n" +
                std::string(kEmptySha256));
  r.headers.emplace_back(
      "Authorization",
      SuiteAuthorization("host;my-header1;my-header2;x-amz-date",
                         "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"));
  const CredentialStore store = SuiteStore();
  EXPECT_TRUE(VerifySigV4(r, store, SuiteOptions(), kSuiteTime).ok);
}

TEST(SigV4SuiteTest, CanonicalRequestDetails) {
  HttpRequestView r = SuiteRequest("GET");
  // Repeated headers joined with ',' in their order; names in any case.
  r.headers.emplace_back("My-Header1", "value2");
  r.headers.emplace_back("my-header1", "value2");
  r.headers.emplace_back("MY-HEADER1", "value1");
  std::string c = CanonicalRequest(r, {"X-Amz-Date", "my-header1", "HOST"}, kEmptySha256);
  EXPECT_NE(c.find("\nmy-header1:value2,value2,value1\n"), std::string::npos) << c;
  EXPECT_NE(c.find("\nhost;my-header1;x-amz-date\n"), std::string::npos) << c;
  // Dot segments and repeated slashes removed; the path encoded once more.
  r.path = "//example//../a/./b%20c/";
  c = CanonicalRequest(r, {"host"}, kEmptySha256);
  EXPECT_EQ(c.substr(0, c.find('\n', 4)), "GET\n/a/b%2520c/");
  // Query decoded, sorted by name then value, re-encoded in upper-case hex.
  r.path = "/";
  r.query = "b=2&a=z&a=y&%e1%88%b4=bar&flag&sp=x%20y";
  c = CanonicalRequest(r, {"host"}, kEmptySha256);
  EXPECT_NE(c.find("\n%E1%88%B4=bar&a=y&a=z&b=2&flag=&sp=x%20y\n"), std::string::npos) << c;
}

// ---------------------------------------------------------------------------
// botocore.

bool HaveBotocore() { return std::system("python3 -c 'import botocore' >/dev/null 2>&1") == 0; }

// Signs each request of `cases` with botocore at a fixed time; returns, per
// case, the canonical request botocore built, its SignedHeaders and the
// headers it sent (without Host, which the HTTP client adds).
constexpr char kBotocoreScript[] = R"PY(
import datetime, json, sys
from unittest import mock
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

out = []
for case in json.load(open(sys.argv[1])):
    now = datetime.datetime.fromtimestamp(case["time"], datetime.timezone.utc).replace(tzinfo=None)
    def make():
        req = AWSRequest(method=case["method"], url=case["url"], data=case["body"].encode("utf-8"))
        for name, value in case["headers"]:
            req.headers[name] = value  # appends: repeated headers stay repeated
        return req
    auth = SigV4Auth(Credentials(case["key_id"], case["secret"]), case["service"], case["region"])
    probe = make()
    probe.headers["X-Amz-Date"] = now.strftime("%Y%m%dT%H%M%SZ")
    probe.context["timestamp"] = now.strftime("%Y%m%dT%H%M%SZ")
    canonical = auth.canonical_request(probe)
    signed = auth.signed_headers(auth.headers_to_sign(probe))
    req = make()
    with mock.patch("botocore.auth.get_current_datetime", return_value=now):
        auth.add_auth(req)
    out.append({"canonical": canonical, "signed_headers": signed,
                "headers": [[k, v] for k, v in req.headers.items()]})
json.dump(out, sys.stdout)
)PY";

struct BotocoreCase {
  std::string method = "POST";
  std::string host;
  std::string path = "/";
  std::string query;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string region;
  std::string service;
  std::string key_id;
  std::string secret;
  int64_t time = 0;
};

struct BotocoreSigned {
  std::string canonical;
  std::vector<std::string> signed_headers;
  HttpRequestView request;  // as received: botocore's headers plus Host
  std::string body;         // request.body views this; rebind after copying
};

std::vector<BotocoreSigned> SignWithBotocore(const std::vector<BotocoreCase>& cases) {
  TempDir dir;
  nlohmann::json input = nlohmann::json::array();
  for (const BotocoreCase& c : cases) {
    input.push_back({{"method", c.method},
                     {"url", "https://" + c.host + c.path + (c.query.empty() ? "" : "?" + c.query)},
                     {"headers", c.headers},
                     {"body", c.body},
                     {"region", c.region},
                     {"service", c.service},
                     {"key_id", c.key_id},
                     {"secret", c.secret},
                     {"time", c.time}});
  }
  std::ofstream(dir.path() + "/script.py") << kBotocoreScript;
  std::ofstream(dir.path() + "/cases.json") << input.dump();
  const std::string command = "python3 " + dir.path() + "/script.py " + dir.path() + "/cases.json";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return {};
  std::string output;
  char buffer[4096];
  for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) output.append(buffer, n);
  const int rc = ::pclose(pipe);
  EXPECT_EQ(rc, 0) << "botocore helper failed";
  const nlohmann::json parsed = nlohmann::json::parse(output, nullptr, false);
  if (!parsed.is_array() || parsed.size() != cases.size()) {
    ADD_FAILURE() << "botocore helper output: " << output;
    return {};
  }
  std::vector<BotocoreSigned> results;
  for (size_t i = 0; i < cases.size(); ++i) {
    BotocoreSigned s;
    s.canonical = parsed[i]["canonical"];
    const std::string signed_headers = parsed[i]["signed_headers"];
    for (size_t p = 0; p <= signed_headers.size();) {
      size_t e = signed_headers.find(';', p);
      if (e == std::string::npos) e = signed_headers.size();
      s.signed_headers.push_back(signed_headers.substr(p, e - p));
      p = e + 1;
    }
    s.request.method = cases[i].method;
    s.request.path = cases[i].path;
    s.request.query = cases[i].query;
    s.request.headers.emplace_back("Host", cases[i].host);
    for (const auto& h : parsed[i]["headers"]) s.request.headers.emplace_back(h[0], h[1]);
    s.body = cases[i].body;
    results.push_back(std::move(s));
  }
  return results;
}

class BotocoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(HaveBotocore()) << "python3 with botocore is needed (tools/setup.sh installs python3-boto3)";
  }
};

// Canonical requests of awkward paths, queries and headers, as botocore
// builds them, and botocore's signatures accepted.
TEST_F(BotocoreTest, CanonicalRequestsMatchBotocore) {
  std::vector<BotocoreCase> cases;
  auto add = [&](std::string method, std::string path, std::string query,
                 std::vector<std::pair<std::string, std::string>> headers, std::string body) {
    cases.push_back({.method = std::move(method),
                     .host = "example.amazonaws.com",
                     .path = std::move(path),
                     .query = std::move(query),
                     .headers = std::move(headers),
                     .body = std::move(body),
                     .region = "us-east-1",
                     .service = "service",
                     .key_id = kSuiteKeyId,
                     .secret = kSuiteSecret,
                     .time = kSuiteTime});
  };
  add("GET", "/", "", {}, "");
  add("GET", "/example space/", "", {}, "");
  add("GET", "/example/..", "", {}, "");
  add("GET", "//example//", "", {}, "");
  add("GET", "/example1/example2/../..", "", {}, "");
  add("GET", "/./", "", {}, "");
  add("GET", "/%E1%88%B4", "", {}, "");
  add("GET", "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", "", {}, "");
  add("GET", "/", "Param1=value2&Param1=Value1", {}, "");
  add("GET", "/", "%E1%88%B4=bar", {}, "");
  add("GET", "/",
      "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789", {}, "");
  add("GET", "/", "",
      {{"My-Header1", "value2"}, {"My-Header1", "value2"}, {"My-Header1", "value1"}}, "");
  add("GET", "/", "", {{"My-Header1", "  value1  "}, {"My-Header2", "\"a \t  b   c\""}}, "");
  add("POST", "/", "",
      {{"Content-Type", "application/x-amz-json-1.1"},
       {"X-Amz-Target", "RekognitionService.ListCollections"}},
      "{}");
  const std::vector<BotocoreSigned> signed_requests = SignWithBotocore(cases);
  ASSERT_EQ(signed_requests.size(), cases.size());
  const CredentialStore store = SuiteStore();
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(cases[i].path + "?" + cases[i].query);
    HttpRequestView r = signed_requests[i].request;
    r.body = signed_requests[i].body;
    EXPECT_EQ(CanonicalRequest(r, signed_requests[i].signed_headers, Sha256Hex(r.body)),
              signed_requests[i].canonical);
    const AuthResult result = VerifySigV4(r, store, SuiteOptions(), kSuiteTime);
    EXPECT_TRUE(result.ok) << result.error_type << ": " << result.message;
  }
}

class RekognitionBotocoreTest : public BotocoreTest {
 protected:
  void SetUp() override {
    BotocoreTest::SetUp();
    if (IsSkipped()) return;
    const std::vector<BotocoreSigned> s =
        SignWithBotocore({{.method = "POST",
                           .host = kRekognitionHost,
                           .headers = {{"Content-Type", "application/x-amz-json-1.1"},
                                       {"X-Amz-Target", "RekognitionService.DetectFaces"},
                                       {"User-Agent", "aws-cli/2.15.0 Python/3.11"}},
                           .body = kRekognitionBody,
                           .region = "eu-west-1",
                           .service = "rekognition",
                           .key_id = kKeyId,
                           .secret = kSecret,
                           .time = kRekognitionTime}});
    ASSERT_EQ(s.size(), 1u);
    request_ = s[0].request;
    body_ = s[0].body;
    request_.body = body_;
    ASSERT_EQ(Header(request_, "X-Amz-Date"), "20240517T093000Z");
    ASSERT_EQ(Header(request_, "Authorization").rfind("AWS4-HMAC-SHA256 Credential=", 0), 0u);
  }

  AuthResult Verify(const HttpRequestView& r, int64_t now = kRekognitionTime) const {
    return VerifySigV4(r, store_, options_, now);
  }

  // The request with its Authorization header replaced.
  HttpRequestView WithAuthorization(const std::string& authorization) const {
    HttpRequestView r = request_;
    SetHeader(r, "Authorization", authorization);
    return r;
  }

  std::string authorization() const { return Header(request_, "Authorization"); }

  HttpRequestView request_;
  std::string body_;
  CredentialStore store_ = RekognitionStore();
  VerifyOptions options_ = {.service = "rekognition"};
};

TEST_F(RekognitionBotocoreTest, AcceptsBotocoreSignature) {
  AuthResult result = Verify(request_);
  ASSERT_TRUE(result.ok) << result.error_type << ": " << result.message;
  ASSERT_NE(result.credential, nullptr);
  EXPECT_EQ(result.credential->principal, "alice");
  EXPECT_EQ(result.credential->attributes.at("role"), "operator");
  // Within the allowed skew, either way; a fixed region; an unsigned header
  // (User-Agent) changed; header names in another case.
  EXPECT_TRUE(Verify(request_, kRekognitionTime + 14 * 60).ok);
  EXPECT_TRUE(Verify(request_, kRekognitionTime - 14 * 60).ok);
  VerifyOptions regional = options_;
  regional.region = "eu-west-1";
  EXPECT_TRUE(VerifySigV4(request_, store_, regional, kRekognitionTime).ok);
  HttpRequestView r = request_;
  SetHeader(r, "User-Agent", "something else");
  for (auto& [name, value] : r.headers) {
    if (name == "Host") name = "HOST";
    if (name == "X-Amz-Target") name = "x-amz-target";
  }
  EXPECT_TRUE(Verify(r).ok);
  // The Authorization header with no space after the commas.
  std::string compact = authorization();
  for (size_t p; (p = compact.find(", ")) != std::string::npos;) compact.erase(p + 1, 1);
  EXPECT_TRUE(Verify(WithAuthorization(compact)).ok) << compact;
  // A matching x-amz-content-sha256 is fine, another one is not.
  r = request_;
  r.headers.emplace_back("X-Amz-Content-Sha256", Sha256Hex(body_));
  EXPECT_TRUE(Verify(r).ok);
  SetHeader(r, "X-Amz-Content-Sha256", Sha256Hex("other"));
  ExpectFailure(Verify(r), "InvalidSignatureException", 400);
}

TEST_F(RekognitionBotocoreTest, RejectsModifiedRequests) {
  HttpRequestView r = request_;
  const std::string other_body = std::string(kRekognitionBody) + " ";
  r.body = other_body;
  ExpectFailure(Verify(r), "InvalidSignatureException", 400);

  r = request_;
  SetHeader(r, "X-Amz-Target", "RekognitionService.DeleteCollection");
  ExpectFailure(Verify(r), "InvalidSignatureException", 400);

  r = request_;
  SetHeader(r, "Content-Type", "application/x-amz-json-1.0");
  ExpectFailure(Verify(r), "InvalidSignatureException", 400);

  r = request_;
  SetHeader(r, "Host", "evil.example.com");
  ExpectFailure(Verify(r), "InvalidSignatureException", 400);

  r = request_;
  r.path = "/other";
  ExpectFailure(Verify(r), "InvalidSignatureException", 400);

  r = request_;
  r.method = "PUT";
  ExpectFailure(Verify(r), "InvalidSignatureException", 400);

  // A signed header removed.
  r = request_;
  RemoveHeader(r, "X-Amz-Target");
  ExpectFailure(Verify(r), "InvalidSignatureException", 400);

  // The signature itself changed in one digit.
  std::string tampered = authorization();
  char& last = tampered.back();
  last = last == '0' ? '1' : '0';
  ExpectFailure(Verify(WithAuthorization(tampered)), "InvalidSignatureException", 400);
}

TEST_F(RekognitionBotocoreTest, RejectsWrongKeys) {
  const CredentialStore wrong_secret =
      Store(std::string("[alice]\naws_access_key_id = ") + kKeyId +
            "\naws_secret_access_key = k8cZ3vYQ0m+Jx/7uTq2Lr9pWnE5aHdS1fGbC4oVj\n");
  ExpectFailure(VerifySigV4(request_, wrong_secret, options_, kRekognitionTime),
                "InvalidSignatureException", 400);
  const CredentialStore other_key =
      Store("[bob]\naws_access_key_id = CKIAOTHEROTHEROTHER2\naws_secret_access_key = " +
            std::string(kSecret) + "\n");
  ExpectFailure(VerifySigV4(request_, other_key, options_, kRekognitionTime),
                "UnrecognizedClientException", 400);
  ExpectFailure(VerifySigV4(request_, CredentialStore(), options_, kRekognitionTime),
                "UnrecognizedClientException", 400);
}

TEST_F(RekognitionBotocoreTest, RejectsSkewedClocks) {
  AuthResult late = Verify(request_, kRekognitionTime + 16 * 60);
  ExpectFailure(late, "InvalidSignatureException", 400);
  EXPECT_EQ(late.message.rfind("Signature expired", 0), 0u) << late.message;
  EXPECT_NE(late.message.find("20240517T093000Z"), std::string::npos) << late.message;
  AuthResult early = Verify(request_, kRekognitionTime - 16 * 60);
  ExpectFailure(early, "InvalidSignatureException", 400);
  EXPECT_EQ(early.message.rfind("Signature not yet current", 0), 0u) << early.message;
}

TEST_F(RekognitionBotocoreTest, RejectsMissingOrMalformedAuthorization) {
  HttpRequestView r = request_;
  RemoveHeader(r, "Authorization");
  ExpectFailure(Verify(r), "MissingAuthenticationTokenException", 403);

  const std::string good = authorization();
  auto replace = [&](const std::string& from, const std::string& to) {
    std::string s = good;
    const size_t p = s.find(from);
    EXPECT_NE(p, std::string::npos) << from;
    if (p != std::string::npos) s.replace(p, from.size(), to);
    return s;
  };
  const size_t signature_at = good.find(", Signature=");
  const size_t signed_at = good.find(", SignedHeaders=");
  ASSERT_NE(signature_at, std::string::npos);
  ASSERT_NE(signed_at, std::string::npos);
  const std::vector<std::string> malformed = {
      "garbage",
      "",
      "AWS4-HMAC-SHA256",
      "AWS4-HMAC-SHA1 " + good.substr(17),
      "AWS4-HMAC-SHA256Credential=x",
      good.substr(0, signature_at),                           // no Signature=
      good.substr(0, signed_at) + good.substr(signature_at),  // no SignedHeaders=
      good + ", Signature=" + std::string(64, '0'),           // repeated
      good + ", Extra=1",                                     // unknown component
      replace("/eu-west-1/rekognition/", "/eu-west-1/s3/"),   // another service
      replace("/20240517/", "/20240516/"),                    // another date
      replace("/aws4_request", "/aws4_reqest"),               // wrong terminator
      replace("/eu-west-1/", "//"),                           // empty region
      replace("SignedHeaders=content-type;host;", "SignedHeaders=content-type;"),  // no host
      replace(";x-amz-date", ""),                                                  // no x-amz-date
      replace("SignedHeaders=content-type;host", "SignedHeaders=host;content-type"),  // unsorted
      replace("SignedHeaders=", "SignedHeaders=;"),                                   // empty name
      replace("Signature=", "Signature=ab"),                                          // 66 digits
      good.substr(0, good.size() - 1),                                                // 63 digits
      replace("Signature=", "Signature=Z").substr(0, good.size()),                    // not hex
  };
  for (const std::string& authorization : malformed) {
    SCOPED_TRACE(authorization);
    ExpectFailure(Verify(WithAuthorization(authorization)), "IncompleteSignatureException", 400);
  }
  // A region other than the one the service is configured for.
  VerifyOptions regional = options_;
  regional.region = "us-east-1";
  ExpectFailure(VerifySigV4(request_, store_, regional, kRekognitionTime),
                "IncompleteSignatureException", 400);
  // Two Authorization headers.
  r = request_;
  r.headers.emplace_back("authorization", good);
  ExpectFailure(Verify(r), "IncompleteSignatureException", 400);
}

TEST_F(RekognitionBotocoreTest, RejectsMissingOrInvalidDates) {
  HttpRequestView r = request_;
  RemoveHeader(r, "X-Amz-Date");
  ExpectFailure(Verify(r), "IncompleteSignatureException", 400);
  for (const std::string date :
       {"", "20240517T093000", "20240517t093000Z", "2024-05-17T09:30:00Z", "20240230T093000Z",
        "20241317T093000Z", "20240500T093000Z", "20240517T243000Z", "20240517T096000Z",
        "20240517T093060Z", "2024051ZT093000Z", "+2024517T093000Z", "20240517T093000ZZ",
        "19690517T093000Z", "\xff\xff\xff\xff\xff\xff\xff\xffT093000Z"}) {
    SCOPED_TRACE(date);
    r = request_;
    SetHeader(r, "X-Amz-Date", date);
    ExpectFailure(Verify(r), "IncompleteSignatureException", 400);
  }
  // 29 February exists in leap years only: valid date, wrong signature.
  r = request_;
  SetHeader(r, "X-Amz-Date", "20240229T093000Z");
  EXPECT_EQ(Verify(r).error_type, "IncompleteSignatureException");  // scope says 20240517
  r.headers.emplace_back("X-Amz-Date", "20240517T093000Z");
  ExpectFailure(Verify(r), "IncompleteSignatureException", 400);  // two of them
}

// Every prefix of a valid Authorization header, and single-byte changes, are
// refused without a crash.
TEST_F(RekognitionBotocoreTest, TruncatedAndCorruptedAuthorization) {
  const std::string good = authorization();
  for (size_t n = 0; n < good.size(); ++n) {
    const AuthResult result = Verify(WithAuthorization(good.substr(0, n)));
    EXPECT_FALSE(result.ok) << n;
    EXPECT_FALSE(result.error_type.empty()) << n;
  }
  for (size_t i = 0; i < good.size(); ++i) {
    for (const char c : {'\0', '\xff', ',', '=', '/', ';', ' ', 'A'}) {
      std::string corrupted = good;
      if (corrupted[i] == c) continue;
      corrupted[i] = c;
      const AuthResult result = Verify(WithAuthorization(corrupted));
      // A space after a comma or a case-insensitive spot may not matter;
      // anything accepted must still be the right key.
      if (result.ok) {
        EXPECT_EQ(result.credential->principal, "alice");
      } else {
        EXPECT_FALSE(result.error_type.empty());
      }
    }
  }
}

// The replay cache remembers a signature until SigV4 would refuse it anyway,
// and never more than its capacity.
TEST(ReplayCacheTest, RemembersUntilExpiryWithinCapacity) {
  ReplayCache cache(900, 3, /*grace_seconds=*/1);
  EXPECT_TRUE(cache.Accept("a", 1000, 1000));
  EXPECT_TRUE(cache.Accept("a", 1000, 1001));   // a repeat within the second
  EXPECT_FALSE(cache.Accept("a", 1000, 1002));  // a replay
  EXPECT_FALSE(cache.Accept("a", 1000, 1900));  // 900 s later: SigV4 would still accept it
  EXPECT_TRUE(cache.Accept("a", 1000, 1901));   // SigV4 would refuse it now
  EXPECT_TRUE(cache.Accept("b", 1901, 1901));
  EXPECT_TRUE(cache.Accept("c", 1901, 1901));
  EXPECT_TRUE(cache.Accept("d", 1901, 1901));  // "a" (oldest) forgotten
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_FALSE(cache.Accept("d", 1901, 1905));
}

}  // namespace
}  // namespace candor::server
