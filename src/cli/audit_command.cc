// candor audit ...: checking and reading the audit log of a data directory,
// or with --store the one chain of a cluster in PostgreSQL
// (src/audit/audit_log.h). Both open the log read-only, so they can run
// beside servers that are appending to it.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "audit/audit_log.h"
#include "cli/commands.h"
#include "server/audit_journal.h"
#include "store/inventory.h"
#include "store/sqlite_store.h"

namespace candor::cli {
namespace {

constexpr char kLogFileName[] = "audit.db";
constexpr char kKeyFileName[] = "audit-signing.key";

struct AuditArgs {
  std::string data_dir;
  std::string store;                   // postgresql://...: the cluster's log
  std::vector<std::string> key_paths;  // SQLite: at most one
  std::string from;
  std::string to;
  std::string principal;
  std::string collection;
  std::string operation;
  int max_results = 100;
  std::string next_token;
};

// As `candor collection`: --data-dir, else $CANDOR_DATA_DIR, else ./candor-data.
std::string DataDirOf(const AuditArgs& args) {
  if (!args.data_dir.empty()) return args.data_dir;
  if (const char* v = std::getenv("CANDOR_DATA_DIR"); v != nullptr && *v != '\0') return v;
  return "candor-data";
}

std::string LogPath(const AuditArgs& args) {
  return (std::filesystem::path(DataDirOf(args)) / kLogFileName).string();
}

// Reads `digits` decimal digits at text[*pos], advancing *pos.
bool ReadNumber(const std::string& text, size_t* pos, size_t digits, int* out) {
  if (*pos + digits > text.size()) return false;
  int value = 0;
  for (size_t i = 0; i < digits; ++i) {
    const char c = text[*pos + i];
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  *pos += digits;
  *out = value;
  return true;
}

// Milliseconds since the epoch from either a number of milliseconds or an
// ISO 8601 time: 2026-11-23, 2026-11-23T17:05, 2026-11-23T17:05:09.250Z,
// 2026-11-23T18:05:09+01:00. A time without a zone is UTC.
StatusOr<int64_t> ParseTime(const std::string& text, const std::string& flag) {
  const Status bad =
      Status::InvalidArgument(flag +
                              " must be milliseconds since the epoch or an ISO 8601 time such as"
                              " 2026-11-23T17:05:09Z, got '" +
                              text + "'");
  if (text.empty()) return bad;
  if (text.find_first_not_of("0123456789") == std::string::npos) {
    if (text.size() > 18) return bad;
    return std::stoll(text);
  }
  size_t pos = 0;
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, millis = 0;
  auto expect = [&](char c) { return pos < text.size() && text[pos++] == c; };
  if (!ReadNumber(text, &pos, 4, &year) || !expect('-') || !ReadNumber(text, &pos, 2, &month) ||
      !expect('-') || !ReadNumber(text, &pos, 2, &day)) {
    return bad;
  }
  if (pos < text.size()) {
    if (text[pos] != 'T' && text[pos] != 't' && text[pos] != ' ') return bad;
    ++pos;
    if (!ReadNumber(text, &pos, 2, &hour) || !expect(':') || !ReadNumber(text, &pos, 2, &minute)) {
      return bad;
    }
    if (pos < text.size() && text[pos] == ':') {
      ++pos;
      if (!ReadNumber(text, &pos, 2, &second)) return bad;
      if (pos < text.size() && (text[pos] == '.' || text[pos] == ',')) {
        ++pos;
        int scale = 100;
        const size_t start = pos;
        for (; pos < text.size() && text[pos] >= '0' && text[pos] <= '9'; ++pos) {
          millis += (text[pos] - '0') * scale;
          scale /= 10;
        }
        if (pos == start) return bad;
      }
    }
  }
  int offset_minutes = 0;
  if (pos < text.size()) {
    const char zone = text[pos++];
    if (zone == 'Z' || zone == 'z') {
      if (pos != text.size()) return bad;
    } else if (zone == '+' || zone == '-') {
      int zone_hours = 0, zone_minutes = 0;
      if (!ReadNumber(text, &pos, 2, &zone_hours)) return bad;
      if (pos < text.size() && text[pos] == ':') ++pos;
      if (!ReadNumber(text, &pos, 2, &zone_minutes) || pos != text.size()) return bad;
      if (zone_hours > 23 || zone_minutes > 59) return bad;
      offset_minutes = (zone == '+' ? 1 : -1) * (zone_hours * 60 + zone_minutes);
    } else {
      return bad;
    }
  }
  namespace chrono = std::chrono;
  const chrono::year_month_day date{chrono::year(year), chrono::month(month), chrono::day(day)};
  if (!date.ok() || hour > 23 || minute > 59 || second > 60) return bad;
  const auto time = chrono::sys_days(date) + chrono::hours(hour) +
                    chrono::minutes(minute - offset_minutes) + chrono::seconds(second) +
                    chrono::milliseconds(millis);
  return chrono::duration_cast<chrono::milliseconds>(time.time_since_epoch()).count();
}

// `candor audit verify --store`: the chain in PostgreSQL, its checkpoints
// against the keys given (each node's public key), or, without --key,
// against the key recorded beside each (which proves less: see the README).
// One line for the store cross-checked against the log; its problems join
// the log's.
void AddStoreCheck(const std::string& store_name, const server::StoreCheck& check,
                   std::vector<std::string>* problems) {
  std::printf("store %s: %lld collections, %lld faces, %lld users, %lld policies checked against"
              " the log\n",
              store_name.c_str(), static_cast<long long>(check.collections),
              static_cast<long long>(check.faces), static_cast<long long>(check.users),
              static_cast<long long>(check.policies));
  problems->insert(problems->end(), check.problems.begin(), check.problems.end());
}

// "ok" and 0, or the problems and 1.
int ReportProblems(const std::vector<std::string>& problems) {
  if (problems.empty()) {
    std::printf("ok\n");
    return 0;
  }
  std::printf("%zu problem%s:\n", problems.size(), problems.size() == 1 ? "" : "s");
  for (const std::string& problem : problems) std::printf("  %s\n", problem.c_str());
  return 1;
}

int RunVerifyStore(const AuditArgs& args) {
  audit::AuditOptions options;
  options.store_uri = args.store;
  options.trusted_key_paths = args.key_paths;
  options.read_only = true;
  StatusOr<std::unique_ptr<audit::AuditLog>> log = audit::AuditLog::Open(options);
  if (!log.ok()) return Fail(log.status());
  StatusOr<audit::VerifyReport> report = (*log)->Verify();
  if (!report.ok()) return Fail(report.status());
  std::string signers;
  for (const std::string& id : report->signers) signers += (signers.empty() ? "" : ", ") + id;
  std::printf(
      "audit log in PostgreSQL (--store): %lld records (last seq %lld), %lld checkpoints (last at"
      " seq %lld) signed by %zu key%s (%s), %s\n",
      static_cast<long long>(report->records), static_cast<long long>(report->last_seq),
      static_cast<long long>(report->checkpoints),
      static_cast<long long>(report->last_checkpoint_seq), report->signers.size(),
      report->signers.size() == 1 ? "" : "s", signers.c_str(),
      args.key_paths.empty()
          ? "each checked against the public key recorded beside it (no --key: anyone who can "
            "write the database could re-sign; pass each node's public key with --key)"
          : "each required to be one of the --key keys");
  if (report->last_seq > report->last_checkpoint_seq) {
    std::printf("records after seq %lld are chained but not signed yet\n",
                static_cast<long long>(report->last_checkpoint_seq));
  }
  // The store in the same database against the log (as for a data
  // directory): the store's snapshot first, then the log.
  std::vector<std::string> problems = report->problems;
  StatusOr<store::Inventory> inventory = store::ReadPgInventory(args.store);
  if (!inventory.ok() && inventory.status().code() != StatusCode::kNotFound) {
    return Fail(inventory.status());
  }
  if (inventory.ok()) {
    StatusOr<server::StoreCheck> check = server::CrossCheckInventory(*inventory, **log);
    if (!check.ok()) return Fail(check.status());
    AddStoreCheck("in PostgreSQL", *check, &problems);
  }
  return ReportProblems(problems);
}

int RunVerify(const AuditArgs& args) {
  if (!args.store.empty()) return RunVerifyStore(args);
  if (args.key_paths.size() > 1) {
    return Fail(Status::InvalidArgument(
        "a data directory's audit log has one signing key: pass --key once (several keys are "
        "for a cluster's log, with --store)"));
  }
  audit::AuditOptions options;
  options.path = LogPath(args);
  options.key_path = args.key_paths.empty()
                         ? (std::filesystem::path(DataDirOf(args)) / kKeyFileName).string()
                         : args.key_paths[0];
  options.read_only = true;
  StatusOr<std::unique_ptr<audit::AuditLog>> log = audit::AuditLog::Open(options);
  if (!log.ok()) {
    if (log.status().code() == StatusCode::kNotFound && args.key_paths.empty() &&
        std::filesystem::exists(options.path) && !std::filesystem::exists(options.key_path)) {
      std::fprintf(stderr,
                   "candor: no signing key at %s; pass --key with the log's private key or its "
                   "public key (PEM)\n",
                   options.key_path.c_str());
      return 1;
    }
    return Fail(log.status());
  }
  StatusOr<audit::VerifyReport> report = (*log)->Verify();
  if (!report.ok()) return Fail(report.status());
  std::printf(
      "audit log %s: %lld records (last seq %lld), %lld checkpoints (last at seq %lld),"
      " checked against %s\n",
      options.path.c_str(), static_cast<long long>(report->records),
      static_cast<long long>(report->last_seq), static_cast<long long>(report->checkpoints),
      static_cast<long long>(report->last_checkpoint_seq), options.key_path.c_str());
  if (report->last_seq > report->last_checkpoint_seq) {
    std::printf(
        "records after seq %lld are chained but not signed yet (a running server signs"
        " them at its next checkpoint, and when it stops)\n",
        static_cast<long long>(report->last_checkpoint_seq));
  }
  // The store against the log: every biometric row must be accounted for.
  std::vector<std::string> problems = report->problems;
  if (std::filesystem::exists(store::SqliteDatabasePath(DataDirOf(args)))) {
    StatusOr<server::StoreCheck> check = server::CrossCheckStore(DataDirOf(args), **log);
    if (!check.ok()) return Fail(check.status());
    AddStoreCheck(store::SqliteDatabasePath(DataDirOf(args)), *check, &problems);
  }
  return ReportProblems(problems);
}

int RunQuery(const AuditArgs& args) {
  audit::AuditQuery query;
  if (!args.from.empty()) {
    StatusOr<int64_t> from = ParseTime(args.from, "--from");
    if (!from.ok()) return Fail(from.status());
    query.from_ms = *from;
  }
  if (!args.to.empty()) {
    StatusOr<int64_t> to = ParseTime(args.to, "--to");
    if (!to.ok()) return Fail(to.status());
    query.to_ms = *to;
  }
  query.principal = args.principal;
  query.collection_id = args.collection;
  query.operation = args.operation;
  query.max_results = args.max_results;
  query.next_token = args.next_token;

  audit::AuditOptions options;
  if (args.store.empty()) {
    options.path = LogPath(args);
  } else {
    options.store_uri = args.store;
  }
  options.read_only = true;  // no key needed to read
  StatusOr<std::unique_ptr<audit::AuditLog>> log = audit::AuditLog::Open(options);
  if (!log.ok()) return Fail(log.status());
  StatusOr<audit::AuditPage> page = (*log)->Query(query);
  if (!page.ok()) return Fail(page.status());
  for (const audit::AuditEvent& event : page->events) {
    std::printf("%s\n", audit::ToJson(event)
                            .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                            .c_str());
  }
  if (!page->next_token.empty()) {
    std::fprintf(stderr, "next token: %s\n", page->next_token.c_str());
  }
  return 0;
}

}  // namespace

void RegisterAudit(CLI::App& app, const GlobalOptions& global, int* exit_code) {
  auto args = std::make_shared<AuditArgs>();
  CLI::App* cmd = app.add_subcommand(
      "audit", "check and read the audit log of a data directory (also beside a running server)");
  cmd->require_subcommand(1);
  const std::string data_dir_help =
      "data directory holding audit.db (default: $CANDOR_DATA_DIR or ./candor-data)";

  CLI::App* verify = cmd->add_subcommand(
      "verify",
      "check the hash chain, the signed checkpoints and the key; exit 0 only when intact");
  verify->add_option("--data-dir", args->data_dir, data_dir_help);
  const std::string store_help =
      "the cluster's log, in this PostgreSQL database (postgresql://USER@HOST:PORT/DB) as "
      "`candor serve --store` writes it, instead of the data directory's";
  verify->add_option("--store", args->store, store_help);
  verify->add_option("--key", args->key_paths,
                     "the signing key, or only its public key (PEM), to check the checkpoints"
                     " against (default: <data-dir>/audit-signing.key); with --store, once per"
                     " node: every checkpoint must then be signed by one of them");
  verify->callback([args, exit_code] { *exit_code = RunVerify(*args); });

  CLI::App* query = cmd->add_subcommand(
      "query", "print audit records as JSON lines, oldest first; the next token goes to stderr");
  query->add_option("--data-dir", args->data_dir, data_dir_help);
  query->add_option("--store", args->store, store_help);
  query->add_option("--from", args->from,
                    "from this time on (ISO 8601, UTC unless a zone is given, or ms)");
  query->add_option("--to", args->to, "before this time (ISO 8601 or ms)");
  query->add_option("--principal", args->principal, "only this principal's calls");
  query->add_option("--collection", args->collection, "only calls on this collection");
  query->add_option("--operation", args->operation, "only this operation, e.g. SearchFacesByImage");
  query->add_option("--max-results", args->max_results, "1-1000 (default 100)");
  query->add_option("--next-token", args->next_token, "the token a previous page printed");
  query->callback([args, exit_code] { *exit_code = RunQuery(*args); });
}

}  // namespace candor::cli
