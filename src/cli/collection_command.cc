// candor collection ...: Rekognition's collection operations on the embedded
// store, and `import` to enrol a directory.
#include <atomic>
#include <cstdio>
#include <cstdlib>
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
