#include "video/stream_processor_sink.h"

#include <fcntl.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string_view>

namespace candor::video {
namespace {

namespace fs = std::filesystem;

constexpr size_t kMaxUrlBytes = 2048;
constexpr int kHttpTimeoutSeconds = 5;

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

Status CheckPrintable(const std::string& url) {
  if (url.empty() || url.size() > kMaxUrlBytes) {
    return Status::InvalidArgument("the output URL must be 1 to " + std::to_string(kMaxUrlBytes) +
                                   " bytes");
  }
  for (char ch : url) {
    if (ch <= 0x20 || ch > 0x7e) {
      return Status::InvalidArgument("the output URL must be printable ASCII without spaces");
    }
  }
  return Status::Ok();
}

// The file of a file:// URL, checked to lie inside `root`.
StatusOr<fs::path> SinkFile(const std::string& url, const std::string& root) {
  if (root.empty()) {
    return Status::InvalidArgument(
        "file sinks are not enabled on this service (candor serve "
        "--stream-output-dir)");
  }
  const fs::path path(url.substr(std::string_view("file://").size()));
  if (!path.is_absolute()) {
    return Status::InvalidArgument("a file sink must be file:///absolute/path");
  }
  for (const fs::path& part : path) {
    if (part == "..") return Status::InvalidArgument("a file sink's path must not contain ..");
  }
  if (!path.has_filename()) return Status::InvalidArgument("a file sink must name a file");
  std::error_code ec;
  const fs::path real_root = fs::canonical(root, ec);
  if (ec) return Status::InvalidArgument("the file-sink root " + root + " does not exist");
  const fs::path real_dir = fs::canonical(path.parent_path(), ec);
  if (ec) {
    return Status::InvalidArgument("the directory of the file sink " + path.string() +
                                   " does not exist");
  }
  const std::string dir_text = real_dir.string() + "/";
  if (!StartsWith(dir_text, real_root.string() + "/")) {
    return Status::InvalidArgument("a file sink must lie inside " + real_root.string());
  }
  return real_dir / path.filename();
}

struct HttpTarget {
  std::string host;
  std::string port = "80";
  std::string path = "/";
};

StatusOr<HttpTarget> ParseHttpUrl(const std::string& url) {
  std::string_view rest = std::string_view(url).substr(std::string_view("http://").size());
  HttpTarget t;
  const size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) t.path = std::string(rest.substr(slash));
  if (authority.find('@') != std::string_view::npos) {
    return Status::InvalidArgument("an HTTP sink must not carry user information");
  }
  if (!authority.empty() && authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return Status::InvalidArgument("bad IPv6 host in " + url);
    t.host = std::string(authority.substr(1, close - 1));
    authority.remove_prefix(close + 1);
    if (!authority.empty()) {
      if (authority.front() != ':') return Status::InvalidArgument("bad host in " + url);
      t.port = std::string(authority.substr(1));
    }
  } else {
    const size_t colon = authority.rfind(':');
    t.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) t.port = std::string(authority.substr(colon + 1));
  }
  if (t.host.empty()) return Status::InvalidArgument("an HTTP sink needs a host: " + url);
  if (t.port.empty() || t.port.size() > 5 ||
      t.port.find_first_not_of("0123456789") != std::string::npos || std::stoi(t.port) < 1 ||
      std::stoi(t.port) > 65535) {
    return Status::InvalidArgument("bad port in the HTTP sink " + url);
  }
  return t;
}

class FileSink : public EventSink {
 public:
  FileSink(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~FileSink() override { ::close(fd_); }

  Status Write(const std::vector<std::string>& lines) override {
    std::string batch;
    for (const std::string& line : lines) {
      batch += line;
      batch += '\n';
    }
    size_t done = 0;
    while (done < batch.size()) {
      const ssize_t n = ::write(fd_, batch.data() + done, batch.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return Status::IOError("cannot write " + path_ + ": " + std::strerror(errno));
      done += static_cast<size_t>(n);
    }
    if (::fsync(fd_) != 0) {
      return Status::IOError("cannot sync " + path_ + ": " + std::strerror(errno));
    }
    return Status::Ok();
  }

 private:
  int fd_;
  std::string path_;
};

class HttpSink : public EventSink {
 public:
  HttpSink(HttpTarget target, std::string url) : target_(std::move(target)), url_(std::move(url)) {}

  Status Write(const std::vector<std::string>& lines) override {
    std::string body;
    for (const std::string& line : lines) {
      body += line;
      body += '\n';
    }
    std::string request =
        "POST " + target_.path + " HTTP/1.1\r\nHost: " + target_.host + ":" + target_.port +
        "\r\nContent-Type: application/x-ndjson\r\nContent-Length: " + std::to_string(body.size()) +
        "\r\nConnection: close\r\n\r\n";
    request += body;
    const int fd = Connect();
    if (fd < 0) return Status::IOError("cannot connect to the HTTP sink " + url_);
    Status sent = SendAll(fd, request);
    std::string response;
    if (sent.ok()) {
      char buf[512];
      // The status line is enough; the connection is closed after it.
      while (response.find("\r\n") == std::string::npos && response.size() < 4096) {
        const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        response.append(buf, static_cast<size_t>(n));
      }
    }
    ::close(fd);
    CANDOR_RETURN_IF_ERROR(sent);
    // "HTTP/1.1 204 No Content"
    if (response.size() < 12 || !StartsWith(response, "HTTP/1.") || response[9] != '2') {
      return Status::IOError("the HTTP sink " + url_ + " answered " +
                             response.substr(0, std::min<size_t>(response.find('\r'), 64)));
    }
    return Status::Ok();
  }

 private:
  int Connect() const {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (::getaddrinfo(target_.host.c_str(), target_.port.c_str(), &hints, &found) != 0) return -1;
    int fd = -1;
    for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
      fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
      if (fd < 0) continue;
      timeval timeout{kHttpTimeoutSeconds, 0};
      ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
      ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
      if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0) break;
      ::close(fd);
      fd = -1;
    }
    ::freeaddrinfo(found);
    return fd;
  }

  Status SendAll(int fd, const std::string& data) const {
    size_t done = 0;
    while (done < data.size()) {
      const ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return Status::IOError("cannot send to the HTTP sink " + url_);
      done += static_cast<size_t>(n);
    }
    return Status::Ok();
  }

  HttpTarget target_;
  std::string url_;
};

}  // namespace

Status ValidateSinkUrl(const std::string& url, const std::string& file_root) {
  CANDOR_RETURN_IF_ERROR(CheckPrintable(url));
  if (StartsWith(url, "file://")) return SinkFile(url, file_root).status();
  if (StartsWith(url, "http://")) return ParseHttpUrl(url).status();
  return Status::InvalidArgument(
      "Output.KinesisDataStream.Arn must be a file:///path or http:// URL (Candor writes the "
      "records there instead of to Kinesis), got " +
      url.substr(0, 64));
}

StatusOr<std::unique_ptr<EventSink>> OpenSink(const std::string& url,
                                              const std::string& file_root) {
  CANDOR_RETURN_IF_ERROR(ValidateSinkUrl(url, file_root));
  if (StartsWith(url, "http://")) {
    CANDOR_ASSIGN_OR_RETURN(HttpTarget target, ParseHttpUrl(url));
    return std::unique_ptr<EventSink>(new HttpSink(std::move(target), url));
  }
  CANDOR_ASSIGN_OR_RETURN(const fs::path path, SinkFile(url, file_root));
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    return Status::IOError("cannot open the file sink " + path.string() + ": " +
                           std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status::IOError("the file sink " + path.string() + " is not a regular file");
  }
  return std::unique_ptr<EventSink>(new FileSink(fd, path.string()));
}

}  // namespace candor::video
