// The operator console's files (web/, built into web/dist by tools/setup.sh),
// served by `candor serve` itself under /console/, with no socket of its
// own: the HTTP adapter (server/http_server.cc) hands every GET or HEAD of a
// path under /console to ServeConsoleFile and writes what it returns.
//
// What is served, and how:
//   - only regular files inside the console directory, named by paths whose
//     segments are [A-Za-z0-9._-] and do not start with a dot; anything else
//     (percent-escapes, "..", backslashes, empty segments, hidden files) is
//     refused 400 before the file system is asked, and a file that resolves
//     outside the directory (a symbolic link) is 404;
//   - "/console" is redirected to "/console/", which is index.html;
//   - only known extensions, each with its Content-Type (an unknown one is
//     404, so nothing is served as something a browser might sniff);
//   - every answer, errors included, carries a strict Content-Security-Policy
//     (the console's own origin only: no inline script or style, no
//     framing), X-Content-Type-Options: nosniff and Referrer-Policy:
//     no-referrer;
//   - methods other than GET and HEAD are 405 with Allow: GET, HEAD;
//   - a missing directory is a 404 whose text says how to build it;
//   - the evaluation report (`candor eval report`'s self-contained
//     eval_report.html, the project's published accuracy) at
//     /console/reports/evaluation.html, with a policy of its own: its inline
//     style, no script at all (sandbox); a 404 saying how to make it when
//     there is none.
//
// Thread safety: pure functions of their arguments and the file system.
#ifndef CANDOR_SERVER_CONSOLE_ASSETS_H_
#define CANDOR_SERVER_CONSOLE_ASSETS_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace candor::server {

inline constexpr std::string_view kConsolePath = "/console";

// The policy of every answer under /console. connect-src 'self': the page
// talks to the service it came from, and nothing else.
inline constexpr std::string_view kConsoleContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
    "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'";

// The evaluation report's: the page is one file with inline CSS and SVG.
inline constexpr std::string_view kReportContentSecurityPolicy =
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'; sandbox";
inline constexpr std::string_view kEvaluationReportPath = "/console/reports/evaluation.html";

// The largest file served: the console's bundle is a few hundred KiB.
inline constexpr size_t kMaxConsoleFileBytes = 16 * 1024 * 1024;

// Whether `path` (the request target without its query) is the console's:
// "/console" or anything under "/console/".
bool IsConsolePath(std::string_view path);

struct ConsoleAnswer {
  int status = 200;
  std::string content_type;
  std::string body;  // empty for HEAD (content_length says the size)
  size_t content_length = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // besides Content-Type
};

// Where the console's files are.
struct ConsoleFiles {
  std::string dir;                // the built console (web/dist)
  std::string evaluation_report;  // eval_report.html; empty: none
};

// Answers `method` on `path` (a console path, see IsConsolePath).
ConsoleAnswer ServeConsoleFile(const ConsoleFiles& files, std::string_view method,
                               std::string_view path);

}  // namespace candor::server

#endif  // CANDOR_SERVER_CONSOLE_ASSETS_H_
