#include "server/console_assets.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <climits>
#include <cstdlib>

namespace candor::server {
namespace {

constexpr std::array<std::pair<std::string_view, std::string_view>, 12> kContentTypes = {{
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json"},
    {".map", "application/json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".woff2", "font/woff2"},
    {".txt", "text/plain; charset=utf-8"},
    {".webmanifest", "application/manifest+json"},
}};

std::string_view ContentTypeOf(std::string_view name) {
  for (const auto& [ext, type] : kContentTypes) {
    if (name.size() > ext.size() && name.substr(name.size() - ext.size()) == ext) return type;
  }
  return {};
}

ConsoleAnswer Answer(int status, std::string_view text) {
  ConsoleAnswer a;
  a.status = status;
  a.content_type = "text/plain; charset=utf-8";
  a.body = std::string(text) + "\n";
  a.content_length = a.body.size();
  return a;
}

// A segment of a served path: [A-Za-z0-9._-]+, not starting with a dot (no
// "..", no hidden files).
bool SafeSegment(std::string_view s) {
  if (s.empty() || s.front() == '.') return false;
  for (char ch : s) {
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                    (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-';
    if (!ok) return false;
  }
  return true;
}

// `path` made absolute with symbolic links resolved, or "" when it does not
// exist.
std::string Resolved(const std::string& path) {
  char buffer[PATH_MAX];
  if (::realpath(path.c_str(), buffer) == nullptr) return "";
  return buffer;
}

// The whole of a regular file no larger than the limit; false otherwise.
bool ReadRegularFile(const std::string& path, std::string* out) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat st {};
  bool ok = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
            static_cast<size_t>(st.st_size) <= kMaxConsoleFileBytes;
  if (ok) {
    out->resize(static_cast<size_t>(st.st_size));
    size_t done = 0;
    while (ok && done < out->size()) {
      const ssize_t n = ::read(fd, out->data() + done, out->size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) ok = false;
      else done += static_cast<size_t>(n);
    }
  }
  ::close(fd);
  return ok;
}

ConsoleAnswer EvaluationReport(const std::string& report) {
  ConsoleAnswer a;
  if (report.empty() || !ReadRegularFile(report, &a.body)) {
    const std::string where = report.empty() ? "(none configured)" : report;
    return Answer(404, "no evaluation report at " + where +
                           ": make one with tools/eval_report.sh (it writes "
                           "build/eval-report/eval_report.html), or start candor serve with "
                           "--eval-report pointing at one");
  }
  a.content_type = "text/html; charset=utf-8";
  a.content_length = a.body.size();
  a.headers.emplace_back("Cache-Control", "no-cache");
  return a;
}

ConsoleAnswer Serve(const ConsoleFiles& files, std::string_view method, std::string_view path) {
  if (method != "GET" && method != "HEAD") {
    ConsoleAnswer a = Answer(405, "the console is read with GET or HEAD");
    a.headers.emplace_back("Allow", "GET, HEAD");
    return a;
  }
  if (path == kEvaluationReportPath) return EvaluationReport(files.evaluation_report);
  const std::string& console_dir = files.dir;
  if (path == kConsolePath) {
    ConsoleAnswer a = Answer(301, "the console is at /console/");
    a.headers.emplace_back("Location", "/console/");
    return a;
  }
  std::string_view rest = path.substr(kConsolePath.size() + 1);  // after "/console/"
  if (rest.empty()) rest = "index.html";
  std::string relative;
  for (size_t start = 0;;) {
    const size_t slash = rest.find('/', start);
    const std::string_view segment = rest.substr(start, slash - start);
    if (!SafeSegment(segment)) {
      return Answer(400, "not a console path: segments are letters, digits, '.', '_' and '-', "
                         "and do not start with '.'");
    }
    relative += "/";
    relative += segment;
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  const std::string_view content_type = ContentTypeOf(relative);
  if (content_type.empty()) return Answer(404, "no such file in the console");

  const std::string root = Resolved(console_dir);
  if (root.empty() || Resolved(root + "/index.html").empty()) {
    return Answer(404,
                  "the console is not built here (" + console_dir +
                      "): run tools/setup.sh, or `npm ci && npm run build` in web/, or start "
                      "candor serve with --console-dir pointing at a built console");
  }
  const std::string file = Resolved(root + relative);
  if (file.empty() || file.compare(0, root.size() + 1, root + "/") != 0) {
    return Answer(404, "no such file in the console");
  }
  ConsoleAnswer a;
  if (!ReadRegularFile(file, &a.body)) return Answer(404, "no such file in the console");
  a.content_type = std::string(content_type);
  a.content_length = a.body.size();
  // Vite names what it bundles by content hash under assets/: those never
  // change; the page itself is checked every time.
  a.headers.emplace_back("Cache-Control", relative.rfind("/assets/", 0) == 0
                                              ? "public, max-age=31536000, immutable"
                                              : "no-cache");
  return a;
}

}  // namespace

bool IsConsolePath(std::string_view path) {
  return path == kConsolePath || (path.size() > kConsolePath.size() &&
                                  path.substr(0, kConsolePath.size()) == kConsolePath &&
                                  path[kConsolePath.size()] == '/');
}

ConsoleAnswer ServeConsoleFile(const ConsoleFiles& files, std::string_view method,
                               std::string_view path) {
  ConsoleAnswer a = Serve(files, method, path);
  const bool report = path == kEvaluationReportPath && a.status == 200;
  a.headers.emplace_back("Content-Security-Policy",
                         std::string(report ? kReportContentSecurityPolicy
                                            : kConsoleContentSecurityPolicy));
  a.headers.emplace_back("X-Content-Type-Options", "nosniff");
  a.headers.emplace_back("Referrer-Policy", "no-referrer");
  a.headers.emplace_back("Cross-Origin-Opener-Policy", "same-origin");
  if (method == "HEAD") a.body.clear();
  return a;
}

}  // namespace candor::server
