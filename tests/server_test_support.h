// The live server of the HTTP tests (server_test.cc, server_connections_test.cc):
// a `candor serve` on an ephemeral loopback port with its own store and key,
// a raw-socket client for what HTTP libraries will not send, and helpers.
#ifndef CANDOR_TESTS_SERVER_TEST_SUPPORT_H_
#define CANDOR_TESTS_SERVER_TEST_SUPPORT_H_

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

namespace candor::server_testing {

using nlohmann::json;
using testing::DataDir;
using testing::Lfw;
using testing::ReadFile;
using testing::TempDir;

inline Engine* SharedEngine() {
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

inline std::string ImageBody(const std::string& path, const std::string& extra = "") {
  json j = {{"Image", {{"Bytes", protocol::EncodeBase64(ReadFile(path))}}}};
  if (!extra.empty()) j.update(json::parse(extra));
  return j.dump();
}

inline std::string ErrorType(const httplib::Result& r) {
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
inline double MetricValue(const std::string& text, const std::string& name) {
  const size_t at = text.find("\n" + name + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + name.size() + 2));
}

class ServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { SharedEngine(); }
};

}  // namespace candor::server_testing

#endif  // CANDOR_TESTS_SERVER_TEST_SUPPORT_H_
