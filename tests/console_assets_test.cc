// The operator console's static files (server/console_assets.h): what is
// served and with which headers, what is refused (traversal, hidden files,
// escapes, symbolic links out of the directory, other methods), the answer
// when the console is not built; then the same over a socket through
// `candor serve`'s HTTP layer, and Candor.GetCallerIdentity, which the
// console signs in with. No models: the server runs without an engine.
#include "server/console_assets.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "server/http_server.h"

namespace candor::server {
namespace {

namespace fs = std::filesystem;

class ConsoleAssetsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("candor-console-test-" + std::to_string(::getpid()));
    fs::remove_all(root_);
    dir_ = root_ / "dist";
    fs::create_directories(dir_ / "assets");
    Write(dir_ / "index.html", "<!doctype html><title>console</title>");
    Write(dir_ / "assets" / "index-abc.js", "console.log(1)");
    Write(dir_ / "assets" / "index-abc.css", "body{}");
    Write(dir_ / ".hidden.js", "secret");
    Write(dir_ / "notes.exe", "binary");
    Write(root_ / "outside.js", "outside");
    fs::create_symlink(root_ / "outside.js", dir_ / "assets" / "escape.js");
  }
  void TearDown() override { fs::remove_all(root_); }

  static void Write(const fs::path& path, const std::string& text) {
    std::ofstream(path, std::ios::binary) << text;
  }
  static std::string Header(const ConsoleAnswer& a, const std::string& name) {
    for (const auto& [k, v] : a.headers) {
      if (k == name) return v;
    }
    return "";
  }
  ConsoleAnswer Get(const std::string& path, const std::string& method = "GET") {
    return ServeConsoleFile({dir_.string(), (root_ / "eval_report.html").string()}, method, path);
  }

  fs::path root_, dir_;
};

TEST_F(ConsoleAssetsTest, RecognisesItsPaths) {
  EXPECT_TRUE(IsConsolePath("/console"));
  EXPECT_TRUE(IsConsolePath("/console/"));
  EXPECT_TRUE(IsConsolePath("/console/assets/x.js"));
  EXPECT_FALSE(IsConsolePath("/consoles"));
  EXPECT_FALSE(IsConsolePath("/"));
  EXPECT_FALSE(IsConsolePath("/health"));
}

TEST_F(ConsoleAssetsTest, ServesFilesWithTheirTypesAndStrictHeaders) {
  ConsoleAnswer index = Get("/console/");
  EXPECT_EQ(index.status, 200);
  EXPECT_EQ(index.body, "<!doctype html><title>console</title>");
  EXPECT_EQ(index.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(Header(index, "Content-Security-Policy"), kConsoleContentSecurityPolicy);
  EXPECT_NE(Header(index, "Content-Security-Policy").find("script-src 'self';"), std::string::npos);
  EXPECT_EQ(Header(index, "Content-Security-Policy").find("unsafe"), std::string::npos);
  EXPECT_EQ(Header(index, "X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(Header(index, "Referrer-Policy"), "no-referrer");
  EXPECT_EQ(Header(index, "Cache-Control"), "no-cache");
  EXPECT_EQ(Get("/console/index.html").body, index.body);

  ConsoleAnswer js = Get("/console/assets/index-abc.js");
  EXPECT_EQ(js.status, 200);
  EXPECT_EQ(js.content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(js.body, "console.log(1)");
  EXPECT_EQ(Header(js, "Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(Get("/console/assets/index-abc.css").content_type, "text/css; charset=utf-8");

  ConsoleAnswer head = Get("/console/assets/index-abc.js", "HEAD");
  EXPECT_EQ(head.status, 200);
  EXPECT_TRUE(head.body.empty());
  EXPECT_EQ(head.content_length, 14u);

  ConsoleAnswer bare = Get("/console");
  EXPECT_EQ(bare.status, 301);
  EXPECT_EQ(Header(bare, "Location"), "/console/");
}

TEST_F(ConsoleAssetsTest, RefusesHostilePathsAndOtherMethods) {
  for (const char* path :
       {"/console/../outside.js", "/console/assets/../../outside.js", "/console/%2e%2e/outside.js",
        "/console/assets/%2Fetc%2Fpasswd", "/console/.hidden.js", "/console//index.html",
        "/console/assets/", "/console/a\\b.js", "/console/assets/..",
        "/console/~root.js"}) {
    ConsoleAnswer a = Get(path);
    EXPECT_EQ(a.status, 400) << path;
    EXPECT_EQ(a.content_type, "text/plain; charset=utf-8") << path;
    EXPECT_EQ(a.body.find("secret"), std::string::npos) << path;
    EXPECT_EQ(Header(a, "Content-Security-Policy"), kConsoleContentSecurityPolicy) << path;
  }
  // Well formed, but not served: missing, an unknown type, a link out of
  // the directory, a directory.
  EXPECT_EQ(Get("/console/missing.js").status, 404);
  EXPECT_EQ(Get("/console/notes.exe").status, 404);
  ConsoleAnswer escape = Get("/console/assets/escape.js");
  EXPECT_EQ(escape.status, 404);
  EXPECT_EQ(escape.body.find("outside"), std::string::npos);
  fs::create_directories(dir_ / "folder.js");
  EXPECT_EQ(Get("/console/folder.js").status, 404);

  for (const char* method : {"POST", "PUT", "DELETE", "OPTIONS"}) {
    ConsoleAnswer a = Get("/console/index.html", method);
    EXPECT_EQ(a.status, 405) << method;
    EXPECT_EQ(Header(a, "Allow"), "GET, HEAD") << method;
  }
}

TEST_F(ConsoleAssetsTest, SaysHowToBuildAMissingConsole) {
  ConsoleAnswer a = ServeConsoleFile({(root_ / "nowhere").string(), ""}, "GET", "/console/");
  EXPECT_EQ(a.status, 404);
  EXPECT_NE(a.body.find("tools/setup.sh"), std::string::npos) << a.body;
  EXPECT_NE(a.body.find("--console-dir"), std::string::npos) << a.body;
  ConsoleAnswer empty = ServeConsoleFile({}, "GET", "/console/");
  EXPECT_EQ(empty.status, 404);
}

// The evaluation report: its own policy (inline style, no script at all),
// and a 404 saying how to make it.
TEST_F(ConsoleAssetsTest, ServesTheEvaluationReportWithItsOwnPolicy) {
  ConsoleAnswer missing = Get(std::string(kEvaluationReportPath));
  EXPECT_EQ(missing.status, 404);
  EXPECT_NE(missing.body.find("tools/eval_report.sh"), std::string::npos) << missing.body;
  EXPECT_EQ(Header(missing, "Content-Security-Policy"), kConsoleContentSecurityPolicy);

  Write(root_ / "eval_report.html", "<html><style>p{}</style><p>LFW</p></html>");
  ConsoleAnswer report = Get(std::string(kEvaluationReportPath));
  EXPECT_EQ(report.status, 200);
  EXPECT_EQ(report.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(report.body, "<html><style>p{}</style><p>LFW</p></html>");
  const std::string csp = Header(report, "Content-Security-Policy");
  EXPECT_EQ(csp, kReportContentSecurityPolicy);
  EXPECT_NE(csp.find("sandbox"), std::string::npos);
  EXPECT_EQ(csp.find("script-src"), std::string::npos);
  EXPECT_EQ(Header(report, "X-Content-Type-Options"), "nosniff");
  // Only that path: nothing else is read from beside the report.
  EXPECT_EQ(Get("/console/reports/eval_report.html").status, 404);
  EXPECT_EQ(Get(std::string(kEvaluationReportPath), "POST").status, 405);
}

// Through the HTTP layer: the hook in http_server.cc passes the headers on,
// HEAD has the file's length and no body, and the API is unchanged beside
// it.
TEST_F(ConsoleAssetsTest, ServedBySocketWithItsHeaders) {
  ServerOptions options;
  options.port = 0;
  options.allow_anonymous = true;
  options.console_dir = dir_.string();
  options.io_threads = 1;
  options.retention_interval_seconds = 0;  // no store to sweep
  auto server = HttpServer::Create(nullptr, nullptr, nullptr, options);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  ASSERT_TRUE((*server)->Bind().ok());
  std::thread serving([&] { (void)(*server)->Serve(); });
  httplib::Client client("127.0.0.1", (*server)->port());

  auto index = client.Get("/console/");
  ASSERT_TRUE(index);
  EXPECT_EQ(index->status, 200);
  EXPECT_EQ(index->body, "<!doctype html><title>console</title>");
  EXPECT_EQ(index->get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(index->get_header_value("Content-Security-Policy"), kConsoleContentSecurityPolicy);
  EXPECT_EQ(index->get_header_value("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(index->get_header_value("Referrer-Policy"), "no-referrer");

  auto head = client.Head("/console/assets/index-abc.js");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->get_header_value("Content-Length"), "14");
  EXPECT_TRUE(head->body.empty());

  auto traversal = client.Get("/console/assets/..%2F..%2Foutside.js");
  ASSERT_TRUE(traversal);
  EXPECT_EQ(traversal->status, 400);
  auto post = client.Post("/console/", "x", "text/plain");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 405);

  // Who am I: every role for the anonymous principal of local development.
  httplib::Headers headers = {{"X-Amz-Target", "Candor.GetCallerIdentity"}};
  auto identity = client.Post("/", headers, "{}", "application/x-amz-json-1.1");
  ASSERT_TRUE(identity);
  EXPECT_EQ(identity->status, 200) << identity->body;
  auto body = nlohmann::json::parse(identity->body);
  EXPECT_EQ(body["Principal"], "anonymous");
  EXPECT_EQ(body["Roles"].size(), 5u);
  const auto& operations = body["Operations"];
  EXPECT_NE(std::find(operations.begin(), operations.end(), "Candor.PutCollectionPolicy"),
            operations.end());
  EXPECT_NE(std::find(operations.begin(), operations.end(), "SearchFacesByImage"),
            operations.end());
  EXPECT_FALSE(body.contains("CaseReason"));

  (*server)->Stop();
  serving.join();
}

}  // namespace
}  // namespace candor::server
