// The HTTP service end to end on loopback: the wire protocol, SigV4, limits,
// throttling, TLS, metrics, graceful shutdown, and hostile clients at the
// socket level (truncated bodies, huge headers, deep JSON, slow clients).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <future>
#include <thread>

#include "candor/collections.h"
#include "protocol/requests.h"
#include "server/credentials.h"
#include "server/http_server.h"
#include "server/sigv4.h"
#include "server/wire.h"
#include "test_support.h"

namespace candor {
namespace {

using nlohmann::json;
using testing::DataDir;
using testing::Lfw;
using testing::ReadFile;
using testing::TempDir;

Engine* SharedEngine() {
  static Engine* engine = [] {
    auto e = Engine::Create({.workers = 2});
    if (!e.ok()) {
      std::fprintf(stderr, "%s\n", e.status().ToString().c_str());
      std::abort();
    }
    return std::move(e).value().release();
  }();
  return engine;
}

// A live server on an ephemeral loopback port with its own store.
class LiveServer {
 public:
  explicit LiveServer(server::ServerOptions options = {}, bool with_key = true) {
    if (with_key) {
      credential_ = server::GenerateCredential("alice");
      credential_.attributes["role"] = "admin,enroller,searcher,analyst,auditor";
      const std::string path = dir_.path() + "/credentials";
      EXPECT_TRUE(server::AppendCredential(path, credential_).ok());
      options.credentials_path = path;
    }
    options.host = "127.0.0.1";
    options.port = 0;
    options.engine_workers = 2;
    if (options.access_log_path.empty()) options.access_log_path = dir_.path() + "/access.log";
    auto c = Collections::Open(SharedEngine(), {.data_dir = dir_.path() + "/data"});
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    collections_ = std::move(c).value();
    auto a = audit::AuditLog::Open(
        {.path = dir_.path() + "/audit.db", .key_path = dir_.path() + "/audit.key"});
    EXPECT_TRUE(a.ok()) << a.status().ToString();
    audit_ = std::move(a).value();
    auto s = server::HttpServer::Create(SharedEngine(), collections_.get(), audit_.get(), options);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    server_ = std::move(s).value();
    EXPECT_TRUE(server_->Bind().ok());
    thread_ = std::thread([this] { served_ = server_->Serve(); });
  }
  ~LiveServer() { Stop(); }
  void Stop() {
    if (!thread_.joinable()) return;
    server_->Stop();
    thread_.join();
  }

  int port() const { return server_->port(); }
  const server::Credential& credential() const { return credential_; }
  std::string access_log() const { return ReadFile(dir_.path() + "/access.log"); }
  const std::string& dir() const { return dir_.path(); }

  // A signed Rekognition call.
  template <typename Client>
  httplib::Result Call(Client& client, const std::string& operation,
                       const std::string& body, int64_t now = std::time(nullptr),
                       const server::Credential* as = nullptr) const {
    server::HttpRequestView view;
    view.method = "POST";
    view.path = "/";
    view.headers = {{"Host", "127.0.0.1:" + std::to_string(port())},
                    {"Content-Type", "application/x-amz-json-1.1"},
                    {"X-Amz-Target", "RekognitionService." + operation}};
    view.body = body;
    server::SignSigV4(view, as ? *as : credential_, "us-east-1", "rekognition", now);
    httplib::Headers headers;
    for (const auto& [k, v] : view.headers) {
      if (k != "Content-Type") headers.emplace(k, v);
    }
    return client.Post("/", headers, body, "application/x-amz-json-1.1");
  }

 private:
  TempDir dir_;
  server::Credential credential_;
  std::unique_ptr<Collections> collections_;
  std::unique_ptr<audit::AuditLog> audit_;
  std::unique_ptr<server::HttpServer> server_;
  std::thread thread_;
  Status served_;
};

std::string ImageBody(const std::string& path, const std::string& extra = "") {
  json j = {{"Image", {{"Bytes", protocol::EncodeBase64(ReadFile(path))}}}};
  if (!extra.empty()) j.update(json::parse(extra));
  return j.dump();
}

std::string ErrorType(const httplib::Result& r) {
  if (!r) return "no response";
  auto j = json::parse(r->body, nullptr, false);
  if (!j.is_object() || !j.contains("__type")) return "not an AWS error: " + r->body;
  return j["__type"].get<std::string>();
}

// Raw bytes over a plain socket; returns what the server answered before
// closing or before `wait`.
std::string RawExchange(int port, const std::string& bytes,
                        std::chrono::milliseconds wait = std::chrono::milliseconds(3000),
                        bool shut_write = false, bool first_chunk_only = false) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return "connect failed";
  }
  size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  if (shut_write) ::shutdown(fd, SHUT_WR);
  timeval tv{};
  tv.tv_sec = wait.count() / 1000;
  tv.tv_usec = (wait.count() % 1000) * 1000;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  std::string out;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (first_chunk_only) break;
  }
  ::close(fd);
  return out;
}


// A client socket for the connection-layer tests: connects, sends, and
// reads with a deadline.
class RawClient {
 public:
  explicit RawClient(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~RawClient() { ::close(fd_); }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool connected() const { return connected_; }
  // False once the peer has closed (or reset) the connection.
  bool Send(const std::string& bytes) {
    size_t sent = 0;
    while (sent < bytes.size()) {
      const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += static_cast<size_t>(n);
    }
    return true;
  }
  // What arrives within `wait` (less if the peer closes); `closed()` says
  // whether it did.
  std::string Receive(std::chrono::milliseconds wait) {
    std::string out;
    const auto until = std::chrono::steady_clock::now() + wait;
    char buf[8192];
    while (std::chrono::steady_clock::now() < until) {
      pollfd p{fd_, POLLIN, 0};
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          until - std::chrono::steady_clock::now());
      if (::poll(&p, 1, static_cast<int>(std::max<int64_t>(1, left.count()))) <= 0) continue;
      const ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0) {
        closed_ = true;
        break;
      }
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }
  // Waits up to `wait` for the peer to close; true if it did.
  bool WaitClosed(std::chrono::milliseconds wait) {
    Receive(wait);
    return closed_;
  }
  bool closed() const { return closed_; }
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
  bool connected_ = false;
  bool closed_ = false;
};

// A gauge or counter of /metrics, or -1.
double MetricValue(const std::string& text, const std::string& name) {
  const size_t at = text.find("\n" + name + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + name.size() + 2));
}

class ServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { SharedEngine(); }
};

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
TEST_F(ServerTest, AnOversizedBodyIsRefusedBeforeItIsRead) {
  server::ServerOptions options;
  options.max_body_bytes = 1 << 20;
  LiveServer live(options);
  RawClient client(live.port());
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.Send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000000000\r\n"
                          "X-Amz-Target: RekognitionService.IndexFaces\r\n\r\n"));
  // The answer comes without any of the body.
  const std::string answer = client.Receive(std::chrono::milliseconds(1500));
  EXPECT_NE(answer.find("HTTP/1.1 413"), std::string::npos) << answer;
  EXPECT_NE(answer.find("ImageTooLargeException"), std::string::npos) << answer;
  EXPECT_NE(answer.find("Connection: close"), std::string::npos) << answer;
  // A client that goes on sending is cut off: at most the linger's 1 MiB
  // and the sockets' buffers are taken from it, not its 10^15 bytes.
  const std::string block(64 * 1024, 'x');
  size_t sent = 0;
  while (sent < (256u << 20) && client.Send(block)) sent += block.size();
  EXPECT_LT(sent, 256u << 20) << "the server kept reading";
}

// Finding 2: a chunked body is counted as it arrives and refused the
// moment it passes the limit.
TEST_F(ServerTest, AChunkedBodyIsRefusedAtTheLimit) {
  server::ServerOptions options;
  options.max_body_bytes = 1 << 20;
  LiveServer live(options);
  RawClient client(live.port());
  ASSERT_TRUE(client.Send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                          "X-Amz-Target: RekognitionService.IndexFaces\r\n\r\n"));
  const std::string chunk = "10000\r\n" + std::string(0x10000, 'x') + "\r\n";  // 64 KiB
  std::string answer;
  size_t sent = 0;
  while (sent < (64u << 20) && client.Send(chunk)) {
    sent += 0x10000;
    answer += client.Receive(std::chrono::milliseconds(0));
    if (!answer.empty()) break;
  }
  answer += client.Receive(std::chrono::milliseconds(1000));
  EXPECT_NE(answer.find("HTTP/1.1 413"), std::string::npos) << answer.substr(0, 300);
  EXPECT_LT(sent, 64u << 20);
  EXPECT_NE(live.access_log().find(R"("status":413,"outcome":"ImageTooLargeException")"),
            std::string::npos);
}

// Finding 3: the headers have a deadline, not a per-read timeout; forty
// clients sending a byte every 300 ms hold nothing that others need, and
// each is dropped at the deadline.
TEST_F(ServerTest, SlowHeadersAreDroppedAtTheirDeadline) {
  server::ServerOptions options;
  options.header_timeout_seconds = 2;
  options.public_details = true;
  LiveServer live(options);
  std::vector<std::unique_ptr<RawClient>> slow;
  for (int i = 0; i < 40; ++i) {
    slow.push_back(std::make_unique<RawClient>(live.port()));
    ASSERT_TRUE(slow.back()->Send("P"));
  }
  const auto started = std::chrono::steady_clock::now();
  std::atomic<bool> done{false};
  std::thread trickle([&] {
    const std::string rest = "OST / HTTP/1.1\r\nHost: x\r\nX-Padding: aaaaaaaaaaaaaaaaaaaaaaa";
    for (size_t i = 0; i < rest.size() && !done; ++i) {
      for (auto& c : slow) c->Send(rest.substr(i, 1));
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
  });
  // Meanwhile the service answers.
  httplib::Client client("127.0.0.1", live.port());
  client.set_read_timeout(5, 0);
  for (int i = 0; i < 5; ++i) {
    auto health = client.Get("/health");
    ASSERT_TRUE(health);
    EXPECT_EQ(health->status, 200);
    auto r = live.Call(client, "ListCollections", "{}");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
  }
  // Every slow client is closed at the 2 s deadline (allowing for a loaded
  // machine), although each sends a byte every 300 ms.
  for (auto& c : slow) EXPECT_TRUE(c->WaitClosed(std::chrono::milliseconds(8000)));
  done = true;
  trickle.join();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10));
  const std::string metrics = client.Get("/metrics")->body;
  EXPECT_GE(MetricValue(metrics, "candor_requests_timed_out_total"), 40) << metrics;
}

// Finding 4: idle connections cannot fill the service; past the cap the
// longest idle is closed to make room.
TEST_F(ServerTest, IdleConnectionsAreEvictedAtTheCap) {
  server::ServerOptions options;
  options.max_connections = 20;
  options.idle_timeout_seconds = 60;
  options.header_timeout_seconds = 60;
  LiveServer live(options);
  std::vector<std::unique_ptr<RawClient>> idle;
  for (int i = 0; i < 200; ++i) {
    idle.push_back(std::make_unique<RawClient>(live.port()));
    ASSERT_TRUE(idle.back()->connected()) << i;
  }
  httplib::Client client("127.0.0.1", live.port());
  client.set_read_timeout(5, 0);
  auto health = client.Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  auto r = live.Call(client, "ListCollections", "{}");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  const std::string metrics = client.Get("/metrics")->body;
  EXPECT_LE(MetricValue(metrics, "candor_connections_open"), 20) << metrics;
  EXPECT_GE(MetricValue(metrics, "candor_connections_evicted_total"), 180) << metrics;
  // The oldest were closed; the newest are still open.
  EXPECT_TRUE(idle.front()->WaitClosed(std::chrono::milliseconds(2000)));
  EXPECT_FALSE(idle.back()->WaitClosed(std::chrono::milliseconds(200)));
}

// When every connection is busy with a request, a new one is told so at
// once (503) instead of waiting; and bodies held together have a budget.
TEST_F(ServerTest, BusyConnectionsAndHeldBodiesHaveLimits) {
  server::ServerOptions options;
  options.max_connections = 3;
  options.max_body_bytes = 1 << 20;
  options.max_buffered_bytes = 2 << 20;
  LiveServer live(options);
  // Three connections sending bodies: a fourth cannot evict any of them.
  std::vector<std::unique_ptr<RawClient>> busy;
  for (int i = 0; i < 3; ++i) {
    busy.push_back(std::make_unique<RawClient>(live.port()));
    ASSERT_TRUE(busy.back()->Send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n01"));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  RawClient extra(live.port());
  const std::string full = extra.Receive(std::chrono::milliseconds(1500));
  EXPECT_NE(full.find("HTTP/1.1 503"), std::string::npos) << full;
  EXPECT_NE(full.find("ServiceUnavailableException"), std::string::npos) << full;
  busy.clear();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  // The budget (2 MiB) is held by two bodies under way: a third is refused
  // before it is read.
  const std::string head =
      "POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: RekognitionService.ListCollections\r\n"
      "Content-Type: application/x-amz-json-1.1\r\nContent-Length: 1048576\r\n\r\n";
  for (int i = 0; i < 2; ++i) {
    busy.push_back(std::make_unique<RawClient>(live.port()));
    ASSERT_TRUE(busy.back()->Send(head + "{\"x\": \""));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  RawClient third(live.port());
  ASSERT_TRUE(third.Send(head));
  const std::string throttled = third.Receive(std::chrono::milliseconds(1500));
  EXPECT_NE(throttled.find("ThrottlingException"), std::string::npos) << throttled;
  // Once they go, the service is whole again.
  busy.clear();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  httplib::Client client("127.0.0.1", live.port());
  auto r = live.Call(client, "ListCollections", "{}");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  const std::string metrics = client.Get("/metrics")->body;
  EXPECT_EQ(MetricValue(metrics, "candor_request_body_bytes_held"), 0) << metrics;
  EXPECT_GE(MetricValue(metrics, "candor_connections_refused_total"), 1) << metrics;
}

// A body has a deadline too: its size at the slowest rate allowed, plus
// the header timeout. Keep-alive, pipelining and Expect: 100-continue work.
TEST_F(ServerTest, BodiesHaveDeadlinesAndConnectionsAreReused) {
  server::ServerOptions options;
  options.header_timeout_seconds = 1;
  options.min_body_bytes_per_second = 1000;
  LiveServer live(options);
  RawClient slow(live.port());
  ASSERT_TRUE(slow.Send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2000\r\n\r\n{"));
  // 1 s + 2000 bytes at 1000 bytes/s = 3 s.
  EXPECT_TRUE(slow.WaitClosed(std::chrono::milliseconds(8000)));
  // Two requests pipelined on one connection, both answered.
  const std::string get = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n";
  RawClient pipelined(live.port());
  ASSERT_TRUE(pipelined.Send(get + get));
  std::string both;
  for (int i = 0; i < 20 && both.find("ok", both.find("ok") + 1) == std::string::npos; ++i) {
    both += pipelined.Receive(std::chrono::milliseconds(100));
  }
  EXPECT_NE(both.find("ok", both.find("ok") + 1), std::string::npos) << both;
  // Expect: 100-continue gets its interim answer, then the final one.
  RawClient expecting(live.port());
  ASSERT_TRUE(expecting.Send(
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nExpect: 100-continue\r\n"
      "X-Amz-Target: RekognitionService.ListCollections\r\n\r\n"));
  const std::string interim = expecting.Receive(std::chrono::milliseconds(500));
  EXPECT_NE(interim.find("HTTP/1.1 100 Continue"), std::string::npos) << interim;
  ASSERT_TRUE(expecting.Send("{}"));
  const std::string final_answer = expecting.Receive(std::chrono::milliseconds(1000));
  EXPECT_NE(final_answer.find("MissingAuthenticationTokenException"), std::string::npos)
      << final_answer;
}

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
