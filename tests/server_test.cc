// The HTTP service end to end on loopback: the wire protocol, SigV4, limits,
// throttling, TLS, metrics, graceful shutdown, and hostile clients at the
// socket level (truncated bodies, huge headers, deep JSON, slow clients).
#include "server_test_support.h"

namespace candor {
namespace {

using namespace server_testing;  // NOLINT: the fixture and helpers of these tests

TEST_F(ServerTest, DetectFacesSignedOverHttp) {
  LiveServer live;
  httplib::Client client("127.0.0.1", live.port());
  auto r = live.Call(client, "DetectFaces",
                     ImageBody(Lfw("Aaron_Peirsol", 0), R"({"Attributes":["ALL"]})"));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/x-amz-json-1.1");
  EXPECT_EQ(r->get_header_value("x-amzn-RequestId").size(), 36u);
  json j = json::parse(r->body);
  ASSERT_GE(j["FaceDetails"].size(), 1u);
  EXPECT_TRUE(j["FaceDetails"][0].contains("Emotions"));
  EXPECT_GT(j["FaceDetails"][0]["Confidence"].get<double>(), 90);
  // The access log names the principal and the operation.
  const std::string log = live.access_log();
  EXPECT_NE(log.find("\"principal\":\"alice\""), std::string::npos) << log;
  EXPECT_NE(log.find("\"operation\":\"DetectFaces\""), std::string::npos) << log;
}

TEST_F(ServerTest, CollectionRoundTripAndErrorsAsAwsShapes) {
  LiveServer live;
  httplib::Client client("127.0.0.1", live.port());
  auto created = live.Call(client, "CreateCollection", R"({"CollectionId":"c1"})");
  ASSERT_EQ(created->status, 200) << created->body;
  EXPECT_EQ(ErrorType(live.Call(client, "CreateCollection", R"({"CollectionId":"c1"})")),
            "ResourceAlreadyExistsException");
  auto indexed = live.Call(client, "IndexFaces",
                           ImageBody(Lfw("Colin_Powell", 0),
                                     R"({"CollectionId":"c1","ExternalImageId":"colin"})"));
  ASSERT_EQ(indexed->status, 200) << indexed->body;
  auto found = live.Call(client, "SearchFacesByImage",
                         ImageBody(Lfw("Colin_Powell", 1), R"({"CollectionId":"c1"})"));
  ASSERT_EQ(found->status, 200) << found->body;
  json j = json::parse(found->body);
  ASSERT_EQ(j["FaceMatches"].size(), 1u);
  EXPECT_EQ(j["FaceMatches"][0]["Face"]["ExternalImageId"], "colin");
  auto missing = live.Call(client, "DescribeCollection", R"({"CollectionId":"nope"})");
  EXPECT_EQ(missing->status, 400);
  EXPECT_EQ(ErrorType(missing), "ResourceNotFoundException");
  EXPECT_EQ(ErrorType(live.Call(client, "ListFaces", R"({"CollectionId":"c1","MaxResults":"x"})")),
            "SerializationException");
  EXPECT_EQ(ErrorType(live.Call(client, "DetectFaces", R"({"Image":{"Bytes":"%%%"}})")),
            "InvalidParameterException");
  EXPECT_EQ(ErrorType(live.Call(client, "DetectFaces", R"({"Image":{"Bytes":"aGVsbG8="}})")),
            "InvalidImageFormatException");
  EXPECT_EQ(ErrorType(live.Call(client, "DetectLabels", "{}")), "UnknownOperationException");
  EXPECT_EQ(ErrorType(live.Call(client, "ListCollections", "{not json")), "SerializationException");
  EXPECT_EQ(ErrorType(live.Call(client, "ListCollections", "[1,2]")), "SerializationException");
  EXPECT_EQ(ErrorType(live.Call(client, "ListCollections",
                                std::string(10000, '[') + std::string(10000, ']'))),
            "SerializationException");
  auto listed = live.Call(client, "ListCollections", "");
  ASSERT_EQ(listed->status, 200) << listed->body;
  EXPECT_EQ(json::parse(listed->body)["CollectionIds"], json::array({"c1"}));
}

TEST_F(ServerTest, AuthenticationFailuresUseAwsErrorNames) {
  LiveServer live;
  httplib::Client client("127.0.0.1", live.port());
  const std::string body = R"({"CollectionId":"c1"})";
  // Unsigned.
  auto unsigned_r = client.Post("/", {{"X-Amz-Target", "RekognitionService.CreateCollection"}},
                                body, "application/x-amz-json-1.1");
  ASSERT_TRUE(unsigned_r);
  EXPECT_EQ(unsigned_r->status, 403);
  EXPECT_EQ(ErrorType(unsigned_r), "MissingAuthenticationTokenException");
  // Unknown key.
  server::Credential stranger = server::GenerateCredential("mallory");
  EXPECT_EQ(ErrorType(live.Call(client, "CreateCollection", body, std::time(nullptr), &stranger)),
            "UnrecognizedClientException");
  // Right key id, wrong secret.
  server::Credential forged = live.credential();
  forged.secret_access_key[0] = forged.secret_access_key[0] == 'A' ? 'B' : 'A';
  EXPECT_EQ(ErrorType(live.Call(client, "CreateCollection", body, std::time(nullptr), &forged)),
            "InvalidSignatureException");
  // Signed 20 minutes ago.
  auto stale = live.Call(client, "CreateCollection", body, std::time(nullptr) - 1200);
  EXPECT_EQ(ErrorType(stale), "InvalidSignatureException");
  EXPECT_NE(stale->body.find("Signature expired"), std::string::npos) << stale->body;
  // Nothing of the refused requests happened.
  auto listed = live.Call(client, "ListCollections", "{}");
  EXPECT_EQ(json::parse(listed->body)["CollectionIds"], json::array());
}

TEST_F(ServerTest, AnonymousAccessOnlyWhenEnabled) {
  server::ServerOptions options;
  options.allow_anonymous = true;
  LiveServer live(options, /*with_key=*/false);
  httplib::Client client("127.0.0.1", live.port());
  auto r = client.Post("/", {{"X-Amz-Target", "RekognitionService.ListCollections"}}, "{}",
                       "application/x-amz-json-1.1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_NE(live.access_log().find("\"principal\":\"anonymous\""), std::string::npos);
  // Without keys and without the flag the service refuses to start.
  Engine* engine = SharedEngine();
  TempDir dir;
  auto c = Collections::Open(engine, {.data_dir = dir.path()});
  ASSERT_TRUE(c.ok());
  auto refused = server::HttpServer::Create(engine, c->get(), nullptr, {});
  EXPECT_FALSE(refused.ok());
}

// RFC 9110's own example, and a leap day.
TEST(HttpDateTest, ImfFixdate) {
  EXPECT_EQ(server::HttpDate(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(server::HttpDate(951782400), "Tue, 29 Feb 2000 00:00:00 GMT");
}

TEST_F(ServerTest, HealthAndMetrics) {
  server::ServerOptions options;
  options.public_details = true;
  LiveServer live(options);
  httplib::Client client("127.0.0.1", live.port());
  auto health = client.Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(json::parse(health->body)["status"], "ok");
  EXPECT_TRUE(json::parse(health->body).contains("face_model_version"));
  // Every answer is dated (RFC 9110), as the AWS SDKs' clock-skew correction
  // needs: within a few seconds of now.
  ASSERT_TRUE(health->has_header("Date"));
  std::tm tm{};
  const std::string date = health->get_header_value("Date");
  ASSERT_NE(strptime(date.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm), nullptr) << date;
  EXPECT_LE(std::abs(static_cast<double>(timegm(&tm) - std::time(nullptr))), 5.0) << date;
  live.Call(client, "CreateCollection", R"({"CollectionId":"m1"})");
  live.Call(client, "DescribeCollection", R"({"CollectionId":"missing"})");
  auto metrics = client.Get("/metrics");
  ASSERT_TRUE(metrics);
  const std::string& text = metrics->body;
  EXPECT_NE(text.find(R"(candor_requests_total{operation="CreateCollection",outcome="ok"} 1)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(R"(outcome="ResourceNotFoundException"} 1)"), std::string::npos) << text;
  EXPECT_NE(text.find(R"(candor_request_duration_seconds_count{operation="CreateCollection"} 1)"),
            std::string::npos);
  EXPECT_NE(text.find(R"(candor_collection_faces{collection="m1"} 0)"), std::string::npos);
  EXPECT_NE(text.find("candor_queue_depth 0"), std::string::npos);
  EXPECT_EQ(client.Get("/nothing-here")->status, 404);
}

// Without --public-details the unsigned endpoints say nothing about the
// data, and no client, signed or not, adds labels to /metrics by naming
// operations that do not exist.
TEST_F(ServerTest, MetricsNameNoCollectionAndGrowWithNoUnknownTarget) {
  LiveServer live;
  httplib::Client client("127.0.0.1", live.port());
  live.Call(client, "CreateCollection", R"({"CollectionId":"case-4711-suspects"})");
  for (int i = 0; i < 50; ++i) {
    const std::string target = std::string("RekognitionService.Made") + std::to_string(i);
    auto r = client.Post("/", {{"X-Amz-Target", target}}, "{}", "application/x-amz-json-1.1");
    ASSERT_TRUE(r);
    live.Call(client, std::string("Invented") + std::to_string(i), "{}");
  }
  const std::string text = client.Get("/metrics")->body;
  EXPECT_EQ(text.find("case-4711-suspects"), std::string::npos) << text;
  EXPECT_EQ(text.find("Made1"), std::string::npos);
  EXPECT_EQ(text.find("Invented1"), std::string::npos);
  EXPECT_NE(text.find(R"x(operation="(unknown)")x"), std::string::npos) << text;
  const json health = json::parse(client.Get("/health")->body);
  EXPECT_EQ(health, json({{"status", "ok"}}));
}

// A captured signed write cannot be sent again while SigV4 would accept its
// signature; a read can, and a write signed anew (as the SDKs do on each
// attempt) goes through.
TEST_F(ServerTest, ASignedWriteIsDoneOnce) {
  LiveServer live;
  httplib::Client client("127.0.0.1", live.port());
  const int64_t now = std::time(nullptr);
  auto first = live.Call(client, "CreateCollection", R"({"CollectionId":"once"})", now);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 200) << first->body;
  // Within a second the same bytes may be a client's own repeat (a request
  // signed twice in one second is signed alike): answered as usual.
  auto repeat = live.Call(client, "CreateCollection", R"({"CollectionId":"once"})", now);
  EXPECT_EQ(json::parse(repeat->body)["__type"], "ResourceAlreadyExistsException");
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  auto replayed = live.Call(client, "CreateCollection", R"({"CollectionId":"once"})", now);
  ASSERT_TRUE(replayed);
  EXPECT_EQ(replayed->status, 403) << replayed->body;
  EXPECT_EQ(json::parse(replayed->body)["__type"], "InvalidSignatureException");
  auto deleted = live.Call(client, "DeleteCollection", R"({"CollectionId":"once"})", now);
  EXPECT_EQ(deleted->status, 200) << deleted->body;
  // The same DeleteCollection bytes two seconds later would delete a new
  // collection of that name: refused.
  live.Call(client, "CreateCollection", R"({"CollectionId":"once"})", now + 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  auto again = live.Call(client, "DeleteCollection", R"({"CollectionId":"once"})", now);
  EXPECT_EQ(again->status, 403) << again->body;
  auto described = live.Call(client, "DescribeCollection", R"({"CollectionId":"once"})", now);
  EXPECT_EQ(described->status, 200) << described->body;
  for (int i = 0; i < 2; ++i) {
    auto read = live.Call(client, "ListCollections", "{}", now);
    EXPECT_EQ(read->status, 200) << read->body;
  }
}

// JSON that two readers could read differently is refused before any
// operation sees it: a key twice, a negative zero, a number that
// underflows to zero.
TEST_F(ServerTest, AmbiguousJsonIsRefused) {
  LiveServer live;
  httplib::Client client("127.0.0.1", live.port());
  for (const std::string body :
       {R"({"CollectionId":"a","CollectionId":"b"})",
        R"({"CollectionId":"a","Tags":{"k":"1","k":"2"}})",
        R"({"CollectionId":"a","MaxResults":-0})", R"({"CollectionId":"a","MaxResults":-0.0})",
        R"({"CollectionId":"a","FaceMatchThreshold":1e-400})"}) {
    auto r = live.Call(client, "CreateCollection", body);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << body;
    EXPECT_EQ(json::parse(r->body)["__type"], "SerializationException") << body << r->body;
  }
  // Nothing was created by them; the same keys in different objects, and
  // ordinary numbers, are fine.
  auto listed = live.Call(client, "ListCollections", "{}");
  EXPECT_EQ(json::parse(listed->body)["CollectionIds"], json::array());
  auto ok = live.Call(client, "CreateCollection",
                      R"({"CollectionId":"a","Tags":{"CollectionId":"x","a":"0"}})");
  EXPECT_EQ(ok->status, 200) << ok->body;
  auto page = live.Call(client, "ListCollections", R"({"MaxResults":0.5e1})");
  EXPECT_EQ(page->status, 200) << page->body;
}

TEST_F(ServerTest, ThrottlesInsteadOfQueueingWithoutBound) {
  server::ServerOptions options;
  options.max_waiting = 1;  // capacity: 2 workers + 1
  LiveServer live(options);
  const std::string body =
      ImageBody(Lfw("George_W_Bush", 0), R"({"Attributes":["ALL"]})");
  std::vector<std::future<std::string>> calls;
  for (int i = 0; i < 12; ++i) {
    calls.push_back(std::async(std::launch::async, [&] {
      httplib::Client client("127.0.0.1", live.port());
      client.set_read_timeout(60, 0);
      auto r = live.Call(client, "DetectFaces", body);
      if (!r) return std::string("no response");
      return r->status == 200 ? std::string("ok") : ErrorType(r);
    }));
  }
  int ok = 0, throttled = 0;
  for (auto& f : calls) {
    const std::string outcome = f.get();
    if (outcome == "ok") {
      ++ok;
    } else {
      EXPECT_EQ(outcome, "ThrottlingException");
      ++throttled;
    }
  }
  EXPECT_GE(ok, 3);
  EXPECT_GE(throttled, 1);
}

TEST_F(ServerTest, HostileClientsAtTheSocketLevel) {
  server::ServerOptions options;
  options.header_timeout_seconds = 1;
  options.max_body_bytes = 1 << 20;
  LiveServer live(options);
  const int port = live.port();
  // A body longer than the limit: 413 before it is read.
  const std::string big = RawExchange(
      port, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999\r\n\r\n" + std::string(100, 'x'));
  EXPECT_NE(big.find("413"), std::string::npos) << big.substr(0, 200);
  // A truncated body: the client promises 1000 bytes, sends 10 and stops.
  const std::string truncated = RawExchange(
      port, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n0123456789",
      std::chrono::milliseconds(4000), /*shut_write=*/true);
  EXPECT_EQ(truncated.find("200 OK"), std::string::npos);
  // Headers far beyond any sane size.
  const std::string huge_header = RawExchange(
      port, "POST / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(200000, 'a') + "\r\n\r\n");
  EXPECT_EQ(huge_header.find("200 OK"), std::string::npos);
  // Ten thousand headers.
  std::string many = "POST / HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 10000; ++i) many += "X-H" + std::to_string(i) + ": v\r\n";
  EXPECT_EQ(RawExchange(port, many + "\r\n").find("200 OK"), std::string::npos);
  // Garbage instead of HTTP.
  EXPECT_EQ(RawExchange(port, std::string("\x16\x03\x01\x02\x00garbage\r\n\r\n", 17))
                .find("200 OK"),
            std::string::npos);
  // A compressed body (a zip bomb would inflate past every limit).
  const std::string gz = RawExchange(
      port,
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Encoding: gzip\r\nContent-Length: 4\r\n"
      "X-Amz-Target: RekognitionService.ListCollections\r\n\r\nabcd");
  EXPECT_NE(gz.find("SerializationException"), std::string::npos) << gz;
  // Refused before any operation ran, and still in the access log.
  EXPECT_NE(live.access_log().find(R"("status":413,"outcome":"ImageTooLargeException")"),
            std::string::npos)
      << live.access_log();
  EXPECT_NE(live.access_log().find(R"("operation":"ListCollections","status":400,"outcome":"SerializationException")"),
            std::string::npos);
  // A slow client (headers trickling in) is dropped after the read timeout,
  // and the service answers others meanwhile.
  auto slow = std::async(std::launch::async, [port] {
    const auto start = std::chrono::steady_clock::now();
    RawExchange(port, "POST / HTTP/1.1\r\nHost: x\r\n", std::chrono::milliseconds(10000), false,
                /*first_chunk_only=*/true);
    return std::chrono::steady_clock::now() - start;
  });
  httplib::Client client("127.0.0.1", port);
  auto health = client.Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_LT(slow.get(), std::chrono::seconds(8));
  // Still serving signed requests after all of that.
  auto r = live.Call(client, "ListCollections", "{}");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
}

// Finding 1 of issue 18: a Content-Length far beyond the limit is answered
// 413 at once, whatever the client goes on sending, and the connection is
// closed; nothing of the body is kept.
TEST_F(ServerTest, ServesHttpsWithAConfiguredCertificate) {
  TempDir dir;
  const std::string cert = dir.path() + "/cert.pem", key = dir.path() + "/key.pem";
  const std::string command = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 -keyout " +
                              key + " -out " + cert + " 2>/dev/null";
  ASSERT_EQ(std::system(command.c_str()), 0);
  server::ServerOptions options;
  options.tls_cert_path = cert;
  options.tls_key_path = key;
  LiveServer live(options);
  httplib::SSLClient tls("127.0.0.1", live.port());
  tls.set_ca_cert_path(cert.c_str());
  tls.enable_server_certificate_verification(false);
  auto health = tls.Get("/health");
  ASSERT_TRUE(health) << httplib::to_string(health.error());
  EXPECT_EQ(health->status, 200);
  auto listed = live.Call(tls, "ListCollections", "{}");
  ASSERT_TRUE(listed);
  EXPECT_EQ(listed->status, 200) << listed->body;
  // Plain HTTP to the TLS port gets nothing useful.
  httplib::Client plain("127.0.0.1", live.port());
  auto r = plain.Get("/health");
  EXPECT_TRUE(!r || r->status != 200);
  // A bad certificate path is refused at start.
  options.tls_cert_path = dir.path() + "/missing.pem";
  TempDir data;
  auto c = Collections::Open(SharedEngine(), {.data_dir = data.path()});
  ASSERT_TRUE(c.ok());
  options.allow_anonymous = true;
  EXPECT_FALSE(server::HttpServer::Create(SharedEngine(), c->get(), nullptr, options).ok());
}

TEST_F(ServerTest, StopAnswersRequestsInFlight) {
  server::ServerOptions options;
  options.public_details = true;  // /health's requests_in_flight
  LiveServer live(options);
  const std::string body = ImageBody(Lfw("George_W_Bush", 1), R"({"Attributes":["ALL"]})");
  auto call = std::async(std::launch::async, [&] {
    httplib::Client client("127.0.0.1", live.port());
    client.set_read_timeout(60, 0);
    auto r = live.Call(client, "DetectFaces", body);
    return r ? r->status : -1;
  });
  // Stop once the request is admitted.
  httplib::Client probe("127.0.0.1", live.port());
  for (int i = 0; i < 500; ++i) {
    auto h = probe.Get("/health");
    if (h && json::parse(h->body)["requests_in_flight"].get<int>() > 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  live.Stop();
  EXPECT_EQ(call.get(), 200);
}

}  // namespace
}  // namespace candor
