// The parts of the HTTP layer (http_server.cc) that are not the server
// itself: a request and a response as the handlers see them, the handler
// pool, the access log, and what the server knows of each connection.
// Included by http_server.cc and http_session.h only.
#ifndef CANDOR_SERVER_HTTP_PARTS_H_
#define CANDOR_SERVER_HTTP_PARTS_H_

#include <unistd.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <deque>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "candor/status.h"
#include "server/wire.h"

namespace candor::server::http_internal {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = boost::asio::ssl;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

// A request as the handlers see it, read in full and within the limits.
struct Incoming {
  std::string method;
  std::string target;  // raw: path and query
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string remote;  // the peer's address

  // The first header of that name (any case), or "".
  std::string Header(std::string_view name) const {
    for (const auto& [k, v] : headers) {
      if (beast::iequals(k, name)) return v;
    }
    return "";
  }
  bool HasHeader(std::string_view name) const {
    for (const auto& [k, v] : headers) {
      if (beast::iequals(k, name)) return true;
    }
    return false;
  }
};

// A response: status, body, extra headers; `close` ends the connection
// after it.
struct Outgoing {
  int status = 200;
  std::string content_type = std::string(kJsonContentType);
  std::string body;
  std::string request_id;
  bool close = false;
  std::vector<std::pair<std::string, std::string>> headers;  // more of them
  std::optional<size_t> head_length;  // a HEAD's Content-Length (its body is empty)
};

// A fixed pool of threads running handlers in arrival order.
class HandlerPool {
 public:
  explicit HandlerPool(size_t threads) {
    for (size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { Work(); });
  }
  ~HandlerPool() { Join(); }

  void Post(std::function<void()> fn) {
    {
      std::lock_guard lock(mu_);
      tasks_.push_back(std::move(fn));
    }
    ready_.notify_one();
  }

  // Runs what was posted, then joins.
  void Join() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    ready_.notify_all();
    for (std::thread& t : threads_) {
      if (t.joinable()) t.join();
    }
  }

 private:
  void Work() {
    for (;;) {
      std::function<void()> fn;
      {
        std::unique_lock lock(mu_);
        ready_.wait(lock, [&] { return !tasks_.empty() || stopping_; });
        if (tasks_.empty()) return;
        fn = std::move(tasks_.front());
        tasks_.pop_front();
      }
      fn();
    }
  }

  std::mutex mu_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

// One JSON object per line: time, request id, remote address, principal,
// operation, HTTP status, error type, milliseconds, bytes in and out.
class AccessLog {
 public:
  static StatusOr<std::unique_ptr<AccessLog>> Open(const std::string& path) {
    auto log = std::make_unique<AccessLog>();
    if (path.empty()) return log;
    if (path == "-") {
      log->file_ = stderr;
      return log;
    }
    log->file_ = std::fopen(path.c_str(), "a");
    if (log->file_ == nullptr) return Status::IOError("cannot open the access log " + path);
    log->owned_ = true;
    return log;
  }
  ~AccessLog() {
    if (owned_) std::fclose(file_);
  }

  void Write(const nlohmann::ordered_json& entry) {
    if (file_ == nullptr) return;
    const std::string line =
        entry.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
    std::lock_guard lock(mu_);
    std::fwrite(line.data(), 1, line.size(), file_);
    std::fflush(file_);
  }

 private:
  std::mutex mu_;
  std::FILE* file_ = nullptr;
  bool owned_ = false;
};

inline std::string IsoTime(std::chrono::system_clock::time_point t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

inline double ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE));
}

// What the server knows of each open connection, for eviction and for
// Stop(): its phase and since when. Shared between the server's registry and
// the connection, so that looking at it never touches a connection's
// lifetime.
enum class Phase { kOpening, kIdle, kHeader, kBody, kHandling, kWriting, kClosing };

class Connection {
 public:
  virtual ~Connection() = default;
  // Closes the connection at once (from any thread).
  virtual void Evict() = 0;
};

struct ConnectionInfo {
  std::atomic<Phase> phase{Phase::kOpening};
  std::atomic<int64_t> since{0};  // steady clock, nanoseconds
  std::atomic<bool> evicted{false};  // being closed to make room
  std::weak_ptr<Connection> connection;
};

inline int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

inline constexpr int kMaxRequestsPerConnection = 1000;
inline constexpr size_t kReadChunk = 16 * 1024;
inline constexpr size_t kMaxDrainBytes = 1 << 20;  // read and dropped after a refusal
inline constexpr auto kLingerTime = std::chrono::seconds(2);

}  // namespace candor::server::http_internal

#endif  // CANDOR_SERVER_HTTP_PARTS_H_
