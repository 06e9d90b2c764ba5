// candor collection ...: Rekognition's collection operations on the local
// data directory, `import` to enrol a directory, and Candor's collection
// policy (`policy get|set`) and retention (`expire`).
//
// Every subcommand that has a service operation runs it through
// server::RunOperation with the request body an AWS SDK would send, so the
// command line is held to what the service enforces and records: roles,
// collection policies (threshold floors, reasons, MaxFaces caps) and the
// audit log in <data-dir>/audit.db. The caller is principal
// "local:<login name>" from source "cli", with every role: whoever can run
// this command on the data directory owns its files anyway.
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string_view>
#include <thread>

#include "audit/audit_log.h"
#include "candor/collections.h"
#include "cli/commands.h"
#include "cli/local_service.h"
#include "core/parallel.h"
#include "core/progress.h"
#include "policy/roles.h"
#include "protocol/requests.h"
#include "server/operations.h"
#include "server/retention.h"
#include "server/wire.h"

namespace candor::cli {
namespace {

using nlohmann::json;

// The command line's values. An optional member is sent in the request body
// only when its option was given, as an SDK sends only the members set, so
// that the service's defaults apply otherwise.
struct CollectionArgs {
  std::string data_dir;
  std::string store;  // --store: a PostgreSQL database instead of <data-dir>/candor.db
  std::string audit_key;
  std::string reason;
  std::string collection;
  std::vector<std::string> positional;
  std::string external_image_id;
  std::optional<int> max_faces;
  std::optional<std::string> quality_filter;
  std::optional<std::string> attributes;
  std::optional<double> face_match_threshold;
  std::optional<int> max_results;
  std::string next_token;
  std::string mapping_csv;
  // User operations.
  std::string user_id;
  std::string face_id;
  std::string client_request_token;
  std::optional<double> user_match_threshold;
  std::optional<int> max_users;
  // policy set: only the fields given change. Booleans as "true" / "false".
  std::optional<std::string> purpose;
  std::optional<double> threshold_floor;
  std::optional<std::string> refuse_below_floor;
  std::optional<int> policy_max_faces;
  std::optional<std::string> reason_required;
  std::optional<int64_t> retention_days;
  // expire: the time retention is measured from (default: now).
  std::string now;
};

std::string DataDirOf(const CollectionArgs& args) { return LocalDataDir(args.data_dir); }

StatusOr<std::unique_ptr<LocalService>> OpenLocal(const GlobalOptions& global,
                                                  const CollectionArgs& args,
                                                  bool needs_engine_workers) {
  return LocalService::Open(global, {DataDirOf(args), args.audit_key, args.reason, args.store},
                            needs_engine_workers);
}

int Print(const StatusOr<json>& j) {
  if (!j.ok()) return Fail(j.status());
  std::printf("%s\n", j->dump(2).c_str());
  return 0;
}

// Sets body[name] when the option was given.
template <typename T>
void SetIfGiven(json& body, const char* name, const std::optional<T>& value) {
  if (value) body[name] = *value;
}
void SetIfGiven(json& body, const char* name, const std::string& value) {
  if (!value.empty()) body[name] = value;
}

// An image file as an SDK sends it: {"Bytes": base64}.
StatusOr<json> ImageOf(const std::string& path) {
  CANDOR_ASSIGN_OR_RETURN(std::string bytes, ReadFileBytes(path));
  return json{{"Bytes", protocol::EncodeBase64(bytes)}};
}

// Registers the subcommands' callbacks: each opens the service, runs and
// stores its exit code.
struct Registrar {
  const GlobalOptions* global;
  std::shared_ptr<CollectionArgs> args;
  int* exit_code;

  void CollectionArg(CLI::App* sub) const {
    sub->add_option("collection", args->collection, "CollectionId")->required();
  }

  // `sub` runs fn(service, arguments), which returns the exit code.
  void Command(CLI::App* sub, std::function<int(LocalService&, const CollectionArgs&)> fn) const {
    sub->callback([global = global, args = args, exit_code = exit_code, fn] {
      auto service = OpenLocal(*global, *args, /*needs_engine_workers=*/false);
      *exit_code = service.ok() ? fn(**service, *args) : Fail(service.status());
    });
  }

  // `sub` sends `operation` with the body make_body builds from the
  // arguments, and prints the answer.
  void Operation(CLI::App* sub, std::string operation,
                 std::function<StatusOr<json>(const CollectionArgs&)> make_body) const {
    Command(sub, [operation = std::move(operation), make_body](LocalService& service,
                                                               const CollectionArgs& a) {
      StatusOr<json> body = make_body(a);
      return Print(body.ok() ? service.Run(operation, *body) : StatusOr<json>(body.status()));
    });
  }
};

// ExternalImageId from a file name: the stem with characters outside
// Rekognition's pattern replaced by '_'.
std::string ExternalIdFromPath(const std::string& path) {
  std::string stem = std::filesystem::path(path).stem().string();
  for (char& c : stem) {
    const bool ok =
        std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-' || c == ':';
    if (!ok) c = '_';
  }
  if (stem.size() > 255) stem.resize(255);
  return stem.empty() ? "image" : stem;
}

// The ExternalImageIds already in a collection (ListFaces, page by page).
StatusOr<std::set<std::string>> ExternalImageIdsIn(const LocalService& service,
                                                   const std::string& collection_id) {
  std::set<std::string> ids;
  json request = {{"CollectionId", collection_id}, {"MaxResults", 4096}};
  for (;;) {
    CANDOR_ASSIGN_OR_RETURN(json page, service.Run("ListFaces", request));
    for (const json& face : page.value("Faces", json::array())) {
      ids.insert(face.value("ExternalImageId", ""));
    }
    const std::string token = page.value("NextToken", "");
    if (token.empty()) return ids;
    request["NextToken"] = token;
  }
}

int RunImport(const GlobalOptions& global, const CollectionArgs& args) {
  auto paths = ExpandImagePaths(args.positional);
  if (!paths.ok()) return Fail(paths.status());
  // Optional CSV "file,external_image_id" (file as given or its base name).
  std::map<std::string, std::string> mapping;
  if (!args.mapping_csv.empty()) {
    std::ifstream in(args.mapping_csv);
    if (!in) return Fail(Status::NotFound("cannot open " + args.mapping_csv));
    std::string line;
    int n = 0;
    while (std::getline(in, line)) {
      ++n;
      const size_t comma = line.find(',');
      if (comma == std::string::npos) {
        return Fail(Status::InvalidArgument(args.mapping_csv + " line " + std::to_string(n) +
                                            ": expected file,external_image_id"));
      }
      std::string id = line.substr(comma + 1);
      while (!id.empty() && (id.back() == '\r' || id.back() == ' ')) id.pop_back();
      Status valid = ValidateExternalImageId(id);
      if (!valid.ok()) {
        return Fail(Status::InvalidArgument(args.mapping_csv + " line " + std::to_string(n) + ": " +
                                            valid.message()));
      }
      mapping[line.substr(0, comma)] = id;
    }
  }
  // Refused once here rather than once per image.
  if (args.quality_filter) {
    auto filter = protocol::ParseQualityFilter(*args.quality_filter);
    if (!filter.ok()) return Fail(filter.status());
  }
  auto opened = OpenLocal(global, args, true);
  if (!opened.ok()) return Fail(opened.status());
  const LocalService& service = **opened;
  // Resume: an image whose ExternalImageId is already in the collection was
  // indexed by an earlier, interrupted run.
  auto done = ExternalImageIdsIn(service, args.collection);
  if (!done.ok()) return Fail(done.status());
  core::Progress progress("import", paths->size());
  std::atomic<int> indexed{0}, skipped{0}, faces{0};
  std::mutex report_mutex;
  std::map<std::string, int> reasons;
  std::vector<std::string> failures;
  const int threads =
      global.workers > 0 ? global.workers : std::max(1u, std::thread::hardware_concurrency());
  core::ParallelFor(paths->size(), threads, [&](size_t i) {
    const std::string& path = (*paths)[i];
    std::string id = ExternalIdFromPath(path);
    if (auto it = mapping.find(path); it != mapping.end()) id = it->second;
    if (auto it = mapping.find(std::filesystem::path(path).filename().string());
        it != mapping.end()) {
      id = it->second;
    }
    if (done->count(id)) {
      ++skipped;
      progress.Advance();
      return;
    }
    StatusOr<json> r = [&]() -> StatusOr<json> {
      CANDOR_ASSIGN_OR_RETURN(json image, ImageOf(path));
      json body = {
          {"CollectionId", args.collection}, {"Image", std::move(image)}, {"ExternalImageId", id}};
      SetIfGiven(body, "MaxFaces", args.max_faces);
      SetIfGiven(body, "QualityFilter", args.quality_filter);
      return service.Run("IndexFaces", body);
    }();
    std::lock_guard<std::mutex> lock(report_mutex);
    if (!r.ok()) {
      failures.push_back(path + ": " + r.status().ToString());
    } else {
      ++indexed;
      const json records = r->value("FaceRecords", json::array());
      const json unindexed = r->value("UnindexedFaces", json::array());
      faces += static_cast<int>(records.size());
      if (records.empty() && unindexed.empty()) ++reasons["NO_FACE_FOUND"];
      for (const json& u : unindexed) {
        for (const json& reason : u.value("Reasons", json::array())) {
          ++reasons[reason.get<std::string>()];
        }
      }
    }
    progress.Advance();
  });
  progress.Finish();
  std::printf(
      "import into %s: %zu images, %d indexed (%d faces), %d already there (resumed), %zu failed\n",
      args.collection.c_str(), paths->size(), indexed.load(), faces.load(), skipped.load(),
      failures.size());
  for (const auto& [reason, count] : reasons)
    std::printf("  not indexed: %s x %d\n", reason.c_str(), count);
  for (const std::string& f : failures) std::fprintf(stderr, "%s\n", f.c_str());
  return failures.empty() ? 0 : 1;
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
// days_from_civil), so that no time zone of the machine is involved.
int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

// --now: Unix epoch milliseconds (digits only), or ISO 8601 in UTC or with an
// offset: 2026-11-23, 2026-11-23T17:05:00Z, 2026-11-23T17:05:00.250+01:00.
// A time without a zone is refused rather than guessed.
StatusOr<int64_t> ParseInstantMs(const std::string& text) {
  const auto bad = [&] {
    return Status::InvalidArgument(
        "--now must be epoch milliseconds or ISO 8601 such as 2026-11-23T17:05:00Z, got '" +
        text.substr(0, 64) + "'");
  };
  if (text.empty() || text.size() > 40) return bad();
  if (text.find_first_not_of("0123456789") == std::string::npos) {
    if (text.size() > 15) return bad();  // beyond the year 33658
    return std::stoll(text);
  }
  size_t at = 0;
  // Reads exactly `digits` digits.
  const auto number = [&](size_t digits, int64_t* out) {
    if (at + digits > text.size()) return false;
    int64_t v = 0;
    for (size_t i = 0; i < digits; ++i) {
      const char c = text[at + i];
      if (c < '0' || c > '9') return false;
      v = v * 10 + (c - '0');
    }
    at += digits;
    *out = v;
    return true;
  };
  const auto literal = [&](char c) {
    if (at >= text.size() || text[at] != c) return false;
    ++at;
    return true;
  };
  int64_t year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, millis = 0,
          offset_minutes = 0;
  if (!number(4, &year) || !literal('-') || !number(2, &month) || !literal('-') ||
      !number(2, &day)) {
    return bad();
  }
  constexpr int kDaysInMonth[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (month < 1 || month > 12 || day < 1 || day > kDaysInMonth[month - 1] ||
      (month == 2 && day == 29 && !leap)) {
    return bad();
  }
  if (at < text.size()) {
    if (!literal('T') || !number(2, &hour) || !literal(':') || !number(2, &minute)) return bad();
    if (literal(':')) {
      if (!number(2, &second)) return bad();
      if (literal('.')) {
        // Fractions of a second: milliseconds kept, finer digits ignored.
        int64_t scale = 100, digits = 0;
        while (at < text.size() && text[at] >= '0' && text[at] <= '9') {
          millis += (text[at++] - '0') * scale;
          scale /= 10;
          ++digits;
        }
        if (digits == 0) return bad();
      }
    }
    if (hour > 23 || minute > 59 || second > 59) return bad();
    if (!literal('Z')) {
      const bool east = literal('+');
      if (!east && !literal('-')) return bad();
      int64_t oh = 0, om = 0;
      if (!number(2, &oh) || !literal(':') || !number(2, &om) || oh > 23 || om > 59) return bad();
      offset_minutes = (east ? 1 : -1) * (oh * 60 + om);
    }
    if (at != text.size()) return bad();
  }
  const int64_t seconds = DaysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 +
                          second - offset_minutes * 60;
  const int64_t ms = seconds * 1000 + millis;
  if (ms < 0) return bad();
  return ms;
}

std::string IsoUtc(int64_t ms) {
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[96];  // room for any int, so that GCC can prove no truncation
  std::snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return text;
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// policy get / set print the policy beside its CollectionId, flat, rather
// than the service's {"CollectionId", "Policy": {...}}.
StatusOr<json> FlatPolicy(const StatusOr<json>& answer) {
  if (!answer.ok()) return answer;
  json flat = answer->value("Policy", json::object());
  flat["CollectionId"] = answer->value("CollectionId", "");
  return flat;
}

// policy get / set and expire: Candor's collection policy (not in
// Rekognition) on the command line.
void RegisterPolicyCommands(CLI::App* cmd, const Registrar& reg) {
  const std::shared_ptr<CollectionArgs>& args = reg.args;
  CLI::App* policy = cmd->add_subcommand("policy", "the collection's policy (Candor)");
  policy->require_subcommand(1);
  CLI::App* get = policy->add_subcommand(
      "get", "Candor.GetCollectionPolicy: the policy (the defaults when none was set)");
  reg.CollectionArg(get);
  reg.Command(get, [](LocalService& service, const CollectionArgs& a) {
    return Print(
        FlatPolicy(service.Run("Candor.GetCollectionPolicy", {{"CollectionId", a.collection}})));
  });
  CLI::App* set = policy->add_subcommand(
      "set", "Candor.PutCollectionPolicy: change the fields given; the others are kept");
  reg.CollectionArg(set);
  // Each option sets its field only when given (an empty --purpose is given,
  // and refused by validation).
  set->add_option_function<std::string>(
      "--purpose", [args](const std::string& v) { args->purpose = v; },
      "stated purpose, 1-512 printable ASCII characters");
  set->add_option_function<double>(
      "--threshold-floor", [args](const double& v) { args->threshold_floor = v; },
      "lowest FaceMatchThreshold / UserMatchThreshold a search may use, 0-100");
  set->add_option_function<std::string>(
         "--refuse-below-floor", [args](const std::string& v) { args->refuse_below_floor = v; },
         "true: refuse a search below the floor; false: raise it to the floor")
      ->check(CLI::IsMember({"true", "false"}));
  set->add_option_function<int>(
      "--max-faces", [args](const int& v) { args->policy_max_faces = v; },
      "MaxFaces / MaxUsers cap per search, 1-4096");
  set->add_option_function<std::string>(
         "--reason-required", [args](const std::string& v) { args->reason_required = v; },
         "true: every search must carry a reason (--reason)")
      ->check(CLI::IsMember({"true", "false"}));
  set->add_option_function<int64_t>(
      "--retention-days", [args](const int64_t& v) { args->retention_days = v; },
      "faces indexed longer ago are erased by expire, 0-36500; 0: kept until deleted");
  reg.Command(set, [](LocalService& service, const CollectionArgs& a) {
    json body = {{"CollectionId", a.collection}};
    SetIfGiven(body, "Purpose", a.purpose);
    SetIfGiven(body, "ThresholdFloor", a.threshold_floor);
    if (a.refuse_below_floor) body["RefuseBelowFloor"] = *a.refuse_below_floor == "true";
    SetIfGiven(body, "MaxFaces", a.policy_max_faces);
    if (a.reason_required) body["ReasonRequired"] = *a.reason_required == "true";
    SetIfGiven(body, "RetentionDays", a.retention_days);
    return Print(FlatPolicy(service.Run("Candor.PutCollectionPolicy", body)));
  });
  CLI::App* expire = cmd->add_subcommand(
      "expire", "erase the faces indexed longer ago than the policy's retention (Candor)");
  reg.CollectionArg(expire);
  expire->add_option("--now", args->now,
                     "the time to measure from: epoch ms or ISO 8601 (default: now)");
  reg.Command(expire, [](LocalService& service, const CollectionArgs& a) {
    int64_t now = NowMs();
    if (!a.now.empty()) {
      auto parsed = ParseInstantMs(a.now);
      if (!parsed.ok()) return Fail(parsed.status());
      now = *parsed;
    }
    auto policy = service.collections().GetCollectionPolicy(a.collection);
    if (!policy.ok()) return Fail(policy.status());
    auto erased = server::ExpireCollection(service.collections(), service.audit(), a.collection,
                                           now, service.principal(), "cli");
    if (!erased.ok()) return Fail(erased.status());
    json j = {{"CollectionId", a.collection},
              {"RetentionDays", policy->retention_days},
              {"ErasedFaces", *erased}};
    if (auto cutoff = server::RetentionCutoffMs(*policy, now)) j["IndexedBefore"] = IsoUtc(*cutoff);
    return Print(j);
  });
}

// The user operations: create-user, delete-user, list-users,
// associate-faces, disassociate-faces, search-users, search-users-by-image.
void RegisterUserCommands(CLI::App* cmd, const Registrar& reg) {
  const std::shared_ptr<CollectionArgs>& args = reg.args;
  auto user_arg = [args](CLI::App* sub) {
    sub->add_option("user", args->user_id, "UserId")->required();
  };
  auto token_option = [args](CLI::App* sub) {
    sub->add_option("--client-request-token", args->client_request_token,
                    "idempotency token: a retry with it returns the first response");
  };
  // CreateUser, DeleteUser.
  const auto user_request = [](const CollectionArgs& a) -> StatusOr<json> {
    json body = {{"CollectionId", a.collection}, {"UserId", a.user_id}};
    SetIfGiven(body, "ClientRequestToken", a.client_request_token);
    return body;
  };
  CLI::App* create = cmd->add_subcommand("create-user", "CreateUser");
  reg.CollectionArg(create);
  user_arg(create);
  token_option(create);
  reg.Operation(create, "CreateUser", user_request);
  CLI::App* remove =
      cmd->add_subcommand("delete-user", "DeleteUser (its faces stay, unassociated)");
  reg.CollectionArg(remove);
  user_arg(remove);
  token_option(remove);
  reg.Operation(remove, "DeleteUser", user_request);
  CLI::App* list = cmd->add_subcommand("list-users", "ListUsers");
  reg.CollectionArg(list);
  list->add_option("--next-token", args->next_token);
  list->add_option("--max-results", args->max_results, "1-500 (default 500)");
  reg.Operation(list, "ListUsers", [](const CollectionArgs& a) -> StatusOr<json> {
    json body = {{"CollectionId", a.collection}};
    SetIfGiven(body, "NextToken", a.next_token);
    SetIfGiven(body, "MaxResults", a.max_results);
    return body;
  });
  CLI::App* associate = cmd->add_subcommand("associate-faces", "AssociateFaces");
  reg.CollectionArg(associate);
  user_arg(associate);
  associate->add_option("face_ids", args->positional, "FaceIds (1-100)")->required();
  associate->add_option("--user-match-threshold", args->user_match_threshold,
                        "calibrated Similarity with the user's faces, 0-100 (default 75)");
  token_option(associate);
  reg.Operation(associate, "AssociateFaces", [](const CollectionArgs& a) -> StatusOr<json> {
    json body = {{"CollectionId", a.collection}, {"UserId", a.user_id}, {"FaceIds", a.positional}};
    SetIfGiven(body, "UserMatchThreshold", a.user_match_threshold);
    SetIfGiven(body, "ClientRequestToken", a.client_request_token);
    return body;
  });
  CLI::App* disassociate = cmd->add_subcommand("disassociate-faces", "DisassociateFaces");
  reg.CollectionArg(disassociate);
  user_arg(disassociate);
  disassociate->add_option("face_ids", args->positional, "FaceIds (1-100)")->required();
  token_option(disassociate);
  reg.Operation(disassociate, "DisassociateFaces", [](const CollectionArgs& a) -> StatusOr<json> {
    json body = {{"CollectionId", a.collection}, {"UserId", a.user_id}, {"FaceIds", a.positional}};
    SetIfGiven(body, "ClientRequestToken", a.client_request_token);
    return body;
  });
  CLI::App* search = cmd->add_subcommand("search-users", "SearchUsers: by UserId or FaceId");
  reg.CollectionArg(search);
  auto* by_user = search->add_option("--user-id", args->user_id, "UserId to search with");
  auto* by_face = search->add_option("--face-id", args->face_id, "FaceId to search with");
  by_user->excludes(by_face);
  search->add_option("--user-match-threshold", args->user_match_threshold,
                     "0-100 (default 80; raised to the policy's floor)");
  search->add_option("--max-users", args->max_users, "1-500 (default 80)");
  reg.Operation(search, "SearchUsers", [](const CollectionArgs& a) -> StatusOr<json> {
    json body = {{"CollectionId", a.collection}};
    SetIfGiven(body, "UserId", a.user_id);
    SetIfGiven(body, "FaceId", a.face_id);
    SetIfGiven(body, "UserMatchThreshold", a.user_match_threshold);
    SetIfGiven(body, "MaxUsers", a.max_users);
    return body;
  });
  CLI::App* by_image = cmd->add_subcommand("search-users-by-image", "SearchUsersByImage");
  reg.CollectionArg(by_image);
  by_image->add_option("image", args->positional, "image file")->required()->expected(1);
  by_image->add_option("--user-match-threshold", args->user_match_threshold,
                       "0-100 (default 80; raised to the policy's floor)");
  by_image->add_option("--max-users", args->max_users, "1-500 (default 80)");
  by_image->add_option("--quality-filter", args->quality_filter,
                       "NONE (default), AUTO, LOW, MEDIUM, HIGH");
  reg.Operation(by_image, "SearchUsersByImage", [](const CollectionArgs& a) -> StatusOr<json> {
    CANDOR_ASSIGN_OR_RETURN(json image, ImageOf(a.positional[0]));
    json body = {{"CollectionId", a.collection}, {"Image", std::move(image)}};
    SetIfGiven(body, "UserMatchThreshold", a.user_match_threshold);
    SetIfGiven(body, "MaxUsers", a.max_users);
    SetIfGiven(body, "QualityFilter", a.quality_filter);
    return body;
  });
}

}  // namespace

void RegisterCollection(CLI::App& app, const GlobalOptions& global, int* exit_code) {
  auto args = std::make_shared<CollectionArgs>();
  CLI::App* cmd = app.add_subcommand(
      "collection", "face collections (Rekognition's collection API), checked and audited");
  cmd->require_subcommand(1);
  // The options below may also follow the subcommand (inherited).
  cmd->fallthrough();
  cmd->footer(
      "Subcommands run the service's operations as `candor serve` does, for principal\n"
      "local:<login name> with every role: the collection's policy applies (a search below\n"
      "its threshold floor is raised or refused; --reason where it requires one) and each\n"
      "call is recorded in <data-dir>/audit.db (see `candor audit`). --data-dir, --reason\n"
      "and --audit-key may also follow the subcommand.");
  cmd->add_option("--data-dir", args->data_dir,
                  "store directory (default: $CANDOR_DATA_DIR or ./candor-data)");
  cmd->add_option("--store", args->store,
                  "keep collections, faces, users and policies in this PostgreSQL database "
                  "(postgresql://USER@HOST:PORT/DB), as `candor serve --store` does, and the "
                  "audit records in its one chain")
      ->type_name("URI");
  cmd->add_option("--reason", args->reason,
                  "why: a case reference, recorded with the call; required for searches when "
                  "the collection's policy says so")
      ->type_name("TEXT");
  cmd->add_option("--audit-key", args->audit_key,
                  "Ed25519 key signing the audit log's checkpoints (default: "
                  "<data-dir>/audit-signing.key)")
      ->type_name("PATH");
  const Registrar reg{&global, args, exit_code};
  CLI::App* create = cmd->add_subcommand("create", "CreateCollection");
  reg.CollectionArg(create);
  // CreateCollection, DescribeCollection, DeleteCollection.
  const auto collection_request = [](const CollectionArgs& a) -> StatusOr<json> {
    return json{{"CollectionId", a.collection}};
  };
  reg.Operation(create, "CreateCollection", collection_request);
  CLI::App* describe = cmd->add_subcommand("describe", "DescribeCollection");
  reg.CollectionArg(describe);
  reg.Operation(describe, "DescribeCollection", collection_request);
  CLI::App* list = cmd->add_subcommand("list", "ListCollections");
  list->add_option("--next-token", args->next_token);
  list->add_option("--max-results", args->max_results, "1-4096 (default 1000)");
  reg.Operation(list, "ListCollections", [](const CollectionArgs& a) -> StatusOr<json> {
    json body = json::object();
    SetIfGiven(body, "NextToken", a.next_token);
    SetIfGiven(body, "MaxResults", a.max_results);
    return body;
  });
  CLI::App* remove = cmd->add_subcommand("delete", "DeleteCollection");
  reg.CollectionArg(remove);
  reg.Operation(remove, "DeleteCollection", collection_request);
  CLI::App* index = cmd->add_subcommand("index", "IndexFaces: enrol the faces of one image");
  reg.CollectionArg(index);
  index->add_option("image", args->positional, "image file")->required()->expected(1);
  index->add_option("--external-image-id", args->external_image_id);
  index->add_option("--max-faces", args->max_faces, "1-100 (default: all)");
  index->add_option("--quality-filter", args->quality_filter,
                    "NONE, AUTO (default), LOW, MEDIUM, HIGH");
  index->add_option("--attributes", args->attributes, "DEFAULT or ALL")
      ->check(CLI::IsMember({"DEFAULT", "ALL"}));
  reg.Operation(index, "IndexFaces", [](const CollectionArgs& a) -> StatusOr<json> {
    CANDOR_ASSIGN_OR_RETURN(json image, ImageOf(a.positional[0]));
    json body = {{"CollectionId", a.collection}, {"Image", std::move(image)}};
    SetIfGiven(body, "ExternalImageId", a.external_image_id);
    SetIfGiven(body, "MaxFaces", a.max_faces);
    SetIfGiven(body, "QualityFilter", a.quality_filter);
    if (a.attributes) body["DetectionAttributes"] = json::array({*a.attributes});
    return body;
  });
  CLI::App* list_faces = cmd->add_subcommand("list-faces", "ListFaces");
  reg.CollectionArg(list_faces);
  list_faces->add_option("--next-token", args->next_token);
  list_faces->add_option("--max-results", args->max_results, "1-4096 (default 1000)");
  reg.Operation(list_faces, "ListFaces", [](const CollectionArgs& a) -> StatusOr<json> {
    json body = {{"CollectionId", a.collection}};
    SetIfGiven(body, "NextToken", a.next_token);
    SetIfGiven(body, "MaxResults", a.max_results);
    return body;
  });
  CLI::App* delete_faces = cmd->add_subcommand("delete-faces", "DeleteFaces");
  reg.CollectionArg(delete_faces);
  delete_faces->add_option("face_ids", args->positional, "FaceIds")->required();
  reg.Operation(delete_faces, "DeleteFaces", [](const CollectionArgs& a) -> StatusOr<json> {
    return json{{"CollectionId", a.collection}, {"FaceIds", a.positional}};
  });
  CLI::App* search = cmd->add_subcommand("search", "SearchFacesByImage");
  reg.CollectionArg(search);
  search->add_option("image", args->positional, "image file")->required()->expected(1);
  search->add_option("--face-match-threshold", args->face_match_threshold,
                     "calibrated Similarity, 0-100 (default 80; raised to the policy's floor)");
  search->add_option("--max-faces", args->max_faces, "1-4096 (default 80)");
  search->add_option("--quality-filter", args->quality_filter,
                     "NONE (default), AUTO, LOW, MEDIUM, HIGH");
  reg.Operation(search, "SearchFacesByImage", [](const CollectionArgs& a) -> StatusOr<json> {
    CANDOR_ASSIGN_OR_RETURN(json image, ImageOf(a.positional[0]));
    json body = {{"CollectionId", a.collection}, {"Image", std::move(image)}};
    SetIfGiven(body, "FaceMatchThreshold", a.face_match_threshold);
    SetIfGiven(body, "MaxFaces", a.max_faces);
    SetIfGiven(body, "QualityFilter", a.quality_filter);
    return body;
  });
  CLI::App* search_face = cmd->add_subcommand("search-face", "SearchFaces: by FaceId");
  reg.CollectionArg(search_face);
  search_face->add_option("face_id", args->positional, "FaceId")->required()->expected(1);
  search_face->add_option("--face-match-threshold", args->face_match_threshold,
                          "0-100 (default 80; raised to the policy's floor)");
  search_face->add_option("--max-faces", args->max_faces, "1-4096 (default 80)");
  reg.Operation(search_face, "SearchFaces", [](const CollectionArgs& a) -> StatusOr<json> {
    json body = {{"CollectionId", a.collection}, {"FaceId", a.positional[0]}};
    SetIfGiven(body, "FaceMatchThreshold", a.face_match_threshold);
    SetIfGiven(body, "MaxFaces", a.max_faces);
    return body;
  });
  RegisterUserCommands(cmd, reg);
  RegisterPolicyCommands(cmd, reg);
  CLI::App* import = cmd->add_subcommand(
      "import",
      "IndexFaces for every image under directories (resumable; ExternalImageId = file name)");
  import->add_option("--collection", args->collection, "CollectionId")->required();
  import->add_option("paths", args->positional, "directories or files")->required();
  import->add_option("--mapping", args->mapping_csv, "CSV of file,external_image_id");
  import->add_option("--max-faces", args->max_faces, "per image, 1-100 (default: all)");
  import->add_option("--quality-filter", args->quality_filter,
                     "NONE, AUTO (default), LOW, MEDIUM, HIGH");
  import->callback([&global, args, exit_code] { *exit_code = RunImport(global, *args);
});
}  // namespace candor::cli

}  // namespace candor::cli
