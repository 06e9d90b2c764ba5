// candor report transparency: the transparency report of a period, computed
// from the audit log of a data directory, written as one HTML page and its
// JSON (src/report/transparency.h).
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "audit/audit_log.h"
#include "cli/commands.h"
#include "report/transparency.h"

namespace candor::cli {
namespace {

namespace fs = std::filesystem;

struct ReportArgs {
  std::string data_dir;
  std::string audit_key;  // default: <data_dir>/audit-signing.key
  std::string store;      // postgresql://...: the cluster's log
  std::vector<std::string> keys;  // with store: each node's key (trusted signers)
  std::string from;
  std::string to;
  std::string out_dir = "transparency-report";
};

// As `candor collection`: --data-dir, else $CANDOR_DATA_DIR, else ./candor-data.
std::string DataDirOf(const ReportArgs& args) {
  if (!args.data_dir.empty()) return args.data_dir;
  if (const char* v = std::getenv("CANDOR_DATA_DIR"); v != nullptr && *v != '\0') return v;
  return "candor-data";
}

// Through a temporary file and a rename, so that a reader (a web server
// publishing the directory) never sees half a report.
Status WriteFileAtomically(const fs::path& path, const std::string& bytes) {
  const fs::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.flush();
    if (!out) return Status::IOError("cannot write " + tmp.string());
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) return Status::IOError("cannot rename " + tmp.string() + ": " + ec.message());
  return Status::Ok();
}

StatusOr<report::TransparencyReport> BuildFromLog(const ReportArgs& args, int64_t from_ms,
                                                  int64_t to_ms) {
  if (!args.store.empty()) {
    // The cluster's one chain, read-only; its checkpoints checked against
    // the nodes' keys given, else against the key recorded beside each.
    audit::AuditOptions options;
    options.store_uri = args.store;
    options.read_only = true;
    options.trusted_key_paths = args.keys;
    CANDOR_ASSIGN_OR_RETURN(std::unique_ptr<audit::AuditLog> log, audit::AuditLog::Open(options));
    return report::BuildTransparencyReportFromLog(*log, from_ms, to_ms);
  }
  const fs::path dir = DataDirOf(args);
  const fs::path log_path = dir / "audit.db";
  const std::string key_path =
      args.audit_key.empty() ? (dir / "audit-signing.key").string() : args.audit_key;
  std::error_code ec;
  if (!fs::exists(log_path, ec)) {
    return Status::NotFound("no audit log at " + log_path.string() +
                            " (set --data-dir or $CANDOR_DATA_DIR)");
  }
  // AuditLog::Open creates a missing key, which would then not match the log:
  // say what is missing instead.
  if (!fs::exists(key_path, ec)) {
    return Status::NotFound("no audit signing key at " + key_path + " (set --audit-key)");
  }
  CANDOR_ASSIGN_OR_RETURN(std::unique_ptr<audit::AuditLog> log,
                          audit::AuditLog::Open({.path = log_path.string(), .key_path = key_path}));

  return report::BuildTransparencyReportFromLog(*log, from_ms, to_ms);
}

int RunTransparency(const ReportArgs& args) {
  StatusOr<int64_t> from_ms = report::ParseTimeMs(args.from);
  if (!from_ms.ok()) return Fail(from_ms.status());
  StatusOr<int64_t> to_ms = report::ParseTimeMs(args.to);
  if (!to_ms.ok()) return Fail(to_ms.status());
  if (*to_ms <= *from_ms) return Fail(Status::InvalidArgument("--to must be after --from"));

  StatusOr<report::TransparencyReport> built = BuildFromLog(args, *from_ms, *to_ms);
  if (!built.ok()) return Fail(built.status());

  const fs::path out_dir = args.out_dir;
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) return Fail(Status::IOError("cannot create " + out_dir.string() + ": " + ec.message()));
  const fs::path html_path = out_dir / "transparency.html";
  const fs::path json_path = out_dir / "transparency.json";
  Status written = WriteFileAtomically(html_path, report::RenderHtml(*built));
  if (!written.ok()) return Fail(written);
  written = WriteFileAtomically(
      json_path,
      report::ToJson(*built).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
  if (!written.ok()) return Fail(written);

  std::printf("%s\n%s\n", html_path.string().c_str(), json_path.string().c_str());
  if (!built->chain.ok) {
    std::fprintf(stderr,
                 "candor: warning: the audit log did not verify (%zu problem(s)); the report "
                 "says so at the top\n",
                 built->chain.problems.size());
  }
  return 0;
}

}  // namespace

void RegisterReport(CLI::App& app, const GlobalOptions& global, int* exit_code) {
  auto args = std::make_shared<ReportArgs>();
  CLI::App* cmd = app.add_subcommand("report", "reports computed from the audit log");
  cmd->require_subcommand(1);

  CLI::App* transparency = cmd->add_subcommand(
      "transparency",
      "the transparency report of a period (searches, matches, thresholds, enrolments, "
      "erasures, refusals, policy changes, audit chain status) as HTML and JSON");
  transparency->add_option("--data-dir", args->data_dir,
                           "data directory (default: $CANDOR_DATA_DIR or ./candor-data)");
  transparency->add_option("--audit-key", args->audit_key,
                           "the audit log's signing key (default: <data-dir>/audit-signing.key)");
  transparency->add_option("--store", args->store,
                           "the cluster's audit log in this PostgreSQL database (as `candor "
                           "serve --store` writes it) instead of the data directory's");
  transparency->add_option("--key", args->keys,
                           "with --store: a node's signing key or public key (PEM), once per "
                           "node; every checkpoint must be signed by one of them");
  transparency
      ->add_option("--from", args->from,
                   "start of the period, inclusive: ISO 8601 (2026-11-01, "
                   "2026-11-01T09:30:00Z; UTC unless an offset is given) or ms since the epoch")
      ->required();
  transparency->add_option("--to", args->to, "end of the period, exclusive (same forms)")
      ->required();
  transparency->add_option("--out", args->out_dir,
                           "directory for transparency.html and transparency.json (default: "
                           "./transparency-report)");
  transparency->callback([args, exit_code] { *exit_code = RunTransparency(*args); });
}

}  // namespace candor::cli
