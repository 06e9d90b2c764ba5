// candor collection ...: Rekognition's collection operations on the embedded
// store, `import` to enrol a directory, and Candor's collection policy
// (`policy get|set`) and retention (`expire`).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>

#include "candor/collections.h"
#include "cli/commands.h"
#include "core/parallel.h"
#include "core/progress.h"
#include "protocol/collections_json.h"
#include "protocol/requests.h"

namespace candor::cli {
namespace {

using protocol::ParseQualityFilter;

struct CollectionArgs {
  std::string data_dir;
  std::string collection;
  std::vector<std::string> positional;
  std::string external_image_id;
  int max_faces = 0;
  std::string quality_filter = "AUTO";
  std::string attributes = "DEFAULT";
  float threshold = 80.f;
  int max_results = 0;
  std::string next_token;
  std::string mapping_csv;
  // User operations.
  std::string user_id;
  std::string face_id;
  std::string client_request_token;
  std::optional<float> user_match_threshold;  // per operation default when unset
  int max_users = 80;
  std::string search_quality_filter = "NONE";  // SearchUsersByImage's default
  // policy set: only the fields given change. Booleans as "true" / "false".
  std::optional<std::string> purpose;
  std::optional<float> threshold_floor;
  std::optional<std::string> refuse_below_floor;
  std::optional<int> policy_max_faces;
  std::optional<std::string> reason_required;
  std::optional<int64_t> retention_days;
  // expire: the time retention is measured from (default: now).
  std::string now;
};

std::string DataDirOf(const CollectionArgs& args) {
  if (!args.data_dir.empty()) return args.data_dir;
  if (const char* v = std::getenv("CANDOR_DATA_DIR"); v != nullptr && *v != '\0') return v;
  return "candor-data";
}

// Engine and collections for one command; engine outlives collections.
struct Session {
  std::unique_ptr<Engine> engine;
  std::unique_ptr<Collections> collections;
};

StatusOr<Session> Open(const GlobalOptions& global, const CollectionArgs& args, bool needs_engine_workers) {
  Session s;
  GlobalOptions g = global;
  if (!needs_engine_workers && g.workers == 0) g.workers = 1;
  CANDOR_ASSIGN_OR_RETURN(s.engine, MakeEngine(g));
  CANDOR_ASSIGN_OR_RETURN(s.collections,
                          Collections::Open(s.engine.get(), {.data_dir = DataDirOf(args)}));
  return s;
}

int Print(const StatusOr<nlohmann::json>& j) {
  if (!j.ok()) return Fail(j.status());
  std::printf("%s\n", j->dump(2).c_str());
  return 0;
}

// ExternalImageId from a file name: the stem with characters outside
// Rekognition's pattern replaced by '_'.
std::string ExternalIdFromPath(const std::string& path) {
  std::string stem = std::filesystem::path(path).stem().string();
  for (char& c : stem) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' ||
                    c == '-' || c == ':';
    if (!ok) c = '_';
  }
  if (stem.size() > 255) stem.resize(255);
  return stem.empty() ? "image" : stem;
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
  auto session = Open(global, args, true);
  if (!session.ok()) return Fail(session.status());
  Collections& c = *session->collections;
  // Resume: an image whose ExternalImageId is already in the collection was
  // indexed by an earlier, interrupted run.
  std::set<std::string> done;
  for (std::string token;;) {
    auto page = c.ListFaces(args.collection, token, 4096);
    if (!page.ok()) return Fail(page.status());
    for (const StoredFace& f : page->faces) done.insert(f.external_image_id);
    token = page->next_token;
    if (token.empty()) break;
  }
  auto filter = ParseQualityFilter(args.quality_filter);
  if (!filter.ok()) return Fail(filter.status());
  core::Progress progress("import", paths->size());
  std::atomic<int> indexed{0}, skipped{0}, faces{0};
  std::mutex report_mutex;
  std::map<std::string, int> reasons;
  std::vector<std::string> failures;
  const int threads = global.workers > 0 ? global.workers : std::max(1u, std::thread::hardware_concurrency());
  core::ParallelFor(paths->size(), threads, [&](size_t i) {
    const std::string& path = (*paths)[i];
    std::string id = ExternalIdFromPath(path);
    if (auto it = mapping.find(path); it != mapping.end()) id = it->second;
    if (auto it = mapping.find(std::filesystem::path(path).filename().string()); it != mapping.end()) {
      id = it->second;
    }
    if (done.count(id)) {
      ++skipped;
      progress.Advance();
      return;
    }
    auto bytes = ReadFileBytes(path);
    StatusOr<IndexFacesResult> r =
        bytes.ok() ? c.IndexFaces({.collection_id = args.collection, .image_bytes = *bytes,
                                   .external_image_id = id, .max_faces = args.max_faces,
                                   .quality_filter = *filter})
                   : StatusOr<IndexFacesResult>(bytes.status());
    std::lock_guard<std::mutex> lock(report_mutex);
    if (!r.ok()) {
      failures.push_back(path + ": " + r.status().ToString());
    } else {
      ++indexed;
      faces += static_cast<int>(r->face_records.size());
      if (r->face_records.empty() && r->unindexed_faces.empty()) ++reasons["NO_FACE_FOUND"];
      for (const UnindexedFace& u : r->unindexed_faces) {
        for (const std::string& reason : u.reasons) ++reasons[reason];
      }
    }
    progress.Advance();
  });
  progress.Finish();
  std::printf("import into %s: %zu images, %d indexed (%d faces), %d already there (resumed), %zu failed\n",
              args.collection.c_str(), paths->size(), indexed.load(), faces.load(), skipped.load(),
              failures.size());
  for (const auto& [reason, count] : reasons) std::printf("  not indexed: %s x %d\n", reason.c_str(), count);
  for (const std::string& f : failures) std::fprintf(stderr, "%s\n", f.c_str());
  return failures.empty() ? 0 : 1;
}

constexpr int64_t kDayMs = 24 * 60 * 60 * 1000;

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

// policy get / set and expire: Candor's collection policy (not in
// Rekognition) on the command line.
template <typename Run>
void RegisterPolicyCommands(CLI::App* cmd, const std::shared_ptr<CollectionArgs>& args, Run& run) {
  using J = StatusOr<nlohmann::json>;
  auto id_arg = [args](CLI::App* sub) {
    sub->add_option("collection", args->collection, "CollectionId")->required();
  };
  CLI::App* policy = cmd->add_subcommand("policy", "the collection's policy (Candor)");
  policy->require_subcommand(1);
  CLI::App* get = policy->add_subcommand("get", "the policy (the defaults when none was set)");
  id_arg(get);
  run(get, [](Collections& c, const CollectionArgs& a) {
    auto p = c.GetCollectionPolicy(a.collection);
    if (!p.ok()) return Print(J(p.status()));
    nlohmann::json j = protocol::CollectionPolicyJson(*p);
    j["CollectionId"] = a.collection;
    return Print(J(std::move(j)));
  });
  CLI::App* set = policy->add_subcommand("set", "change the fields given; the others are kept");
  id_arg(set);
  // Each option sets its field only when given (an empty --purpose is given,
  // and refused by validation).
  set->add_option_function<std::string>(
      "--purpose", [args](const std::string& v) { args->purpose = v; },
      "stated purpose, 1-512 printable ASCII characters");
  set->add_option_function<float>(
      "--threshold-floor", [args](const float& v) { args->threshold_floor = v; },
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
         "true: every search must carry a reason")
      ->check(CLI::IsMember({"true", "false"}));
  set->add_option_function<int64_t>(
      "--retention-days", [args](const int64_t& v) { args->retention_days = v; },
      "faces indexed longer ago are erased by expire, 0-36500; 0: kept until deleted");
  run(set, [](Collections& c, const CollectionArgs& a) {
    // Read-modify-write: a field not given keeps its value.
    auto p = c.GetCollectionPolicy(a.collection);
    if (!p.ok()) return Print(J(p.status()));
    CollectionPolicy policy = *p;
    if (a.purpose) policy.purpose = *a.purpose;
    if (a.threshold_floor) policy.threshold_floor = *a.threshold_floor;
    if (a.refuse_below_floor) policy.refuse_below_floor = *a.refuse_below_floor == "true";
    if (a.policy_max_faces) policy.max_faces = *a.policy_max_faces;
    if (a.reason_required) policy.reason_required = *a.reason_required == "true";
    if (a.retention_days) policy.retention_days = *a.retention_days;
    Status s = c.PutCollectionPolicy(a.collection, policy);
    if (!s.ok()) return Print(J(s));
    auto stored = c.GetCollectionPolicy(a.collection);
    if (!stored.ok()) return Print(J(stored.status()));
    nlohmann::json j = protocol::CollectionPolicyJson(*stored);
    j["CollectionId"] = a.collection;
    return Print(J(std::move(j)));
  });
  CLI::App* expire = cmd->add_subcommand(
      "expire", "erase the faces indexed longer ago than the policy's retention (Candor)");
  id_arg(expire);
  expire->add_option("--now", args->now,
                     "the time to measure from: epoch ms or ISO 8601 (default: now)");
  run(expire, [](Collections& c, const CollectionArgs& a) {
    int64_t now = NowMs();
    if (!a.now.empty()) {
      auto parsed = ParseInstantMs(a.now);
      if (!parsed.ok()) return Fail(parsed.status());
      now = *parsed;
    }
    auto p = c.GetCollectionPolicy(a.collection);
    if (!p.ok()) return Print(J(p.status()));
    nlohmann::json j = {{"CollectionId", a.collection}, {"RetentionDays", p->retention_days}};
    std::vector<std::string> erased;
    if (p->retention_days > 0) {  // 0: kept until deleted
      // Nothing was indexed before the epoch.
      const int64_t cutoff = std::max<int64_t>(0, now - p->retention_days * kDayMs);
      auto r = c.EraseFacesIndexedBefore(a.collection, cutoff);
      if (!r.ok()) return Print(J(r.status()));
      erased = std::move(*r);
      j["IndexedBefore"] = IsoUtc(cutoff);
    }
    j["ErasedFaces"] = erased;
    return Print(J(std::move(j)));
  });
}

// The user operations: create-user, delete-user, list-users,
// associate-faces, disassociate-faces, search-users, search-users-by-image.
template <typename Run>
void RegisterUserCommands(CLI::App* cmd, const std::shared_ptr<CollectionArgs>& args, Run& run) {
  using J = StatusOr<nlohmann::json>;
  auto id_arg = [args](CLI::App* sub) {
    sub->add_option("collection", args->collection, "CollectionId")->required();
  };
  auto user_arg = [args](CLI::App* sub) {
    sub->add_option("user", args->user_id, "UserId")->required();
  };
  auto token_option = [args](CLI::App* sub) {
    sub->add_option("--client-request-token", args->client_request_token,
                    "idempotency token: a retry with it returns the first response");
  };
  CLI::App* create = cmd->add_subcommand("create-user", "CreateUser");
  id_arg(create);
  user_arg(create);
  token_option(create);
  run(create, [](Collections& c, const CollectionArgs& a) {
    Status s = c.CreateUser({a.collection, a.user_id, a.client_request_token});
    return Print(s.ok() ? J(protocol::EmptyResponse()) : J(s));
  });
  CLI::App* remove = cmd->add_subcommand("delete-user", "DeleteUser (its faces stay, unassociated)");
  id_arg(remove);
  user_arg(remove);
  token_option(remove);
  run(remove, [](Collections& c, const CollectionArgs& a) {
    Status s = c.DeleteUser({a.collection, a.user_id, a.client_request_token});
    return Print(s.ok() ? J(protocol::EmptyResponse()) : J(s));
  });
  CLI::App* list = cmd->add_subcommand("list-users", "ListUsers");
  id_arg(list);
  list->add_option("--next-token", args->next_token);
  list->add_option("--max-results", args->max_results, "1-500 (default 500)");
  run(list, [](Collections& c, const CollectionArgs& a) {
    auto r = c.ListUsers(a.collection, a.next_token, a.max_results);
    return Print(r.ok() ? J(protocol::ListUsersResponse(*r)) : J(r.status()));
  });
  CLI::App* associate = cmd->add_subcommand("associate-faces", "AssociateFaces");
  id_arg(associate);
  user_arg(associate);
  associate->add_option("face_ids", args->positional, "FaceIds (1-100)")->required();
  associate->add_option("--user-match-threshold", args->user_match_threshold,
                        "calibrated Similarity with the user's faces, 0-100 (default 75)");
  token_option(associate);
  run(associate, [](Collections& c, const CollectionArgs& a) {
    auto r = c.AssociateFaces({.collection_id = a.collection, .user_id = a.user_id,
                               .face_ids = a.positional,
                               .user_match_threshold = a.user_match_threshold.value_or(75.f),
                               .client_request_token = a.client_request_token});
    return Print(r.ok() ? J(protocol::AssociateFacesResponse(*r)) : J(r.status()));
  });
  CLI::App* disassociate = cmd->add_subcommand("disassociate-faces", "DisassociateFaces");
  id_arg(disassociate);
  user_arg(disassociate);
  disassociate->add_option("face_ids", args->positional, "FaceIds (1-100)")->required();
  token_option(disassociate);
  run(disassociate, [](Collections& c, const CollectionArgs& a) {
    auto r = c.DisassociateFaces({.collection_id = a.collection, .user_id = a.user_id,
                                  .face_ids = a.positional,
                                  .client_request_token = a.client_request_token});
    return Print(r.ok() ? J(protocol::DisassociateFacesResponse(*r)) : J(r.status()));
  });
  CLI::App* search = cmd->add_subcommand("search-users", "SearchUsers: by UserId or FaceId");
  id_arg(search);
  auto* by_user = search->add_option("--user-id", args->user_id, "UserId to search with");
  auto* by_face = search->add_option("--face-id", args->face_id, "FaceId to search with");
  by_user->excludes(by_face);
  search->add_option("--user-match-threshold", args->user_match_threshold, "0-100 (default 80)");
  search->add_option("--max-users", args->max_users, "1-500 (default 80)");
  run(search, [](Collections& c, const CollectionArgs& a) {
    auto r = c.SearchUsers({.collection_id = a.collection, .user_id = a.user_id,
                            .face_id = a.face_id,
                            .user_match_threshold = a.user_match_threshold.value_or(80.f),
                            .max_users = a.max_users});
    return Print(r.ok() ? J(protocol::SearchUsersResponse(*r)) : J(r.status()));
  });
  CLI::App* by_image = cmd->add_subcommand("search-users-by-image", "SearchUsersByImage");
  id_arg(by_image);
  by_image->add_option("image", args->positional, "image file")->required()->expected(1);
  by_image->add_option("--user-match-threshold", args->user_match_threshold, "0-100 (default 80)");
  by_image->add_option("--max-users", args->max_users, "1-500 (default 80)");
  by_image->add_option("--quality-filter", args->search_quality_filter,
                       "NONE (default), AUTO, LOW, MEDIUM, HIGH");
  run(by_image, [](Collections& c, const CollectionArgs& a) {
    auto bytes = ReadFileBytes(a.positional[0]);
    if (!bytes.ok()) return Fail(bytes.status());
    auto filter = ParseQualityFilter(a.search_quality_filter);
    if (!filter.ok()) return Fail(filter.status());
    auto r = c.SearchUsersByImage({.collection_id = a.collection,
                                   .user_match_threshold = a.user_match_threshold.value_or(80.f),
                                   .max_users = a.max_users, .quality_filter = *filter},
                                  *bytes);
    return Print(r.ok() ? J(protocol::SearchUsersByImageResponse(*r)) : J(r.status()));
  });
}

}  // namespace

void RegisterCollection(CLI::App& app, const GlobalOptions& global, int* exit_code) {
  auto args = std::make_shared<CollectionArgs>();
  CLI::App* cmd = app.add_subcommand("collection", "face collections (Rekognition's collection API)");
  cmd->require_subcommand(1);
  cmd->add_option("--data-dir", args->data_dir,
                  "store directory (default: $CANDOR_DATA_DIR or ./candor-data)");
  auto id_arg = [args](CLI::App* sub) {
    sub->add_option("collection", args->collection, "CollectionId")->required();
  };
  auto run = [&global, args, exit_code](CLI::App* sub, auto fn) {
    sub->callback([&global, args, exit_code, fn] {
      auto session = Open(global, *args, false);
      if (!session.ok()) {
        *exit_code = Fail(session.status());
        return;
      }
      *exit_code = fn(*session->collections, *args);
    });
  };
  using J = StatusOr<nlohmann::json>;
  CLI::App* create = cmd->add_subcommand("create", "CreateCollection");
  id_arg(create);
  run(create, [](Collections& c, const CollectionArgs& a) {
    auto r = c.CreateCollection(a.collection);
    return Print(r.ok() ? J(protocol::CreateCollectionResponse(*r)) : J(r.status()));
  });
  CLI::App* describe = cmd->add_subcommand("describe", "DescribeCollection");
  id_arg(describe);
  run(describe, [](Collections& c, const CollectionArgs& a) {
    auto r = c.DescribeCollection(a.collection);
    return Print(r.ok() ? J(protocol::DescribeCollectionResponse(*r)) : J(r.status()));
  });
  CLI::App* list = cmd->add_subcommand("list", "ListCollections");
  list->add_option("--next-token", args->next_token);
  list->add_option("--max-results", args->max_results);
  run(list, [](Collections& c, const CollectionArgs& a) {
    auto r = c.ListCollections(a.next_token, a.max_results);
    return Print(r.ok() ? J(protocol::ListCollectionsResponse(*r)) : J(r.status()));
  });
  CLI::App* remove = cmd->add_subcommand("delete", "DeleteCollection");
  id_arg(remove);
  run(remove, [](Collections& c, const CollectionArgs& a) {
    Status s = c.DeleteCollection(a.collection);
    return Print(s.ok() ? J(nlohmann::json{{"StatusCode", 200}}) : J(s));
  });
  CLI::App* index = cmd->add_subcommand("index", "IndexFaces: enrol the faces of one image");
  id_arg(index);
  index->add_option("image", args->positional, "image file")->required()->expected(1);
  index->add_option("--external-image-id", args->external_image_id);
  index->add_option("--max-faces", args->max_faces, "1-100 (default: all)");
  index->add_option("--quality-filter", args->quality_filter, "NONE, AUTO, LOW, MEDIUM, HIGH");
  index->add_option("--attributes", args->attributes, "DEFAULT or ALL")
      ->check(CLI::IsMember({"DEFAULT", "ALL"}));
  run(index, [](Collections& c, const CollectionArgs& a) {
    auto bytes = ReadFileBytes(a.positional[0]);
    if (!bytes.ok()) return Fail(bytes.status());
    auto filter = ParseQualityFilter(a.quality_filter);
    if (!filter.ok()) return Fail(filter.status());
    const AttributeSet attributes = a.attributes == "ALL" ? AttributeSet::kAll : AttributeSet::kDefault;
    auto r = c.IndexFaces({.collection_id = a.collection, .image_bytes = *bytes,
                           .external_image_id = a.external_image_id, .max_faces = a.max_faces,
                           .quality_filter = *filter, .detection_attributes = attributes});
    return Print(r.ok() ? J(protocol::IndexFacesResponse(*r, attributes)) : J(r.status()));
  });
  CLI::App* list_faces = cmd->add_subcommand("list-faces", "ListFaces");
  id_arg(list_faces);
  list_faces->add_option("--next-token", args->next_token);
  list_faces->add_option("--max-results", args->max_results);
  run(list_faces, [](Collections& c, const CollectionArgs& a) {
    auto r = c.ListFaces(a.collection, a.next_token, a.max_results);
    return Print(r.ok() ? J(protocol::ListFacesResponse(*r)) : J(r.status()));
  });
  CLI::App* delete_faces = cmd->add_subcommand("delete-faces", "DeleteFaces");
  id_arg(delete_faces);
  delete_faces->add_option("face_ids", args->positional, "FaceIds")->required();
  run(delete_faces, [](Collections& c, const CollectionArgs& a) {
    auto r = c.DeleteFaces(a.collection, a.positional);
    return Print(r.ok() ? J(protocol::DeleteFacesResponse(*r)) : J(r.status()));
  });
  CLI::App* search = cmd->add_subcommand("search", "SearchFacesByImage");
  id_arg(search);
  search->add_option("image", args->positional, "image file")->required()->expected(1);
  search->add_option("--face-match-threshold", args->threshold, "calibrated Similarity, 0-100");
  search->add_option("--max-faces", args->max_faces, "1-4096 (default 80)");
  search->add_option("--quality-filter", args->quality_filter, "NONE, AUTO, LOW, MEDIUM, HIGH");
  run(search, [](Collections& c, const CollectionArgs& a) {
    auto bytes = ReadFileBytes(a.positional[0]);
    if (!bytes.ok()) return Fail(bytes.status());
    // SearchFacesByImage's default filter is NONE, unlike IndexFaces'.
    auto filter = ParseQualityFilter(a.quality_filter == "AUTO" ? "NONE" : a.quality_filter);
    if (!filter.ok()) return Fail(filter.status());
    auto r = c.SearchFacesByImage({.collection_id = a.collection, .face_match_threshold = a.threshold,
                                   .max_faces = a.max_faces > 0 ? a.max_faces : 80,
                                   .quality_filter = *filter},
                                  *bytes);
    return Print(r.ok() ? J(protocol::SearchFacesByImageResponse(*r)) : J(r.status()));
  });
  CLI::App* search_face = cmd->add_subcommand("search-face", "SearchFaces: by FaceId");
  id_arg(search_face);
  search_face->add_option("face_id", args->positional, "FaceId")->required()->expected(1);
  search_face->add_option("--face-match-threshold", args->threshold);
  search_face->add_option("--max-faces", args->max_faces);
  run(search_face, [](Collections& c, const CollectionArgs& a) {
    auto r = c.SearchFaces({.collection_id = a.collection, .face_match_threshold = a.threshold,
                            .max_faces = a.max_faces > 0 ? a.max_faces : 80},
                           a.positional[0]);
    return Print(r.ok() ? J(protocol::SearchFacesResponse(*r)) : J(r.status()));
  });
  RegisterUserCommands(cmd, args, run);
  RegisterPolicyCommands(cmd, args, run);
  CLI::App* import = cmd->add_subcommand(
      "import", "enrol every image under directories (resumable; ExternalImageId = file name)");
  import->add_option("--collection", args->collection, "CollectionId")->required();
  import->add_option("paths", args->positional, "directories or files")->required();
  import->add_option("--mapping", args->mapping_csv, "CSV of file,external_image_id");
  import->add_option("--max-faces", args->max_faces, "per image, 1-100 (default: all)");
  import->add_option("--quality-filter", args->quality_filter, "NONE, AUTO, LOW, MEDIUM, HIGH");
  import->callback([&global, args, exit_code] { *exit_code = RunImport(global, *args); });
}

}  // namespace candor::cli
